"""Ticket kanban and list at scale: the first screen as the browser loads it.

Seeds N tickets (default 1,000,000) with SQL, spread over one year, 200
customers, the stages (most of them closed, as in a real database after a
year), priorities and traffic lights; then opens the Tickets menu as the
after-sales manager: the kanban grouped by stage with the "Open" filter
(``web_read_group`` for the columns, ``read_progress_bar`` for the traffic
light counters, one ``web_search_read`` per folded-out column), then the list
(``web_search_read`` of the first page with its count). Each call is timed
(median of --runs after a warm-up) and its queries counted; PostgreSQL's plan
of each SQL query of the screen is printed with --explain.

The tickets are inserted with SQL and COMMITTED into the given database (a
bulk load whose indexes must be built in an earlier transaction than the one
that uses them): run it on a throwaway copy and drop that copy afterwards:

    createdb -T aftersales_test aftersales_bench_kanban
    $ODOO_PYTHON benchmarks/bench_kanban.py -d aftersales_bench_kanban
    dropdb aftersales_bench_kanban
"""

import statistics
import time

import bench_common
from bench_portal import bulk_load

from odoo import SUPERUSER_ID, api

SECONDS_PER_YEAR = 365 * 24 * 3600
# built by aftersales.ticket.init() for the first screen of the ticket menu
SCREEN_INDEXES = (
    "aftersales_ticket_open_stage_index",
    "aftersales_ticket_open_priority_index",
)


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="tickets seeded with SQL"
    )
    parser.add_argument(
        "--open-share",
        type=float,
        default=0.03,
        help="share of the tickets still open (default 0.03)",
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per call")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of every query"
    )
    parser.add_argument(
        "--drop-indexes",
        action="store_true",
        help="drop the screen's indexes first (a database installed with them)",
    )
    return parser.parse_args()


def seed(registry, args):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if env["res.partner"].search_count([("name", "=", "Bench Kanban 0")]):
            print("already seeded")
            return
        channel = env.ref("aftersales_service.channel_phone")
        team = env["aftersales.team"].create({"name": "Bench Kanban Team"})
        partners = env["res.partner"].create(
            [{"name": f"Bench Kanban {i}"} for i in range(200)]
        )
        template = env["aftersales.ticket"].create(
            {
                "partner_id": partners[0].id,
                "symptom": "Does not start",
                "channel_id": channel.id,
                "team_id": team.id,
            }
        )
        ids = (template.id, partners.ids)
    template_id, partner_ids = ids
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        stages = env["aftersales.stage"].search([])
        open_stages = stages.filtered(lambda s: not s.is_closed)
        closed_stages = stages.filtered(lambda s: s.is_closed)
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'aftersales_ticket' AND column_name NOT IN "
            "('id', 'name', 'access_token', 'received_date', 'partner_id', "
            "'commercial_partner_id', 'stage_id', 'is_closed', 'outcome', "
            "'priority', 'traffic_light', 'closed_date') "
            "AND is_generated = 'NEVER'"
        )
        cols = [row[0] for row in cr.fetchall()]
        open_every = max(int(round(1 / args.open_share)), 1)
        start = time.perf_counter()
        with bulk_load(cr, "aftersales_ticket"):
            cr.execute(
                f"""
                WITH s AS (
                    SELECT g,
                           CASE WHEN g %% %(open_every)s = 0
                                THEN (%(open)s::int[])
                                     [1 + (g / %(open_every)s) %% %(n_open)s]
                                ELSE (%(closed)s::int[])[1 + g %% %(n_closed)s]
                           END AS stage_id
                      FROM generate_series(1, %(count)s) g
                )
                INSERT INTO aftersales_ticket (name, access_token, received_date,
                       partner_id, commercial_partner_id, stage_id, is_closed,
                       outcome, priority, traffic_light, closed_date,
                       {", ".join(cols)})
                SELECT t.name || '-k-' || s.g, md5(t.id || 'k' || s.g),
                       t.received_date - make_interval(secs => s.g * %(step)s),
                       (%(partners)s::int[])[1 + s.g %% 200],
                       (%(partners)s::int[])[1 + s.g %% 200],
                       s.stage_id, st.is_closed, st.outcome,
                       ((s.g / 7) %% 3)::varchar,
                       (ARRAY['green', 'green', 'green', 'yellow', 'red'])
                           [1 + s.g %% 5],
                       CASE WHEN st.is_closed
                            THEN t.received_date - make_interval(secs => s.g * %(step)s)
                                 + interval '2 days'
                       END,
                       {", ".join(f't."{c}"' for c in cols)}
                  FROM aftersales_ticket t, s
                  JOIN aftersales_stage st ON st.id = s.stage_id
                 WHERE t.id = %(template)s
                """,
                {
                    "open_every": open_every,
                    "open": open_stages.ids,
                    "n_open": len(open_stages),
                    "closed": closed_stages.ids,
                    "n_closed": len(closed_stages),
                    "count": args.tickets,
                    "step": SECONDS_PER_YEAR / max(args.tickets, 1),
                    "partners": partner_ids,
                    "template": template_id,
                },
            )
            inserted = time.perf_counter()
        cr.execute("ANALYZE aftersales_ticket")
        print(
            f"seeding: {args.tickets:,} tickets in {time.perf_counter() - start:.0f} s "
            f"(insert {inserted - start:.0f} s)"
        )


