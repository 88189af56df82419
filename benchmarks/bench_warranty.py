"""Warranty benchmarks.

1. Warranty status lookup of a serial among N warranty records (default
   1,000,000, inserted with ``INSERT ... SELECT generate_series``, not the
   ORM): the indexed search, and the ticket's full status compute.
2. Validating one delivery of M serials (default 5,000): seconds, queries
   per serial, and the share of the warranty batch creation in it.

Everything runs in one transaction on the given database and is rolled back
at the end. Run it from the repository root with the Python that runs Odoo 18,
on a database with the addon installed and no demo data; see
benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_warranty.py -d aftersales_bench
"""

import cProfile
import pstats
import random
import statistics
import time

import bench_common

from odoo import SUPERUSER_ID, api


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--warranties",
        type=int,
        default=1_000_000,
        help="serials with one warranty each, inserted with SQL (default 1000000)",
    )
    parser.add_argument(
        "--serials",
        type=int,
        default=5_000,
        help="serials in the validated delivery (default 5000)",
    )
    parser.add_argument(
        "--lookups",
        type=int,
        default=200,
        help="random serials looked up (default 200)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of the warranty batch creation",
    )
    return parser.parse_args()


def setup(env):
    term = env["aftersales.warranty.term"].create(
        {
            "name": "Bench term: 1 year",
            "duration": 1,
            "duration_unit": "year",
            "component_ids": [
                (0, 0, {"name": "Electrical", "duration": 18, "duration_unit": "month"})
            ],
        }
    )
    product = env["product.product"].create(
        {
            "name": "Bench Air Conditioner",
            "is_storable": True,
            "tracking": "serial",
            "aftersales_warranty_term_id": term.id,
        }
    )
    partner = env["res.partner"].create({"name": "Bench Customer"})
    return term, product, partner


