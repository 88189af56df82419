"""Periodic inspection benchmark.

Generating a year of inspection visits for N warranties (default 100,000)
in one run of the job (``aftersales.warranty._cron_generate_inspections``
with a one-year horizon): seconds and queries per visit, and the share of
the ticket and visit creation in it.

Data inserted with SQL (``INSERT ... SELECT generate_series``, not the ORM):
N customers spread over the states of M service teams, one serial and one
active warranty each on a 3-year term inspected every 6 months, warranty
starts spread over the last 2 years, so each warranty has two inspections
due within the year.

Everything runs in one transaction on the given database and is rolled back
at the end: the job's per-batch commits are turned off (as in tests); each
batch still runs in its own savepoint. Run it from the repository root with
the Python that runs Odoo 18, on a database with the addon installed and no
demo data; see benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_inspections.py -d aftersales_bench
"""

import cProfile
import pstats
import threading
import time

import bench_common

from odoo import SUPERUSER_ID, api, fields


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--warranties",
        type=int,
        default=100_000,
        help="warranties (one customer and serial each), inserted with SQL",
    )
    parser.add_argument(
        "--teams", type=int, default=20, help="service teams, one state each"
    )
    parser.add_argument(
        "--batch", type=int, default=500, help="inspections per batch (create)"
    )
    parser.add_argument(
        "--horizon", type=int, default=365, help="days ahead to plan (a year)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of the job (cumulative and own time)",
    )
    parser.add_argument(
        "--profile-file",
        default="bench_inspections.prof",
        help="where --profile also saves the raw profile (pstats)",
    )
    return parser.parse_args()


def setup(env, count, teams):
    cr = env.cr
    company = env.company
    term = env["aftersales.warranty.term"].create(
        {
            "name": "Bench: 3 years, inspected every 6 months",
            "duration": 3,
            "duration_unit": "year",
            "inspection_interval": 6,
            "inspection_lead_days": 30,
        }
    )
    product = env["product.product"].create(
        {
            "name": "Bench Chiller",
            "is_storable": True,
            "tracking": "serial",
            "aftersales_warranty_term_id": term.id,
        }
    )
    country = env.ref("base.cn")
    states = env["res.country.state"].create(
        [
            {"name": f"Bench State {i}", "code": f"BS{i}", "country_id": country.id}
            for i in range(teams)
        ]
    )
    env["aftersales.team"].create(
        [
            {"name": f"Bench Point {i}", "state_ids": [(6, 0, [state.id])]}
            for i, state in enumerate(states)
        ]
    )
    env.flush_all()
    start = time.perf_counter()
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                 lang, country_id, state_id, autopost_bills,
                                 create_uid, create_date, write_uid, write_date)
        SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, true, 'contact',
               false, 'en_US', %(country)s,
               (%(states)s::int[])[1 + g %% %(teams)s], 'ask', 1, now(), 1, now()
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """,
        {
            "country": country.id,
            "states": states.ids,
            "teams": teams,
            "count": count,
        },
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
        [partner_ids],
    )
    cr.execute(
        """
        INSERT INTO stock_lot (name, product_id, company_id, create_uid,
                               create_date, write_uid, write_date)
        SELECT 'BI' || lpad(g::text, 8, '0'), %(product)s, %(company)s, 1,
               now(), 1, now()
          FROM generate_series(1, %(count)s) g
        """,
        {"product": product.id, "company": company.id, "count": count},
    )
    # Starts spread over the last 2 years (3-year term): all active, each
    # with two 6-monthly inspections due within the coming year.
    cr.execute(
        """
        WITH lots AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM stock_lot WHERE product_id = %(product)s
        ), partners AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM unnest(%(partners)s::int[]) AS id
        )
        INSERT INTO aftersales_warranty (
            name, company_id, state, partner_id, commercial_partner_id,
            product_id, lot_id, term_id, delivery_date, start_date,
            base_end_date, end_date, create_uid, create_date, write_uid,
            write_date)
        SELECT 'BIWAR' || l.id, %(company)s, 'active', p.id, p.id, %(product)s,
               l.id, %(term)s, d.day, d.day,
               (d.day + interval '3 years' - interval '1 day')::date,
               (d.day + interval '3 years' - interval '1 day')::date,
               1, now(), 1, now()
          FROM lots l
          JOIN partners p ON p.n = l.n,
               LATERAL (SELECT current_date - (l.n %% 730)::int AS day) d
        """,
        {
            "product": product.id,
            "company": company.id,
            "partners": partner_ids,
            "term": term.id,
        },
    )
    for table in ("res_partner", "stock_lot", "aftersales_warranty"):
        cr.execute(f"ANALYZE {table}")  # noqa: S608 (constant table names)
    env.invalidate_all()
    print(
        f"inserted {count} customers, serials and warranties with SQL in "
        f"{time.perf_counter() - start:.1f} s"
    )


def bench_job(env, args):
    Warranty = env["aftersales.warranty"]
    Visit = env["aftersales.visit"]
    planner = type(Visit)._plan_periodic_visits
    measured = {"seconds": 0.0, "queries": 0, "calls": 0}

    def timed(self, *a, **kw):
        queries = self.env.cr.sql_log_count
        start = time.perf_counter()
        result = planner(self, *a, **kw)
        self.env.flush_all()
        measured["seconds"] += time.perf_counter() - start
        measured["queries"] += self.env.cr.sql_log_count - queries
        measured["calls"] += 1
        return result

    type(Visit)._plan_periodic_visits = timed
    # No commits: the whole benchmark is rolled back (see the docstring).
    threading.current_thread().testing = True
    profiler = cProfile.Profile() if args.profile else None
    try:
        env.flush_all()
        due = len(
            Warranty._inspections_due(fields.Date.context_today(Warranty), args.horizon)
        )
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        created = Warranty._cron_generate_inspections(
            batch_size=args.batch, horizon_days=args.horizon
        )
        env.flush_all()
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        queries = env.cr.sql_log_count - queries
    finally:
        type(Visit)._plan_periodic_visits = planner
        threading.current_thread().testing = False
    visits = Visit.search_count([("plan_res_model", "=", "aftersales.warranty")])
    tickets = env["aftersales.ticket"].search_count([("is_planned_work", "=", True)])
    print(
        f"{args.warranties} warranties, horizon {args.horizon} days, "
        f"batches of {args.batch}: {due} inspections due"
    )
    print(
        f"job: {created} visits (+{tickets} tickets; {visits} found) in "
        f"{elapsed:.1f} s = {elapsed / max(created, 1) * 1000:.2f} ms per visit "
        f"(Odoo process CPU {cpu:.1f} s = {cpu / max(created, 1) * 1000:.2f} ms "
        "per visit)"
    )
    print(f"  queries: {queries} = {queries / max(created, 1):.2f} per visit")
    print(
        f"  of which planner ({measured['calls']} batches, tickets + visits "
        f"creates, flush included): {measured['seconds']:.1f} s, "
        f"{measured['queries']} queries"
    )
    start = time.perf_counter()
    again = Warranty._cron_generate_inspections(
        batch_size=args.batch, horizon_days=args.horizon
    )
    print(
        f"rerun: {again} visits created in {time.perf_counter() - start:.2f} s "
        "(nothing planned twice)"
    )
    if profiler:
        profiler.dump_stats(args.profile_file)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            setup(env, args.warranties, args.teams)
            bench_job(env, args)
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
