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


def report(label, result, profiler=None):
    print(
        f"{label:<45} {result.wall:8.2f} s {result.queries:8d} queries "
        f"{result.queries_per:7.2f} queries/ticket {result.wall_ms:7.2f} ms/ticket "
        f"{result.cpu_ms:7.2f} CPU ms/ticket"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def draft_reservations(env, part, unit, partner, count):
    """``count`` tickets with a draft reservation of one part each."""
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
    return env["aftersales.part.reservation"].create(
        [
            {
                "ticket_id": ticket.id,
                "line_ids": [Command.create({"product_id": part.id, "product_qty": 1})],
            }
            for ticket in tickets
        ]
    )


def check_reserved(reservations):
    moves = reservations.sudo().line_ids.move_id
    assert len(moves) == len(reservations.line_ids), "a line has no stock move"
    assert set(moves.mapped("state")) == {"assigned"}, set(moves.mapped("state"))
    assert set(reservations.mapped("state")) == {"confirmed"}


def draft_repairs(env, part, unit, partner, count):
    """``count`` draft core repair orders with one part line each."""
    return env["repair.order"].create(
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


def check_repaired(repairs):
    assert set(repairs.move_ids.mapped("state")) == {"assigned"}
    assert set(repairs.mapped("state")) == {"confirmed"}


def bench_reservations(env, part, unit, partner, count, profile):
    reservations = draft_reservations(env, part, unit, partner, count)
    # CPU time of this process: the machine's other load does not blur it
    profiler = cProfile.Profile(time.process_time) if profile else None
    result = bench_common.measure(env, reservations.action_confirm, count, profiler)
    report(f"aftersales: reserve parts for {count} tickets", result, profiler)
    check_reserved(reservations)
    return result


def bench_repairs(env, part, unit, partner, count):
    if "repair.order" not in env:
        print("repair is not installed on this database: no comparison")
        return None
    repairs = draft_repairs(env, part, unit, partner, count)
    result = bench_common.measure(env, repairs._action_repair_confirm, count)
    report(f"core repair: confirm {count} repair orders", result)
    check_repaired(repairs)
    return result


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        # a back-office user (the administrator) with chatter on
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": False})
        env = env(user=env.ref("base.user_admin"))
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
                    f"ratio aftersales / repair: time {ours.wall / core.wall:.2f}, "
                    f"CPU {ours.cpu / core.cpu:.2f}, "
                    f"queries {ours.queries / core.queries:.2f}"
                )
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
