"""Customer-side benchmarks.

1. ``/my/tickets`` (first page) for a portal customer with few (default 10),
   then many (default 1,000) tickets in a database of 1,000,000 tickets (the
   others spread over 1,000 other customers and one year): time and queries
   of the HTTP request, served by Odoo's own HTTP server in this process, and
   PostgreSQL's plan of the page's search.
2. E-mail intake: N new e-mails (default 1,000) to a team alias through
   Odoo's mail gateway (``message_process``, which calls ``message_new``):
   seconds and queries per ticket.

The tickets of the other customers are inserted with SQL and COMMITTED into
the given database (a bulk load whose indexes must be built in an earlier
transaction than the one that uses them): run it on a throwaway copy and drop
that copy afterwards. Everything else runs in one transaction that is rolled
back at the end (the HTTP server works on the same transaction, as in Odoo's
HttpCase). Run it from the repository root with the Python that runs Odoo 18,
on a copy of a database with the addon installed and no demo data; see
benchmarks/README.md, "Customer portal and e-mail intake":

    createdb -T aftersales_test aftersales_bench_portal
    $ODOO_PYTHON benchmarks/bench_portal.py -d aftersales_bench_portal
    dropdb aftersales_bench_portal
"""

import re
import socket
import statistics
import time
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

import bench_common
import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import config

SECONDS_PER_YEAR = 365 * 24 * 3600
PAGES = ("/my/tickets", "/my/tickets?filterby=all")


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=1_000,
        help="tickets of the measured customer in the second measure",
    )
    parser.add_argument(
        "--few",
        type=int,
        default=10,
        help="tickets of the measured customer in the first measure",
    )
    parser.add_argument(
        "--others",
        type=int,
        default=999_000,
        help="tickets of other customers inserted with SQL (with the "
        "customer's --tickets: 1,000,000 in all by default)",
    )
    parser.add_argument(
        "--other-customers",
        type=int,
        default=1_000,
        help="customers the other tickets are spread over",
    )
    parser.add_argument(
        "--emails",
        type=int,
        default=1_000,
        help="new e-mails fed to the mail gateway (0: skip)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(env, other_customers):
    team = env["aftersales.team"].create({"name": "Bench Point", "level": "point"})
    channel = env.ref("aftersales_service.channel_phone")
    customer = env["res.partner"].create(
        {"name": "Bench Customer", "email": "bench.customer@example.com"}
    )
    portal_user = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Portal",
                "login": "bench_portal",
                "password": "bench_portal",
                "partner_id": customer.id,
                "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
    )
    others = env["res.partner"].create(
        [{"name": f"Bench Other Customer {i}"} for i in range(other_customers)]
    )
    vals = {"symptom": "Does not start", "channel_id": channel.id, "team_id": team.id}
    template = env["aftersales.ticket"].create(dict(vals, partner_id=customer.id))
    other_template = env["aftersales.ticket"].create(
        dict(vals, partner_id=others[0].id)
    )
    return team, portal_user, template, other_template, others


@contextmanager
def bulk_load(cr, table):
    """Load many rows fast: the table's indexes that back no constraint are
    dropped and built again at the end (faster than maintaining 30 indexes
    row by row; the transaction must be committed before they serve), and,
    when the database role may (superuser), the foreign-key triggers are
    skipped: the rows copy a valid ticket and point to existing customers."""
    cr.execute(
        """
        SELECT indexname, indexdef FROM pg_indexes
         WHERE tablename = %s AND indexname NOT IN (
               SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)
        """,
        [table, table],
    )
    indexes = cr.fetchall()
    for name, __ in indexes:
        cr.execute(f'DROP INDEX "{name}"')
    cr.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    superuser = cr.fetchone()[0]
    if superuser:
        cr.execute("SET LOCAL session_replication_role = replica")
    else:
        print("(not a superuser role: foreign keys checked row by row, slower)")
    yield
    if superuser:
        cr.execute("SET LOCAL session_replication_role = DEFAULT")
    cr.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for __, definition in indexes:
        cr.execute(definition)


