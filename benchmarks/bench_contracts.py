"""Service contract benchmark: entitlement lookup and the renewal job.

1. Entitlement lookup: among N contracts' serials (default 1,000,000), which
   entitlement applies to one serial on a date for a resolution mode
   (``aftersales.contract.entitlement._lookup``, what every ticket and visit
   asks): milliseconds per lookup over many random serials, the number of
   queries (one), and PostgreSQL's plan for it.
2. Renewal job (``aftersales.contract._cron_renewal``) with R contracts
   (default 100,000) whose reminder has come among the N: seconds, queries
   and time per reminder (one activity and one e-mail each).

Data inserted with SQL (``INSERT ... SELECT generate_series``, not the ORM):
N/10 customers, N serials, N active 3-year contracts with one serial each
and two entitlements per serial (on site in year 1, carry-in in years 2-3,
the carry-in counted: 5 services). The first R contracts end in 15 days;
the others started over the last 900 days.

Everything runs in one transaction on the given database and is rolled back
at the end (the job's per-batch commits are turned off, as in tests). Run it
from the repository root with the Python that runs Odoo 18, on a database
with the addon installed and no demo data; see benchmarks/README.md:

    $ODOO_PYTHON benchmarks/bench_contracts.py -d aftersales_bench
"""

import random
import statistics
import threading
import time

import bench_common

from odoo import SUPERUSER_ID, api, fields


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--contracts",
        type=int,
        default=1_000_000,
        help="contracts (one serial each), inserted with SQL",
    )
    parser.add_argument(
        "--renewals",
        type=int,
        default=100_000,
        help="contracts among them whose renewal reminder is due",
    )
    parser.add_argument(
        "--lookups", type=int, default=2000, help="random serials looked up"
    )
    parser.add_argument(
        "--batch", type=int, default=1000, help="contracts per renewal batch"
    )
    parser.add_argument(
        "--skip-renewal", action="store_true", help="measure the lookup only"
    )
    return parser.parse_args()


