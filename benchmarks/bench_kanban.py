"""Ticket kanban, list and report pivots at scale: the first screens.

Seeds N tickets (default 1,000,000) with ``seed_tickets.py`` (a steady
pace of --per-day tickets a day, the newest --open still open, service-level
lines, visits, callbacks, activities), then opens, as the after-sales
manager and with the calls the web client makes:

- the Tickets menu: the kanban grouped by stage with the "Open" filter
  (``web_read_group`` for the columns, ``read_progress_bar`` for the traffic
  light counters, one ``web_search_read`` of 40 cards per folded-out column,
  with the fields the card's widgets ask for), then the list's first page
  (``web_search_read`` with its count);
- Reporting > Service Levels: the pivot (rows team, columns target) on its
  default filter, the current month (one ``read_group`` per row/column
  prefix, as the pivot loads it);
- Reporting > KPIs: the pivot (rows team, columns month) on its default
  filter, the current month.

Each call is measured (median of --runs after a warm-up): wall time, CPU
time of this process (``time.process_time``: the Python part, unaffected by
other load on the machine) and queries; PostgreSQL's plan of each SQL query
is printed with --explain.

The rows are COMMITTED into the given database: run it on a throwaway copy
and drop that copy afterwards:

    createdb -T aftersales_test aftersales_bench_kanban
    $ODOO_PYTHON benchmarks/bench_kanban.py -d aftersales_bench_kanban --explain
    dropdb aftersales_bench_kanban
"""

import statistics
import time
from datetime import datetime, timedelta

import bench_common
import pytz
import seed_tickets
from lxml import etree

from odoo import SUPERUSER_ID, api

# built by aftersales.ticket.init() for the first screen of the ticket menu
SCREEN_INDEXES = (
    "aftersales_ticket_open_stage_index",
    "aftersales_ticket_open_priority_index",
)
# fields the web client's widgets add to a record's specification
# (fieldDependencies of mail's kanban_activity / list_activity widgets)
WIDGET_DEPENDENCIES = {
    "kanban_activity": {
        "activity_exception_decoration": {},
        "activity_exception_icon": {},
        "activity_state": {},
        "activity_summary": {},
        "activity_type_icon": {},
        "activity_type_id": {"fields": {"display_name": {}}},
    },
}
WIDGET_DEPENDENCIES["list_activity"] = dict(
    WIDGET_DEPENDENCIES["kanban_activity"], activity_date_deadline={}
)


def parse_args():
    parser = bench_common.parser(__doc__)
    seed_tickets.add_arguments(parser)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per call")
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of every query"
    )
    parser.add_argument(
        "--drop-indexes",
        action="store_true",
        help="measure first without the screen's indexes, then build them "
        "(aftersales.ticket.init) and measure again",
    )
    parser.add_argument(
        "--screens",
        default="kanban,sla,kpi",
        help="comma-separated: kanban (kanban + list), sla, kpi",
    )
    return parser.parse_args()


def spec_of(env, model, view_type):
    """The web client's ``specification`` for the view: its fields (a
    many2one's display name, with the field's context), and the fields the
    widgets depend on."""
    Model = env[model]
    view = Model.get_views([(False, view_type)])
    arch = etree.fromstring(view["views"][view_type]["arch"])
    spec = {}
    for node in arch.iter("field"):
        fname = node.get("name")
        field = Model._fields.get(fname)
        if not field or fname in spec and spec[fname]:
            continue
        if field.type == "many2one":
            spec[fname] = {"fields": {"display_name": {}}}
            if node.get("context"):
                spec[fname]["context"] = node.get("context")
        elif field.type in ("one2many", "many2many"):
            spec[fname] = (
                {"fields": {"display_name": {}, "color": {}}}
                if node.get("widget") == "many2many_tags"
                else {"fields": {}}
            )
        else:
            spec[fname] = {}
        for dep, dep_spec in WIDGET_DEPENDENCIES.get(node.get("widget"), {}).items():
            spec.setdefault(dep, dep_spec)
    # hierarchical_naming=True in the team's context is evaluated by the
    # client: pass it as the dict it becomes
    for fspec in spec.values():
        if isinstance(fspec.get("context"), str):
            fspec["context"] = {"hierarchical_naming": True}
    return spec


def ticket_screen(env):
    """[(label, call)] of the first screen of the kanban, then of the list."""
    Ticket = env["aftersales.ticket"].with_context(
        search_default_open=1, hierarchical_naming=False
    )
    domain = [("is_closed", "=", False)]
    kanban_spec = spec_of(env, "aftersales.ticket", "kanban")
    list_spec = spec_of(env, "aftersales.ticket", "list")
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
                f"kanban: column {stage_name[:20]}",
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


