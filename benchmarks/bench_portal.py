"""Customer-side benchmarks.

1. ``/my/tickets`` (first page) for a portal customer with few, then many
   tickets (default 1,000) in a database of many tickets (default 200,000,
   inserted with SQL): time and queries of the HTTP request, served by Odoo's
   own HTTP server in this process.
2. E-mail intake: N new e-mails (default 1,000) to a team alias through
   Odoo's mail gateway (``message_process``): seconds and queries per ticket.

Everything runs in one transaction on the given database and is rolled back
at the end (the HTTP server works on the same transaction, as in Odoo's
HttpCase). Run it from the repository root with the Python that runs Odoo 18,
on a database with the addon installed and no demo data; see
benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_portal.py -d aftersales_bench
"""

import re
import socket
import statistics
import time
from email.message import EmailMessage
from email.utils import make_msgid

import bench_common
import requests

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import config


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=1_000,
        help="tickets of the measured customer (default 1000)",
    )
    parser.add_argument(
        "--few",
        type=int,
        default=25,
        help="tickets of the customer in the first measure (default 25)",
    )
    parser.add_argument(
        "--others",
        type=int,
        default=200_000,
        help="tickets of other customers inserted with SQL (default 200000)",
    )
    parser.add_argument(
        "--emails",
        type=int,
        default=1_000,
        help="new e-mails fed to the mail gateway (default 1000)",
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="timed requests per measure"
    )
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(env):
    company = env.company
    team = env["aftersales.team"].create({"name": "Bench Point", "level": "point"})
    channel = env.ref("aftersales_service.channel_phone")
    customer = env["res.partner"].create(
        {"name": "Bench Customer", "email": "bench.customer@example.com"}
    )
    env["res.users"].with_context(no_reset_password=True).create(
        {
            "name": "Bench Portal",
            "login": "bench_portal",
            "password": "bench_portal",
            "partner_id": customer.id,
            "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        }
    )
    other = env["res.partner"].create({"name": "Bench Other Customer"})
    vals = {"symptom": "Does not start", "channel_id": channel.id, "team_id": team.id}
    template = env["aftersales.ticket"].create(dict(vals, partner_id=customer.id))
    other_template = env["aftersales.ticket"].create(dict(vals, partner_id=other.id))
    return company, team, template, other_template


def copy_tickets(env, template, count, tag):
    """Copy the template ticket ``count`` times with SQL (no SLA lines: the
    list does not read them); references end with ``-tag-n``."""
    cr = env.cr
    env.flush_all()
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'aftersales_ticket' AND column_name NOT IN "
        "('id', 'name', 'access_token') AND is_generated = 'NEVER'"
    )
    cols = [row[0] for row in cr.fetchall()]
    cr.execute(
        f"""
        INSERT INTO aftersales_ticket (name, access_token, {", ".join(cols)})
        SELECT t.name || '-' || %s || '-' || g, md5(random()::text),
               {", ".join(f't."{c}"' for c in cols)}
        FROM aftersales_ticket t, generate_series(1, %s) g
        WHERE t.id = %s
        """,
        [tag, count, template.id],
    )
    cr.execute("ANALYZE aftersales_ticket")
    env.invalidate_all()


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
    client.get("/my/tickets")  # warm: templates compiled, caches filled
    times, queries = [], []
    for __ in range(runs):
        count = env.cr.sql_log_count
        start = time.perf_counter()
        page = client.get("/my/tickets?filterby=all")
        times.append(time.perf_counter() - start)
        queries.append(env.cr.sql_log_count - count)
    rows = len(set(re.findall(r'href="/my/tickets/(\d+)"', page.text)))
    print(
        f"/my/tickets ({label}): median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f}), queries {sorted(set(queries))}, "
        f"{rows} rows shown"
    )


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


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    client = None
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            __, team, template, other_template = setup(env)
            bench_email(env, team, args.emails)
            copy_tickets(env, other_template, args.others, "o")
            copy_tickets(env, template, args.few - 1, "a")
            total = env["aftersales.ticket"].search_count([])
            print(f"database: {total} tickets")
            client = Client(registry, cr, args.database)
            client.login("bench_portal", "bench_portal")
            measure_list(env, client, f"customer with {args.few} tickets", args.runs)
            copy_tickets(env, template, args.tickets - args.few, "b")
            env.flush_all()
            measure_list(
                env, client, f"customer with {args.tickets} tickets", args.runs
            )
        finally:
            if client:
                client.registry.leave_test_mode()
            cr.rollback()
    if client:
        client.server.stop()


if __name__ == "__main__":
    main()