def setup(env, count, renewals):
    cr = env.cr
    company = env.company
    product = env["product.product"].create(
        {"name": "Bench Boiler", "is_storable": True, "tracking": "serial"}
    )
    env.flush_all()
    start = time.perf_counter()
    # Trigram (GIN) indexes of names make million-row inserts take many
    # minutes; the lookup never uses them. Dropped inside the benchmark's
    # transaction, they come back with the rollback.
    cr.execute(
        """
        SELECT indexname FROM pg_indexes
         WHERE tablename IN ('stock_lot', 'res_partner', 'aftersales_contract')
           AND indexdef LIKE '%%gin_trgm_ops%%'
        """
    )
    for (index,) in cr.fetchall():
        cr.execute(f'DROP INDEX "{index}"')
    customers = max(count // 10, 1)
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                 lang, autopost_bills, email,
                                 create_uid, create_date, write_uid, write_date)
        SELECT 'Bench Contract Customer ' || g, 'Bench Contract Customer ' || g,
               true, 'contact', true, 'en_US', 'ask',
               'bench' || g || '@example.com', 1, now(), 1, now()
          FROM generate_series(1, %s) g
        RETURNING id
        """,
        [customers],
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
        SELECT 'BC' || lpad(g::text, 8, '0'), %(product)s, %(company)s, 1,
               now(), 1, now()
          FROM generate_series(1, %(count)s) g
        """,
        {"product": product.id, "company": company.id, "count": count},
    )
    # contract n: serial n, customer n % customers; the first `renewals`
    # end in 15 days, the others started over the last 900 days (3 years)
    cr.execute(
        """
        WITH lots AS (
            SELECT id, row_number() OVER (ORDER BY id) AS n
              FROM stock_lot WHERE product_id = %(product)s
        ), partners AS (
            SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
              FROM unnest(%(partners)s::int[]) AS id
        ), c AS (
            SELECT l.id AS lot_id, l.n, p.id AS partner_id,
                   CASE WHEN l.n <= %(renewals)s
                        THEN (current_date - interval '3 years'
                              + interval '16 days')::date
                        ELSE current_date - (l.n %% 900)::int END AS day
              FROM lots l
              JOIN partners p ON p.k = l.n %% %(customers)s
        )
        INSERT INTO aftersales_contract (
            name, company_id, state, partner_id, commercial_partner_id,
            coverage, response_tier, date_start, date_end, reminder_days,
            reminder_date, inspection_interval, inspection_lead_days, price,
            user_id, create_uid, create_date, write_uid, write_date)
        SELECT 'BSC' || c.n, %(company)s, 'active', c.partner_id, c.partner_id,
               'serials', 'standard', c.day,
               (c.day + interval '3 years' - interval '1 day')::date, 30,
               (c.day + interval '3 years' - interval '31 days')::date, 0, 30,
               1200, 2, 1, now(), 1, now()
          FROM c
        """,
        {
            "product": product.id,
            "company": company.id,
            "partners": partner_ids,
            "customers": customers,
            "renewals": renewals,
        },
    )
    cr.execute(
        """
        INSERT INTO aftersales_contract_lot_rel (contract_id, lot_id)
        SELECT c.id, l.id
          FROM aftersales_contract c
          JOIN stock_lot l ON l.name = 'BC' || lpad(substr(c.name, 4), 8, '0')
         WHERE c.name LIKE 'BSC%%' AND l.product_id = %s
        """,
        [product.id],
    )
    cr.execute(
        """
        INSERT INTO aftersales_contract_entitlement (
            contract_id, company_id, partner_id, lot_id, resolution_mode,
            date_from, date_to, quantity, used_count, covers_parts, active,
            create_uid, create_date, write_uid, write_date)
        SELECT c.id, c.company_id, c.partner_id, r.lot_id, m.mode,
               (c.date_start + m.from_months)::date,
               LEAST((c.date_start + m.to_months - interval '1 day')::date,
                     c.date_end),
               m.quantity, 0, true, true, 1, now(), 1, now()
          FROM aftersales_contract c
          JOIN aftersales_contract_lot_rel r ON r.contract_id = c.id
         CROSS JOIN (VALUES ('onsite', interval '0 months', interval '12 months', 0),
                            ('carry_in', interval '12 months', interval '36 months', 5)
                    ) AS m(mode, from_months, to_months, quantity)
         WHERE c.name LIKE 'BSC%%'
        """
    )
    for table in (
        "res_partner",
        "stock_lot",
        "aftersales_contract",
        "aftersales_contract_lot_rel",
        "aftersales_contract_entitlement",
    ):
        cr.execute(f"ANALYZE {table}")  # noqa: S608 (constant table names)
    cr.execute("SELECT count(*) FROM aftersales_contract_entitlement")
    entitlements = cr.fetchone()[0]
    env.invalidate_all()
    print(
        f"inserted {customers} customers, {count} serials and contracts, "
        f"{entitlements} entitlements with SQL in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return product


def bench_lookup(env, product, args):
    cr = env.cr
    Entitlement = env["aftersales.contract.entitlement"]
    # random serials of the benchmark's product, through the lookup index
    cr.execute(
        """
        SELECT l.id, (SELECT e.partner_id FROM aftersales_contract_entitlement e
                       WHERE e.active AND e.lot_id = l.id LIMIT 1)
          FROM (SELECT id FROM stock_lot WHERE product_id = %s
                 ORDER BY random() LIMIT %s) l
        """,
        [product.id, args.lookups],
    )
    samples = cr.fetchall()
    today = fields.Date.context_today(Entitlement)
    modes = ["onsite", "carry_in", "remote", None]
    rng = random.Random(14)
    Entitlement._lookup([(samples[0][0], samples[0][1], "onsite", today)])  # warm
    times = []
    queries = cr.sql_log_count
    found = 0
    for lot_id, partner_id in samples:
        start = time.perf_counter()
        result = Entitlement._lookup([(lot_id, partner_id, rng.choice(modes), today)])
        times.append((time.perf_counter() - start) * 1000)
        found += bool(result[0])
    queries = cr.sql_log_count - queries
    times.sort()
    print(
        f"lookup of one serial among {args.contracts} contracts' serials: "
        f"{len(samples)} random serials, median {statistics.median(times):.2f} ms, "
        f"p95 {times[int(len(times) * 0.95)]:.2f} ms, max {times[-1]:.2f} ms; "
        f"{queries / len(samples):.2f} queries per lookup; {found} found"
    )
    batch = [(lot, partner, "carry_in", today) for lot, partner in samples]
    queries = cr.sql_log_count
    start = time.perf_counter()
    Entitlement._lookup(batch)
    print(
        f"lookup of {len(batch)} serials in one call: "
        f"{(time.perf_counter() - start) * 1000:.1f} ms, "
        f"{cr.sql_log_count - queries} query"
    )
    # what PostgreSQL does for one lookup
    lot_id, partner_id = samples[0]
    cr.execute(
        """
        EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
        SELECT e.id FROM aftersales_contract_entitlement e
         WHERE e.active
           AND (e.lot_id = %(lot)s
                OR (e.lot_id IS NULL AND e.partner_id = %(partner)s))
           AND e.date_from <= %(day)s
         ORDER BY (e.date_to >= %(day)s) DESC, e.date_to DESC, e.id
         LIMIT 1
        """,
        {"lot": lot_id, "partner": partner_id, "day": today},
    )
    print("plan:\n  " + "\n  ".join(row[0] for row in cr.fetchall()))


def bench_renewal(env, args):
    Contract = env["aftersales.contract"]
    threading.current_thread().testing = True
    try:
        env.flush_all()
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        cpu = time.process_time()
        expired, reminded = Contract._cron_renewal(batch_size=args.batch)
        env.flush_all()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        queries = env.cr.sql_log_count - queries
    finally:
        threading.current_thread().testing = False
    print(
        f"renewal job over {args.contracts} contracts: {reminded} reminders "
        f"(activity + e-mail each), {expired} expired, in {elapsed:.1f} s = "
        f"{elapsed / max(reminded, 1) * 1000:.2f} ms per reminder (Odoo CPU "
        f"{cpu:.1f} s); {queries} queries = "
        f"{queries / max(reminded, 1):.2f} per reminder"
    )
    start = time.perf_counter()
    again = Contract._cron_renewal(batch_size=args.batch)
    print(
        f"rerun: {again[1]} reminders in {time.perf_counter() - start:.2f} s "
        "(nobody reminded twice)"
    )


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            product = setup(env, args.contracts, args.renewals)
            bench_lookup(env, product, args)
            if not args.skip_renewal:
                bench_renewal(env, args)
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
