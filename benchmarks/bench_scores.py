"""Performance scores and KPI workbook benchmarks.

1. Scorecards of 200 employees (100 agents, 80 technicians, 20 managers)
   over one month holding 100,000 tickets, 200,000 SLA lines, ~27,000
   answered callbacks and 20,000 consumed part reservations, all inserted
   with SQL: seconds and queries of ``_build_scores``.
2. The Excel KPI workbook of that month (the 100,000 tickets): seconds, then
   peak Python memory (tracemalloc) and the process's peak RSS.

Everything runs in one transaction on the given database and is rolled back
at the end. Run it from the repository root with the Python that runs Odoo 18,
on a database with the addon installed and no demo data; see
benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_scores.py -d aftersales_bench
"""

import resource
import time
import tracemalloc
from datetime import date, datetime

import bench_common

from odoo import SUPERUSER_ID, Command, api

MONTH = date(2026, 10, 1)


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=100_000,
        help="tickets inserted with SQL in the measured month (default 100000)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the workbook build"
    )
    return parser.parse_args()


def setup(env):
    """200 employees with profiles, 20 teams led by the managers."""
    ref = env.ref
    profiles = {
        role: ref(f"aftersales_service.performance_profile_{role}")
        for role in ("agent", "technician", "manager")
    }
    group_own = ref("aftersales_service.group_aftersales_user_own")
    users = (
        env["res.users"]
        .with_context(no_reset_password=True, mail_create_nolog=True)
        .create(
            [
                {
                    "name": f"Bench User {i}",
                    "login": f"bench_user_{i}",
                    "groups_id": [Command.set(group_own.ids)],
                }
                for i in range(120)
            ]
        )
    )
    agents_u, managers_u = users[:100], users[100:]
    Employee = env["hr.employee"]
    agents = Employee.create(
        [
            {
                "name": u.name,
                "user_id": u.id,
                "aftersales_profile_id": profiles["agent"].id,
            }
            for u in agents_u
        ]
    )
    technicians = Employee.create(
        [
            {
                "name": f"Bench Technician {i}",
                "aftersales_profile_id": profiles["technician"].id,
            }
            for i in range(80)
        ]
    )
    managers = Employee.create(
        [
            {
                "name": u.name,
                "user_id": u.id,
                "aftersales_profile_id": profiles["manager"].id,
            }
            for u in managers_u
        ]
    )
    region = env["aftersales.team"].create({"name": "Bench Region", "level": "region"})
    teams = env["aftersales.team"].create(
        [
            {
                "name": f"Bench Point {i}",
                "level": "point",
                "parent_id": region.id,
                "leader_id": managers_u[i].id,
                "member_ids": [Command.set(agents_u[i * 5 : i * 5 + 5].ids)],
                "technician_ids": [Command.set(technicians[i * 4 : i * 4 + 4].ids)],
            }
            for i in range(20)
        ]
    )
    return agents_u, technicians, teams, agents | technicians | managers