def current_month(env):
    """The date filter's default period (the current month, in the user's
    time zone), as the search view sends it: UTC datetimes."""
    tz = pytz.timezone(env.user.tz or "UTC")
    now = datetime.now(tz)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(seconds=1)

    def utc(moment):
        return moment.astimezone(pytz.utc).strftime("%Y-%m-%d %H:%M:%S")

    return utc(start), utc(end)


def pivot_calls(env, model, date_field, rows, cols, measures, label):
    """The pivot's first load: one ``read_group`` per (row prefix, column
    prefix), on the action's default date filter (the current month)."""
    Model = env[model]
    start, end = current_month(env)
    domain = [(date_field, ">=", start), (date_field, "<=", end)]
    specs = [
        m if m == "__count" else f"{m}:{Model._fields[m].aggregator or 'sum'}"
        for m in measures
    ]
    prefixes = [
        rows[:i] + cols[:j] for i in range(len(rows) + 1) for j in range(len(cols) + 1)
    ]
    calls = [
        (
            f"{label}: read_group {'+'.join(groupby) or '(total)'}",
            lambda groupby=groupby: Model.read_group(
                domain, specs, groupby, lazy=False
            ),
        )
        for groupby in prefixes
    ]
    return calls


def sla_screen(env):
    return pivot_calls(
        env,
        "aftersales.sla.report",
        "start_date",
        ["team_id"],
        ["target_type"],
        ["compliance", "elapsed_hours", "median_hours", "p90_hours"],
        "SLA pivot",
    )


def kpi_screen(env):
    return pivot_calls(
        env,
        "aftersales.kpi.report",
        "date",
        ["team_id"],
        ["date:month"],
        [
            "ticket_count",
            "response_hours",
            "resolution_hours",
            "first_time_fix",
            "sla_compliance",
            "satisfaction",
        ],
        "KPI pivot",
    )


SCREENS = {"kanban": ticket_screen, "sla": sla_screen, "kpi": kpi_screen}


def measure(env, calls, runs, explain):
    cr = env.cr
    total_wall = total_cpu = 0.0
    total_queries = 0
    print(f"{'call':<48}{'wall ms':>9}{'CPU ms':>8}{'queries':>9}")
    for label, call in calls:
        env.invalidate_all()
        call()  # warm-up
        walls, cpus = [], []
        queries = 0
        for __ in range(runs):
            env.invalidate_all()
            before = cr.sql_log_count
            start, cpu = time.perf_counter(), time.process_time()
            call()
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - start)
            queries = cr.sql_log_count - before
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        total_wall += wall
        total_cpu += cpu
        total_queries += queries
        print(f"{label:<48}{wall * 1000:>9.1f}{cpu * 1000:>8.1f}{queries:>9}")
        if explain:
            explain_call(env, call)
    print(
        f"{'whole screen (sum of medians)':<48}{total_wall * 1000:>9.1f}"
        f"{total_cpu * 1000:>8.1f}{total_queries:>9}"
    )


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
        print(f"    {' '.join(text.split())[:200]}\n      {plan}")


def screens(registry, args, label):
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
        Ticket = env["aftersales.ticket"].sudo()
        total = Ticket.search_count([])
        open_count = Ticket.search_count([("is_closed", "=", False)])
        start, end = current_month(env)
        month = Ticket.search_count(
            [("received_date", ">=", start), ("received_date", "<=", end)]
        )
        print(
            f"\n{label}: {total:,} tickets, {open_count:,} open, {month:,} "
            f"received this month; as {env.user.name}"
        )
        try:
            for name in args.screens.split(","):
                print(f"\n[{name}]")
                measure(env, SCREENS[name](env), args.runs, args.explain)
        finally:
            cr.rollback()


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    seed_tickets.seed(registry, args)
    if args.drop_indexes:
        with registry.cursor() as cr:
            for name in SCREEN_INDEXES:
                cr.execute(f'DROP INDEX IF EXISTS "{name}"')
        screens(registry, args, "without the screen's indexes")
        with registry.cursor() as cr:
            # what installing or updating the addon does: the model's init()
            start = time.perf_counter()
            api.Environment(cr, SUPERUSER_ID, {})["aftersales.ticket"].init()
            cr.commit()
            print(
                "\nindexes built (aftersales.ticket.init): "
                f"{time.perf_counter() - start:.0f} s"
            )
        seed_tickets.vacuum(registry)
    screens(registry, args, "first screens")


if __name__ == "__main__":
    main()