def bulk_insert(env, term, product, partner, count):
    """``count`` serials and one warranty each, with SQL only."""
    cr = env.cr
    env.flush_all()
    start = time.perf_counter()
    cr.execute(
        """
        INSERT INTO stock_lot (name, product_id, company_id, create_uid,
                               create_date, write_uid, write_date)
        SELECT 'BW' || lpad(g::text, 8, '0'), %(product)s, %(company)s, 1,
               now(), 1, now()
          FROM generate_series(1, %(count)s) g
        """,
        {"product": product.id, "company": env.company.id, "count": count},
    )
    # Deliveries spread over the last 3 years: about a third still active.
    cr.execute(
        """
        INSERT INTO aftersales_warranty (
            name, company_id, state, partner_id, commercial_partner_id,
            product_id, lot_id, term_id, delivery_date, start_date,
            base_end_date, end_date, create_uid, create_date, write_uid,
            write_date)
        SELECT 'BWAR' || l.id, l.company_id,
               CASE WHEN d.day + 364 < current_date THEN 'expired'
                    ELSE 'active' END,
               %(partner)s, %(partner)s, l.product_id, l.id, %(term)s,
               d.day, d.day, d.day + 364, d.day + 364, 1, now(), 1, now()
          FROM stock_lot l,
               LATERAL (SELECT current_date - (l.id %% 1095) AS day) d
         WHERE l.product_id = %(product)s
        """,
        {"partner": partner.id, "term": term.id, "product": product.id},
    )
    cr.execute("ANALYZE stock_lot")
    cr.execute("ANALYZE aftersales_warranty")
    env.invalidate_all()
    cr.execute(
        "SELECT id FROM stock_lot WHERE product_id = %s ORDER BY id", [product.id]
    )
    lot_ids = [row[0] for row in cr.fetchall()]
    print(
        f"inserted {len(lot_ids)} serials and warranties with SQL in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return lot_ids


def bench_lookup(env, partner, lot_ids, lookups):
    rng = random.Random(4)
    sample = rng.sample(lot_ids, lookups)
    Warranty = env["aftersales.warranty"]
    Ticket = env["aftersales.ticket"]
    search_ms, ticket_ms = [], []
    for lot_id in sample:
        env.invalidate_all()
        start = time.perf_counter()
        warranty = Warranty.search([("lot_id", "=", lot_id)], limit=1)
        warranty.end_date  # noqa: B018 (fetch the record)
        search_ms.append((time.perf_counter() - start) * 1000)
        env.invalidate_all()
        start = time.perf_counter()
        ticket = Ticket.new({"lot_id": lot_id, "partner_id": partner.id})
        status = ticket.warranty_status
        ticket_ms.append((time.perf_counter() - start) * 1000)
        assert status in ("in", "partly", "out"), status

    def fmt(values):
        values = sorted(values)
        return (
            f"median {statistics.median(values):.2f} ms, "
            f"p95 {values[int(len(values) * 0.95) - 1]:.2f} ms"
        )

    total = Warranty.search_count([])
    print(f"lookup among {total} warranties ({lookups} random serials):")
    print(f"  indexed search by serial: {fmt(search_ms)}")
    print(f"  ticket warranty status (search + status compute): {fmt(ticket_ms)}")
    env.cr.execute(
        "EXPLAIN ANALYZE SELECT id FROM aftersales_warranty WHERE lot_id = %s",
        [sample[0]],
    )
    print("  plan:", " / ".join(row[0].strip() for row in env.cr.fetchall()))


def bench_delivery(env, product, partner, count, profile=False):
    Lot = env["stock.lot"]
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    stock = warehouse.lot_stock_id
    customers = env.ref("stock.stock_location_customers")
    lots = Lot.create(
        [{"name": f"BD{i:06d}", "product_id": product.id} for i in range(count)]
    )
    env["stock.quant"].create(
        [
            {
                "product_id": product.id,
                "location_id": stock.id,
                "lot_id": lot.id,
                "inventory_quantity": 1,
            }
            for lot in lots
        ]
    ).action_apply_inventory()
    picking = env["stock.picking"].create(
        {
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": partner.id,
            "location_id": stock.id,
            "location_dest_id": customers.id,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": product.name,
                        "product_id": product.id,
                        "product_uom_qty": count,
                        "product_uom": product.uom_id.id,
                        "location_id": stock.id,
                        "location_dest_id": customers.id,
                    },
                )
            ],
        }
    )
    picking.action_confirm()
    picking.action_assign()
    assert len(picking.move_line_ids.lot_id) == count, "not all serials reserved"
    picking.move_ids.picked = True

    # Time the warranty part on its own, inside the validation.
    StockMove = type(env["stock.move"])
    original = StockMove._aftersales_create_warranties
    measured = {}

    profiler = cProfile.Profile() if profile else None

    def timed(moves):
        queries = moves.env.cr.sql_log_count
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = original(moves)
        moves.env.flush_all()
        if profiler:
            profiler.disable()
        measured["seconds"] = time.perf_counter() - start
        measured["queries"] = moves.env.cr.sql_log_count - queries
        measured["count"] = len(result)
        return result

    StockMove._aftersales_create_warranties = timed
    try:
        env.flush_all()
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        result = picking.button_validate()
        env.flush_all()
        elapsed = time.perf_counter() - start
        queries = env.cr.sql_log_count - queries
    finally:
        StockMove._aftersales_create_warranties = original
    assert result is True, result
    created = env["aftersales.warranty"].search_count([("picking_id", "=", picking.id)])
    print(f"delivery of {count} serials validated in {elapsed:.2f} s, ", end="")
    print(f"{queries} queries = {queries / count:.2f} per serial")
    print(
        f"  of which warranties: {measured['count']} created "
        f"({created} found) in {measured['seconds']:.2f} s, "
        f"{measured['queries']} queries = "
        f"{measured['queries'] / count:.3f} per serial"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            term, product, partner = setup(env)
            lot_ids = bulk_insert(env, term, product, partner, args.warranties)
            bench_lookup(env, partner, lot_ids, args.lookups)
            bench_delivery(env, product, partner, args.serials, args.profile)
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