def clone(cr, table, template_id, overrides, source):
    """INSERT rows copying the template row, with SQL ``overrides``."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id'",
        [table],
    )
    columns = [row[0] for row in cr.fetchall()]
    values = [overrides.get(col, f"tpl.{col}") for col in columns]
    cr.execute(
        f"""
        INSERT INTO {table} ({", ".join(f'"{c}"' for c in columns)})
        SELECT {", ".join(values)} FROM {table} tpl, ({source}) src
         WHERE tpl.id = %(template)s
        """,
        {"template": template_id},
    )
    return cr.rowcount


def bulk_insert(env, agents_u, technicians, teams, count):
    cr = env.cr
    stage_closed = env.ref("aftersales_service.stage_solved")
    partner = env["res.partner"].create({"name": "Bench Customer"})
    tpl = env["aftersales.ticket"].create(
        {"partner_id": partner.id, "symptom": "bench", "team_id": teams[0].id}
    )
    env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )._aftersales_parts_setup()
    part = env["product.product"].create(
        {"name": "Bench Part", "is_storable": True, "standard_price": 25.0}
    )
    reservation = env["aftersales.part.reservation"].create(
        {
            "ticket_id": tpl.id,
            "line_ids": [Command.create({"product_id": part.id, "product_qty": 2})],
        }
    )
    callback = env["aftersales.callback"].create(
        {"name": "BENCH-CB", "ticket_id": tpl.id, "due_date": datetime(2026, 10, 1)}
    )
    env.flush_all()
    start = time.perf_counter()
    arr = lambda ids: "ARRAY[" + ",".join(map(str, ids)) + "]"  # noqa: E731
    clone(
        cr,
        "aftersales_ticket",
        tpl.id,
        {
            "name": "'BENCH' || g",
            "received_date": "timestamp '2026-10-01' + (g %% 30) * interval '1 day'"
            " + (g %% 20) * interval '1 hour'",
            "owner_id": f"({arr(agents_u.ids)})[g %% 100 + 1]",
            "technician_id": f"({arr(technicians.ids)})[g %% 80 + 1]",
            "technician_user_id": "NULL",
            "team_id": f"({arr(teams.ids)})[g %% 20 + 1]",
            "stage_id": f"CASE WHEN g %% 5 != 0 THEN {stage_closed.id} "
            "ELSE tpl.stage_id END",
            "is_closed": "g %% 5 != 0",
            "closed_date": "CASE WHEN g %% 5 != 0 THEN timestamp '2026-10-01' + "
            "(g %% 30) * interval '1 day' + interval '30 hours' END",
            "is_complaint": "g %% 50 = 0",
            "company_at_fault": "g %% 100 = 0",
            "complaint_state": "CASE WHEN g %% 50 = 0 THEN CASE WHEN g %% 5 != 0 "
            "THEN 'closed' ELSE 'open' END END",
        },
        f"SELECT generate_series(1, {count}) AS g",
    )
    cr.execute(
        """UPDATE aftersales_ticket t SET repeat_of_id = t.id - 1, is_repeat = TRUE
            WHERE t.name LIKE 'BENCH%%' AND substr(t.name, 6)::int %% 20 = 0""",
        {"unused": None},
    )
    cr.execute(
        """UPDATE aftersales_ticket t SET complaint_of_id = t.id - 2
            WHERE t.name LIKE 'BENCH%%' AND t.is_complaint""",
        {"unused": None},
    )
    source = (
        "SELECT t.*, substr(t.name, 6)::int AS g FROM aftersales_ticket t "
        "WHERE t.name LIKE 'BENCH%%'"
    )
    for target, statuses in (
        ("response", "(ARRAY['met','met','late','failed'])[g %% 4 + 1]"),
        ("resolution", "(ARRAY['met','late','on_time'])[g %% 3 + 1]"),
    ):
        cr.execute(
            f"""
            INSERT INTO aftersales_ticket_sla
                (ticket_id, company_id, target_type, target_hours, start_date,
                 deadline, status, elapsed_hours, reached_date, paused_hours,
                 warning_share)
            SELECT src.id, src.company_id, '{target}', 8, src.received_date,
                   src.received_date + interval '8 hours', {statuses}, g %% 10,
                   src.received_date + interval '2 hours', 0, 75
              FROM ({source}) src
            """,
            {"unused": None},
        )
    clone(
        cr,
        "aftersales_callback",
        callback.id,
        {
            "name": "'BENCH-CB' || src.g",
            "ticket_id": "src.id",
            "owner_id": "src.owner_id",
            "technician_id": "src.technician_id",
            "team_id": "src.team_id",
            "state": "'answered'",
            "has_scores": "TRUE",
            "answered_date": "src.closed_date + interval '2 hours'",
            "satisfaction": "1 + src.g %% 5",
            "conduct": "1 + (src.g / 3) %% 5",
            "nps_score": "src.g %% 11",
            "nps_category": "CASE WHEN src.g %% 11 >= 9 THEN 'promoter' "
            "WHEN src.g %% 11 >= 7 THEN 'passive' ELSE 'detractor' END",
        },
        source + " AND t.is_closed AND substr(t.name, 6)::int %% 3 = 0",
    )
    clone(
        cr,
        "aftersales_part_reservation",
        reservation.id,
        {
            "name": "'BENCH-R' || src.g",
            "ticket_id": "src.id",
            "team_id": "src.team_id",
            "technician_id": "src.technician_id",
            "state": "'done'",
            "date_consumed": "src.received_date + interval '1 day'",
            "warranty_cost": "50",
        },
        source + " AND substr(t.name, 6)::int %% 5 = 1",
    )
    line = reservation.line_ids
    clone(
        cr,
        "aftersales_part_reservation_line",
        line.id,
        {
            "reservation_id": "src.id",
            "ticket_id": "src.ticket_id",
            "technician_id": "src.technician_id",
            "state": "'done'",
            "date_consumed": "src.date_consumed",
            "product_qty": "2",
            "qty_consumed": "1 + src.id %% 2",
            "consumed_product_qty": "1 + src.id %% 2",
            "warranty_cost": "50",
            "move_id": "NULL",
        },
        "SELECT * FROM aftersales_part_reservation WHERE name LIKE 'BENCH-R%%'",
    )
    cr.execute("ANALYZE")
    counts = {}
    for table in (
        "aftersales_ticket",
        "aftersales_ticket_sla",
        "aftersales_callback",
        "aftersales_part_reservation_line",
    ):
        cr.execute(f"SELECT count(*) FROM {table}")
        counts[table] = cr.fetchone()[0]
    print(f"inserted in {time.perf_counter() - start:.1f} s: {counts}")
    env.invalidate_all()


def bench_scores(env, employees):
    Score = env["aftersales.performance.score"]
    cr = env.cr
    for attempt in ("first build", "rebuild (replaces the drafts)"):
        env.invalidate_all()
        queries = cr.sql_log_count
        start = time.perf_counter()
        scores = Score._build_scores("month", MONTH, employees=employees)
        env.flush_all()
        elapsed = time.perf_counter() - start
        print(
            f"scorecards, {attempt}: {len(scores)} employees, "
            f"{len(scores.line_ids)} indicator lines in {elapsed:.2f} s, "
            f"{cr.sql_log_count - queries} queries"
        )
    totals = scores.mapped("total_score")
    print(
        f"  totals: min {min(totals):.1f} / avg {sum(totals) / len(totals):.1f} / "
        f"max {max(totals):.1f}, stars {len(scores.filtered('is_service_star'))}, "
        f"below target {len(scores.filtered('below_target'))}"
    )


def bench_workbook(env, profile=False):
    wizard = env["aftersales.kpi.workbook.wizard"].create(
        {"date_from": MONTH, "date_to": date(2026, 10, 31)}
    )
    start = time.perf_counter()
    content = wizard._build_workbook()
    elapsed = time.perf_counter() - start
    if profile:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        profiler = cProfile.Profile()
        profiler.runcall(wizard._build_workbook)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    print(f"workbook: {len(content) / 1e6:.1f} MB in {elapsed:.2f} s")
    tracemalloc.start()
    wizard._build_workbook()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"workbook: peak Python memory {peak / 1e6:.1f} MB (tracemalloc), "
        f"process peak RSS {rss:.0f} MB"
    )


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        try:
            agents_u, technicians, teams, employees = setup(env)
            bulk_insert(env, agents_u, technicians, teams, args.tickets)
            bench_scores(env, employees)
            bench_workbook(env, args.profile)
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
