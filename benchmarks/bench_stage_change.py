"""Stage change of a batch of tickets in one write().

Creates N tickets (default 500) with their SLA lines, then moves them all in
one ``write()`` through the transitions of the lifecycle: into a pausing
stage, back to work, solved, and solved -> cancelled. Reports the time and
queries per ticket of each write. Chatter (tracking) stays on, as a
back-office user has it.

Everything runs in one transaction on the given database and is rolled back
at the end. Run it from the repository root with the Python that runs Odoo 18
on a database with the addon installed and no demo data:

    $ODOO_PYTHON benchmarks/bench_stage_change.py -d aftersales_bench
"""

import time

import bench_common

from odoo import SUPERUSER_ID, api


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=500,
        help="tickets moved in one write() (default 500)",
    )
    parser.add_argument(
        "--customer-email",
        action="store_true",
        help="the customer has an e-mail address: the stages with a template "
        "e-mail each customer (Odoo's stage e-mail per ticket)",
    )
    parser.add_argument(
        "--email-follower",
        action="store_true",
        help="an internal user notified by e-mail follows every ticket: each "
        "stage message is e-mailed to them",
    )
    return parser.parse_args()


def count_queries(cr, fn):
    before = cr.sql_log_count
    start = time.perf_counter()
    cpu = time.process_time()
    fn()
    cr.flush()
    return (
        time.perf_counter() - start,
        time.process_time() - cpu,
        cr.sql_log_count - before,
    )


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        user = env.ref("base.user_admin")
        env = env(user=user)
        partner = env["res.partner"].create(
            {
                "name": "Bench customer",
                "email": "bench.customer@example.com" if args.customer_email else False,
            }
        )
        channel = env.ref("aftersales_service.channel_phone")
        tickets = env["aftersales.ticket"].create(
            [
                {
                    "partner_id": partner.id,
                    "channel_id": channel.id,
                    "symptom": f"Bench symptom {index}",
                }
                for index in range(args.tickets)
            ]
        )
        if args.email_follower:
            follower = env["res.users"].create(
                {
                    "name": "Bench follower",
                    "login": "bench_follower",
                    "email": "bench.follower@example.com",
                    "notification_type": "email",
                }
            )
            tickets.message_subscribe(partner_ids=follower.partner_id.ids)
        env.flush_all()
        # run the creation's pending tracking now: left pending, it would
        # discard the tracking of the first write measured below
        cr.flush()
        steps = [
            ("into a pausing stage", "aftersales_service.stage_waiting"),
            ("back to work", "aftersales_service.stage_in_repair"),
            ("solved", "aftersales_service.stage_solved"),
            ("solved -> cancelled", "aftersales_service.stage_cancelled"),
        ]
        print(
            f"Stage change of {len(tickets)} tickets in one write()"
            f"{', customer with e-mail' if args.customer_email else ''}"
            f"{', e-mail follower' if args.email_follower else ''}"
        )
        print(
            f"{'transition':<24}{'seconds':>10}{'ms/ticket':>12}"
            f"{'CPU ms/ticket':>15}{'queries':>10}"
        )
        for label, xmlid in steps:
            stage = env.ref(xmlid)
            env.invalidate_all()
            batch = tickets.browse(tickets.ids)
            seconds, cpu, queries = count_queries(
                cr, lambda batch=batch, stage=stage: batch.write({"stage_id": stage.id})
            )
            print(
                f"{label:<24}{seconds:>10.2f}{seconds * 1000 / len(tickets):>12.2f}"
                f"{cpu * 1000 / len(tickets):>15.2f}{queries:>10}"
            )
        cr.rollback()


if __name__ == "__main__":
    main()
