"""Ticket quotation benchmark.

Building the one quotation of each of N tickets (default 1,000) in one batch
(``aftersales.ticket._build_quotations``, what the Quote button runs): per
ticket one consumed part the customer pays, labour from a visit's time on
site at the category's rate, travel at the team zone's fee; one sale order
per ticket with three lines. Then the same batch quoted again (every draft
quotation updated in place). Time and queries per ticket.

The database needs the addon installed, no demo data. Everything runs in one
transaction and is rolled back at the end. Run it from the repository root
with the Python that runs Odoo 18; see benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_quotation.py -d aftersales_bench
"""

import cProfile
import pstats
import time
from datetime import datetime, timedelta

import bench_common

from odoo import SUPERUSER_ID, Command, api


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets", type=int, default=1000, help="tickets quoted in one batch"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the first quote"
    )
    return parser.parse_args()


def setup(env, count):
    """N tickets with a consumed part, a checked-out visit, charged."""
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    Product = env["product.product"]
    part = Product.create(
        {
            "name": "Bench Control Board",
            "is_storable": True,
            "standard_price": 50,
            "list_price": 120,
        }
    )
    categ = env["product.category"].create({"name": "Bench Units"})
    unit = Product.create(
        {"name": "Bench Air Conditioner", "is_storable": True, "categ_id": categ.id}
    )
    labour = Product.create({"name": "Bench Labour", "type": "service"})
    travel = Product.create({"name": "Bench Travel", "type": "service"})
    team = env["aftersales.team"].create({"name": "Bench Team"})
    env["aftersales.service.fee"].create(
        [
            {
                "name": "Bench labour",
                "fee_type": "labour",
                "product_id": labour.id,
                "product_categ_id": categ.id,
                "price": 80,
                "cost": 50,
            },
            {
                "name": "Bench travel",
                "fee_type": "travel",
                "product_id": travel.id,
                "team_id": team.id,
                "price": 30,
                "cost": 20,
            },
        ]
    )
    partner = env["res.partner"].create({"name": "Bench Customer"})
    env["stock.quant"]._update_available_quantity(
        part, warehouse.lot_stock_id, count + 10
    )
    tickets = env["aftersales.ticket"].create(
        [
            {
                "partner_id": partner.id,
                "product_id": unit.id,
                "team_id": team.id,
                "symptom": f"Bench failure {index}",
            }
            for index in range(count)
        ]
    )
    start = datetime(2030, 3, 4, 9, 0)
    env["aftersales.visit"].create(
        [
            {
                "ticket_id": ticket.id,
                "planned_start": start,
                "planned_stop": start + timedelta(hours=2),
                "outside_hours_confirmed": True,
                "check_in_date": start,
                "check_out_date": start + timedelta(hours=1, minutes=30),
            }
            for ticket in tickets
        ]
    )
    reservations = env["aftersales.part.reservation"].create(
        [
            {
                "ticket_id": ticket.id,
                "line_ids": [Command.create({"product_id": part.id, "product_qty": 1})],
            }
            for ticket in tickets
        ]
    )
    reservations.action_confirm()
    # Consumed without building quotations: the benchmark measures the Quote.
    lines = reservations.line_ids
    lines.write({"qty_consumed": 1.0})
    reservations.sudo().write({"state": "done", "date_consumed": start})
    env.flush_all()
    return tickets


def measure(env, label, func, count, profile=False):
    env.flush_all()
    env.invalidate_all()
    cr = env.cr
    queries = cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    begin = time.perf_counter()
    if profiler:
        profiler.enable()
    func()
    env.flush_all()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - begin
    queries = cr.sql_log_count - queries
    print(
        f"{label:<45} {seconds:8.2f} s {queries:8d} queries "
        f"{queries / count:7.2f} queries/ticket {seconds / count * 1000:7.2f} ms/ticket"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return seconds, queries


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            tickets = setup(env, args.tickets)
            measure(
                env,
                f"quote {args.tickets} tickets (new quotations)",
                tickets._build_quotations,
                args.tickets,
                args.profile,
            )
            orders = tickets.quotation_id
            assert len(orders) == args.tickets, len(orders)
            assert set(orders.mapped(lambda o: len(o.order_line))) == {3}
            assert round(orders[0].amount_untaxed, 2) == 270.0, orders[0].amount_untaxed
            measure(
                env,
                f"quote {args.tickets} tickets again (updates)",
                tickets._build_quotations,
                args.tickets,
            )
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
