"""Spare-part reservation benchmark.

Reserving one part for each of N tickets (default 1,000) in one batch action
(``aftersales.part.reservation.action_confirm``), side by side with
confirming N core ``repair.order`` s with one part each on the same database
(``repair.order._action_repair_confirm``, what the Confirm button runs once
the availability check passed). Both reserve real stock with Odoo's own
``stock.move._action_confirm`` / ``_action_assign``.

The database needs the addon and core ``repair`` installed, no demo data
(``repair`` is never a dependency of the addon; without it only the
reservations are measured). Everything runs in one transaction and is rolled
back at the end. Run it from the repository root with the Python that runs
Odoo 18; see benchmarks/README.md, "How to run", for the database and
connection options:

    $ODOO_PYTHON benchmarks/bench_parts.py -d aftersales_bench
"""

import cProfile
import pstats
import time

import bench_common

from odoo import SUPERUSER_ID, Command, api


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=1000,
        help="tickets with one reservation each, and as many repair orders "
        "(default 1000)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the reservation"
    )
    parser.add_argument(
        "--repair-first",
        action="store_true",
        help="confirm the repair orders before the reservations",
    )
    return parser.parse_args()


def setup(env, count):
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    part = env["product.product"].create(
        {"name": "Bench Control Board", "is_storable": True, "standard_price": 10}
    )
    unit = env["product.product"].create(
        {"name": "Bench Air Conditioner", "is_storable": True}
    )
    partner = env["res.partner"].create({"name": "Bench Customer"})
    # Enough stock for both runs: every reservation is fully reserved.
    env["stock.quant"]._update_available_quantity(
        part, warehouse.lot_stock_id, 2 * count + 10
    )
    env.flush_all()
    return warehouse, part, unit, partner


def measure(env, label, func, count, profile=False):
    env.flush_all()
    env.invalidate_all()
    cr = env.cr
    queries = cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    func()
    env.flush_all()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    queries = cr.sql_log_count - queries
    print(
        f"{label:<45} {seconds:8.2f} s {queries:8d} queries "
        f"{queries / count:7.2f} queries/ticket {seconds / count * 1000:7.2f} ms/ticket"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return seconds, queries


def bench_reservations(env, part, unit, partner, count, profile):
    tickets = env["aftersales.ticket"].create(
        [
            {
                "partner_id": partner.id,
                "product_id": unit.id,
                "symptom": f"Bench failure {index}",
            }
            for index in range(count)
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
    result = measure(
        env,
        f"aftersales: reserve parts for {count} tickets",
        reservations.action_confirm,
        count,
        profile,
    )
    moves = reservations.line_ids.move_id
    assert set(moves.mapped("state")) == {"assigned"}, set(moves.mapped("state"))
    return result


def bench_repairs(env, part, unit, partner, count):
    if "repair.order" not in env:
        print("repair is not installed on this database: no comparison")
        return None
    repairs = env["repair.order"].create(
        [
            {
                "partner_id": partner.id,
                "product_id": unit.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": part.id,
                            "product_uom_qty": 1,
                            "repair_line_type": "add",
                        }
                    )
                ],
            }
            for __ in range(count)
        ]
    )
    result = measure(
        env,
        f"core repair: confirm {count} repair orders",
        repairs._action_repair_confirm,
        count,
    )
    assert set(repairs.move_ids.mapped("state")) == {"assigned"}
    return result


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            __, part, unit, partner = setup(env, args.tickets)
            if args.repair_first:
                core = bench_repairs(env, part, unit, partner, args.tickets)
            ours = bench_reservations(
                env, part, unit, partner, args.tickets, args.profile
            )
            if not args.repair_first:
                core = bench_repairs(env, part, unit, partner, args.tickets)
            if core:
                print(
                    f"ratio aftersales / repair: time {ours[0] / core[0]:.2f}, "
                    f"queries {ours[1] / core[1]:.2f}"
                )
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