def copy_tickets(env, template, count, tag, partners=None):
    """Insert ``count`` copies of the template ticket with SQL, received over
    the last year (newest first), references ``<template>-<tag>-<n>``; with
    ``partners``, spread over those customers. No SLA lines: the list does
    not read them."""
    cr = env.cr
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'aftersales_ticket' AND column_name NOT IN "
        "('id', 'name', 'access_token', 'received_date', 'partner_id', "
        "'commercial_partner_id') AND is_generated = 'NEVER'"
    )
    cols = [row[0] for row in cr.fetchall()]
    if partners:
        partner_sql = "(%(partners)s::int[])[1 + g %% %(partner_count)s]"
    else:
        partner_sql = "t.partner_id"
    cr.execute(
        f"""
        INSERT INTO aftersales_ticket (name, access_token, received_date,
               partner_id, commercial_partner_id, {", ".join(cols)})
        SELECT t.name || '-' || %(tag)s || '-' || g,
               md5(t.id || %(tag)s || g),
               t.received_date - make_interval(secs => g * %(step)s),
               {partner_sql}, {partner_sql},
               {", ".join(f't."{c}"' for c in cols)}
        FROM aftersales_ticket t, generate_series(1, %(count)s) g
        WHERE t.id = %(template)s
        """,
        {
            "tag": tag,
            "count": count,
            "step": SECONDS_PER_YEAR / max(count, 1),
            "template": template.id,
            "partners": partners.ids if partners else None,
            "partner_count": len(partners) if partners else 1,
        },
    )
    env.invalidate_all()


def seed_others(env, template, count, partners):
    start = time.perf_counter()
    with bulk_load(env.cr, "aftersales_ticket"):
        copy_tickets(env, template, count, "o", partners)
        inserted = time.perf_counter()
    env.cr.execute("ANALYZE aftersales_ticket")
    end = time.perf_counter()
    print(
        f"seeding: {count:,} tickets of {len(partners):,} other customers in "
        f"{end - start:.0f} s (insert {inserted - start:.0f} s, indexes and "
        f"statistics {end - inserted:.0f} s)"
    )


class Client:
    """Odoo's HTTP server in this process, on the benchmark's transaction."""

    def __init__(self, registry, cr, database):
        from odoo.service import server  # noqa: PLC0415

        config["http_port"] = free_port()
        config["dbfilter"] = f"^{database}$"
        server.load_server_wide_modules()
        self.server = server.ThreadedServer(odoo.http.root)
        self.server.start(stop=False)
        registry.enter_test_mode(cr)
        self.registry = registry
        self.base = f"http://127.0.0.1:{config['http_port']}"
        self.session = requests.Session()
        self.database = database

    def login(self, login, password):
        response = self.session.post(
            f"{self.base}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": self.database, "login": login, "password": password},
            },
            timeout=60,
        )
        response.raise_for_status()
        if "error" in response.json():
            raise SystemExit(response.json()["error"])

    def get(self, path):
        response = self.session.get(f"{self.base}{path}", timeout=120)
        response.raise_for_status()
        return response


def measure_list(env, client, label, runs):
    for path in PAGES:
        client.get(path)  # warm: templates compiled, caches filled
        times, queries = [], []
        for __ in range(runs):
            count = env.cr.sql_log_count
            start = time.perf_counter()
            page = client.get(path)
            times.append(time.perf_counter() - start)
            queries.append(env.cr.sql_log_count - count)
        rows = len(set(re.findall(r'href="/my/tickets/(\d+)"', page.text)))
        print(
            f"{path} ({label}): median {statistics.median(times) * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}), queries {sorted(set(queries))}, "
            f"{rows} rows shown"
        )


def explain_list(env, portal_user):
    """PostgreSQL's plan of the list's search (first page, newest first), as
    the portal customer: the record rules are in the query."""
    Ticket = env["aftersales.ticket"].with_user(portal_user)
    query = Ticket._search(
        [("is_closed", "=", False)], order="received_date desc, id desc", limit=20
    )
    sql = query.select()
    env.cr.execute(
        odoo.tools.SQL("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) %s", sql),
    )
    print("plan of the first page's search:")
    for (line,) in env.cr.fetchall():
        print(f"    {line}")