def spec_of(env, view_type):
    """The web client's ``specification`` for the fields of the view."""
    Ticket = env["aftersales.ticket"]
    view = Ticket.get_views([(False, view_type)])
    fields = view["models"]["aftersales.ticket"]["fields"]
    spec = {}
    for fname in fields:
        field = Ticket._fields.get(fname)
        if not field:
            continue
        if field.type == "many2one":
            spec[fname] = {"fields": {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            spec[fname] = {"fields": {}}
        else:
            spec[fname] = {}
    return spec


def first_screen(env):
    """[(label, call)] of the first screen of the kanban, then of the list."""
    Ticket = env["aftersales.ticket"].with_context(
        search_default_open=1, hierarchical_naming=False
    )
    domain = [("is_closed", "=", False)]
    kanban_spec = spec_of(env, "kanban")
    list_spec = spec_of(env, "list")
    groups = Ticket.web_read_group(
        domain, ["stage_id"], ["stage_id"], limit=80, lazy=True
    )["groups"]
    calls = [
        (
            "kanban: web_read_group (columns)",
            lambda: Ticket.web_read_group(
                domain, ["stage_id"], ["stage_id"], limit=80, lazy=True
            ),
        ),
        (
            "kanban: read_progress_bar (counters)",
            lambda: Ticket.read_progress_bar(
                domain,
                "stage_id",
                {
                    "field": "traffic_light",
                    "colors": {
                        "red": "danger",
                        "yellow": "warning",
                        "green": "success",
                    },
                },
            ),
        ),
    ]
    for group in groups:
        if group.get("__fold") or not group["stage_id"]:
            continue
        stage_id, stage_name = group["stage_id"]
        calls.append(
            (
                f"kanban: web_search_read column {stage_name}",
                lambda stage_id=stage_id: Ticket.web_search_read(
                    domain + [("stage_id", "=", stage_id)],
                    kanban_spec,
                    limit=40,
                ),
            )
        )
    calls.append(
        (
            "list: web_search_read page 1 + count",
            lambda: Ticket.web_search_read(
                domain, list_spec, limit=80, count_limit=10001
            ),
        )
    )
    return calls


def measure(env, calls, runs, explain):
    cr = env.cr
    total = 0.0
    print(f"{'call':<52}{'median ms':>10}{'min ms':>8}{'queries':>9}")
    for label, call in calls:
        env.invalidate_all()
        call()  # warm-up
        times = []
        queries = 0
        for __ in range(runs):
            env.invalidate_all()
            before = cr.sql_log_count
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
            queries = cr.sql_log_count - before
        median = statistics.median(times)
        total += median
        print(f"{label:<52}{median * 1000:>10.1f}{min(times) * 1000:>8.1f}{queries:>9}")
        if explain:
            explain_call(env, call)
    print(f"{'first screen, kanban + list (sum of medians)':<52}{total * 1000:>10.1f}")


def explain_call(env, call):
    """EXPLAIN ANALYZE every SELECT the call runs."""
    cr = env.cr
    statements = []
    original = cr.execute

    def recording(query, params=None, log_exceptions=True):
        if hasattr(query, "params"):  # an odoo.tools.SQL object
            query, params = query.code, query.params
        statements.append((query, params))
        return original(query, params, log_exceptions)

    env.invalidate_all()
    cr.execute = recording
    try:
        call()
    finally:
        cr.execute = original
    for query, params in statements:
        text = str(query)
        if not text.lstrip().upper().startswith("SELECT"):
            continue
        cr.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {text}", params)
        plan = "\n      ".join(row[0] for row in cr.fetchall())
        print(f"    {text[:160]}\n      {plan}")


def screen(registry, args, label):
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        manager = env["res.users"].search(
            [
                (
                    "groups_id",
                    "in",
                    env.ref("aftersales_service.group_aftersales_manager").id,
                ),
                ("share", "=", False),
            ],
            limit=1,
        )
        env = env(user=manager or env.ref("base.user_admin"))
        total = env["aftersales.ticket"].sudo().search_count([])
        open_count = (
            env["aftersales.ticket"].sudo().search_count([("is_closed", "=", False)])
        )
        print(f"\n{label}: {total:,} tickets, {open_count:,} open; as {env.user.name}")
        try:
            measure(env, first_screen(env), args.runs, args.explain)
        finally:
            cr.rollback()


def vacuum(registry):
    """What autovacuum does after a bulk load: the visibility map that lets
    PostgreSQL answer counts from an index alone, and fresh statistics."""
    with registry.cursor() as cr:
        cr.commit()
        cr._cnx.autocommit = True
        try:
            cr.execute("VACUUM ANALYZE aftersales_ticket")
        finally:
            cr._cnx.autocommit = False


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    seed(registry, args)
    vacuum(registry)
    if args.drop_indexes:
        with registry.cursor() as cr:
            for name in SCREEN_INDEXES:
                cr.execute(f'DROP INDEX IF EXISTS "{name}"')
    screen(registry, args, "without the screen's indexes")
    with registry.cursor() as cr:
        # what installing or updating the addon does: the model's init()
        start = time.perf_counter()
        api.Environment(cr, SUPERUSER_ID, {})["aftersales.ticket"].init()
        cr.commit()
        print(
            "\nindexes built (aftersales.ticket.init): "
            f"{time.perf_counter() - start:.0f} s"
        )
    vacuum(registry)
    screen(registry, args, "with the screen's indexes")


if __name__ == "__main__":
    main()