def raw_email(index, team_alias):
    msg = EmailMessage()
    msg["From"] = f"Mail Customer {index} <mail.customer.{index}@example.com>"
    msg["To"] = team_alias
    msg["Subject"] = f"Unit {index} does not start"
    msg["Message-ID"] = make_msgid(domain="bench.example.com")
    msg.set_content(f"Unit {index} stopped working this morning.")
    return msg.as_string()


def bench_email(env, team, count):
    domain = env["mail.alias.domain"].create({"name": "bench.example.com"})
    env.company.alias_domain_id = domain
    team.write({"alias_name": "bench-service", "alias_domain_id": domain.id})
    alias = "bench-service@bench.example.com"
    messages = [raw_email(i, alias) for i in range(count)]
    Thread = env["mail.thread"]
    env.flush_all()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    for raw in messages:
        Thread.message_process(None, raw)
    env.flush_all()
    elapsed = time.perf_counter() - start
    queries = env.cr.sql_log_count - queries
    channel = env.ref("aftersales_service.channel_email")
    created = env["aftersales.ticket"].search_count([("channel_id", "=", channel.id)])
    print(
        f"message_process: {count} e-mails -> {created} new tickets in "
        f"{elapsed:.1f} s = {elapsed / count * 1000:.0f} ms per e-mail; "
        f"{queries} queries = {queries / count:.1f} per e-mail"
    )


def seed(registry, args):
    """Committed: the customers, the portal user and the template tickets
    (ORM), then, in a transaction of its own that only inserts, the other
    customers' tickets and the measured customer's first tickets (SQL).

    Two transactions, because PostgreSQL builds an index that the building
    transaction (or any older one in the cluster) may not use when the table
    holds tuples updated but not yet removable: the ORM's creation of the
    templates updates them. Committed first, those old versions are dead for
    every later transaction of this database, and the bulk load's indexes
    serve at once."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if env["res.users"].search_count([("login", "=", "bench_portal")]):
            raise SystemExit(
                f"{args.database} was already seeded by bench_portal.py: drop it "
                "and benchmark a fresh copy of a database with the addon installed."
            )
        team, portal_user, template, other_template, others = setup(
            env, args.other_customers
        )
        ids = (team.id, portal_user.id, template.id, other_template.id, others.ids)
    team_id, portal_user_id, template_id, other_template_id, other_ids = ids
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Ticket = env["aftersales.ticket"]
        seed_others(
            env,
            Ticket.browse(other_template_id),
            args.others,
            env["res.partner"].browse(other_ids),
        )
        copy_tickets(env, Ticket.browse(template_id), args.few - 1, "a")
        cr.execute(
            "SELECT count(*) FROM pg_index "
            "WHERE indrelid = 'aftersales_ticket'::regclass AND indcheckxmin"
        )
        if cr.fetchone()[0]:
            print(
                "warning: some rebuilt indexes wait for older transactions of "
                "this database to end before they serve"
            )
    return team_id, portal_user_id, template_id


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    team_id, portal_user_id, template_id = seed(registry, args)
    client = None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        team = env["aftersales.team"].browse(team_id)
        portal_user = env["res.users"].browse(portal_user_id)
        template = env["aftersales.ticket"].browse(template_id)
        try:
            total = env["aftersales.ticket"].search_count([])
            print(f"database: {total:,} tickets")
            client = Client(registry, cr, args.database)
            client.login("bench_portal", "bench_portal")
            label = f"customer with {args.few:,} tickets"
            measure_list(env, client, label, args.runs)
            explain_list(env, portal_user)
            copy_tickets(env, template, args.tickets - args.few, "b")
            env.cr.execute("ANALYZE aftersales_ticket")
            total = env["aftersales.ticket"].search_count([])
            print(f"database: {total:,} tickets")
            label = f"customer with {args.tickets:,} tickets"
            measure_list(env, client, label, args.runs)
            explain_list(env, portal_user)
            if args.emails:
                bench_email(env, team, args.emails)
        finally:
            if client:
                client.registry.leave_test_mode()
            cr.rollback()
    if client:
        client.server.stop()


if __name__ == "__main__":
    main()
