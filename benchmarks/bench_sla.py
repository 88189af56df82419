"""Service-level benchmarks.

1. Create N tickets (default 10,000) in one ``create`` call on a working
   calendar with a public holiday: SLA lines and deadlines included, each
   ticket with its own received date as in real intake (``--same-received``:
   all received now).
2. M single creates in a loop (default 1,000), one ``create`` each: the
   screen's path.
3. The deadline job over M open tickets (default 200,000, inserted with SQL)
   of which 1% are due, then with nothing due.

Everything runs in one transaction on the given database and is rolled back
at the end. Run it from the repository root with the Python that runs Odoo 18,
on a database with the addon installed and no demo data; see
benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_sla.py -d aftersales_bench
"""

import cProfile
import os
import pstats
import time
from datetime import datetime, timedelta

import bench_common

from odoo import SUPERUSER_ID, Command, api


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--tickets",
        type=int,
        default=10_000,
        help="tickets created in one create() call (default 10000)",
    )
    parser.add_argument(
        "--open",
        type=int,
        default=200_000,
        help="open tickets inserted with SQL for the deadline job (default 200000)",
    )
    parser.add_argument(
        "--due-share",
        type=float,
        default=0.01,
        help="share of the open tickets that are due (default 0.01)",
    )
    parser.add_argument(
        "--single",
        type=int,
        default=1000,
        help="tickets then created one by one in a loop (default 1000)",
    )
    parser.add_argument(
        "--same-received",
        action="store_true",
        help="every ticket of the batch received now (the old, easy case)",
    )
    parser.add_argument(
        "--skip-cron", action="store_true", help="measure the creates only"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of the batch create and the deadline job",
    )
    return parser.parse_args()


def setup(env):
    attendances = [
        Command.create(
            {
                "name": f"{day} {hour_from}",
                "dayofweek": str(day),
                "hour_from": hour_from,
                "hour_to": hour_to,
                "day_period": "morning" if hour_from < 12 else "afternoon",
            }
        )
        for day in range(5)
        for hour_from, hour_to in ((9, 12), (13, 18))
    ]
    calendar = env["resource.calendar"].create(
        {"name": "Bench 9-18", "tz": "Asia/Shanghai", "attendance_ids": attendances}
    )
    holiday = datetime.now().replace(hour=0, minute=0) + timedelta(days=2)
    env["resource.calendar.leaves"].create(
        {
            "name": "Bench public holiday",
            "calendar_id": calendar.id,
            "date_from": holiday,
            "date_to": holiday + timedelta(hours=23, minutes=59),
        }
    )
    team = env["aftersales.team"].create(
        {
            "name": "Bench Team",
            "resource_calendar_id": calendar.id,
            "leader_id": env.ref("base.user_admin").id,
        }
    )
    channel = env.ref("aftersales_service.channel_phone")
    return team, channel


def ticket_vals(partners, team, channel, count, same_received):
    """One customer per ticket: a batch from a single customer would measure
    the repeat-contact detection, not the service levels. Received dates
    spread over the last 30 days at odd minutes (in and out of working
    hours, weekends, the holiday), one per ticket."""
    now = datetime.now().replace(microsecond=0)
    return [
        dict(
            {
                "partner_id": partners[i].id,
                "symptom": "Does not start",
                "channel_id": channel.id,
                "team_id": team.id,
                "priority": ("0", "1", "2")[i % 3],
                "complexity": ("simple", "general", "complex")[i % 3],
            },
            **(
                {}
                if same_received
                else {
                    "received_date": now
                    - timedelta(minutes=(i * 4_327) % (30 * 24 * 60), seconds=i % 60)
                }
            ),
        )
        for i in range(count)
    ]


def bench_create(env, team, channel, count, same_received, profile=False):
    partners = env["res.partner"].create(
        [{"name": f"Bench Customer {i}"} for i in range(count)]
    )
    vals_list = ticket_vals(partners, team, channel, count, same_received)
    env.flush_all()
    queries = env.cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    tickets = env["aftersales.ticket"].create(vals_list)
    env.flush_all()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    queries = env.cr.sql_log_count - queries
    lines = len(tickets.sla_ids)
    starts = len(set(tickets.mapped("received_date")))
    print(
        f"batch create: {count} tickets ({starts} received dates), {lines} SLA "
        f"lines in {elapsed:.2f} s; {queries} queries = {queries / count:.3f} "
        f"per ticket; {elapsed / count * 1000:.2f} ms per ticket "
        f"({cpu / count * 1000:.2f} ms of CPU in Odoo)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return tickets[:1]


def bench_single(env, team, channel, count, profile=False):
    partners = env["res.partner"].create(
        [{"name": f"Bench Single {i}"} for i in range(count)]
    )
    vals_list = ticket_vals(partners, team, channel, count, False)
    Ticket = env["aftersales.ticket"]
    Ticket.create(vals_list[0])  # warm the caches (first create)
    env.flush_all()
    queries = env.cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    for vals in vals_list[1:]:
        Ticket.create(vals)
        env.flush_all()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    queries = env.cr.sql_log_count - queries
    done = count - 1
    print(
        f"single creates: {done} tickets one by one in {elapsed:.2f} s; "
        f"{queries} queries = {queries / done:.1f} per ticket; "
        f"{elapsed / done * 1000:.2f} ms per ticket "
        f"({cpu / done * 1000:.2f} ms of CPU in Odoo)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def bulk_insert(env, template, count, due_share):
    """Copy the template ticket and its lines ``count`` times with SQL; make
    ``due_share`` of the lines due now and push the others far away."""
    cr = env.cr
    env.flush_all()

    def columns(table):
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name NOT IN ('id', 'name', "
            "'ticket_id') AND is_generated = 'NEVER'",
            [table],
        )
        return [row[0] for row in cr.fetchall()]

    ticket_cols = columns("aftersales_ticket")
    cols = ", ".join(f'"{c}"' for c in ticket_cols)
    cr.execute(
        f"""
        INSERT INTO aftersales_ticket (name, {cols})
        SELECT t.name || '-' || g, {", ".join(f't."{c}"' for c in ticket_cols)}
        FROM aftersales_ticket t, generate_series(1, %s) g
        WHERE t.id = %s
        RETURNING id
        """,
        [count, template.id],
    )
    ids = [row[0] for row in cr.fetchall()]
    line_cols = columns("aftersales_ticket_sla")
    cr.execute(
        f"""
        INSERT INTO aftersales_ticket_sla (ticket_id, {", ".join(line_cols)})
        SELECT t.id, {", ".join(f"l.{c}" for c in line_cols)}
        FROM unnest(%s) AS t(id), aftersales_ticket_sla l
        WHERE l.ticket_id = %s AND l.target_type = 'resolution'
        """,
        [ids, template.id],
    )
    now = datetime.now()
    cr.execute(
        """
        UPDATE aftersales_ticket_sla
           SET next_check = %s, status = 'at_risk', warned = true,
               reached_date = NULL, pause_start = NULL,
               deadline = %s, at_risk_date = %s
         WHERE ticket_id = ANY(%s)
        """,
        [now + timedelta(days=30), now + timedelta(days=30), now, ids],
    )
    due = ids[: int(count * due_share)]
    # nothing else due: the batch tickets of the first measure were received
    # over the last 30 days, their own lines would be due too
    cr.execute(
        """
        UPDATE aftersales_ticket_sla SET next_check = %s
         WHERE next_check IS NOT NULL AND ticket_id <> ALL(%s)
        """,
        [now + timedelta(days=30), due],
    )
    cr.execute(
        """
        UPDATE aftersales_ticket_sla
           SET next_check = %s, deadline = %s, at_risk_date = %s
         WHERE ticket_id = ANY(%s)
        """,
        [now - timedelta(minutes=1), now - timedelta(minutes=1), now, due],
    )
    cr.execute("ANALYZE aftersales_ticket_sla")
    env.invalidate_all()
    return len(ids), len(due)


def effects(env):
    """Counts of what the job leaves behind: the proof it did the work."""
    cr = env.cr
    counts = {}
    for label, sql in (
        (
            "notes",
            "SELECT count(*) FROM mail_message WHERE model = 'aftersales.ticket'",
        ),
        (
            "activities",
            "SELECT count(*) FROM mail_activity WHERE res_model = 'aftersales.ticket'",
        ),
        (
            "digests",
            "SELECT count(*) FROM mail_message "
            "WHERE message_type = 'user_notification'",
        ),
        (
            "failed lines",
            "SELECT count(*) FROM aftersales_ticket_sla WHERE status = 'failed'",
        ),
        (
            "escalated lines",
            "SELECT count(*) FROM aftersales_ticket_sla "
            "WHERE escalation_level_id IS NOT NULL",
        ),
    ):
        cr.execute(sql)
        counts[label] = cr.fetchone()[0]
    return counts


def backend_cpu(cr):
    """CPU seconds used so far by this connection's PostgreSQL backend (same
    machine only; None elsewhere): with the Odoo process's own CPU, the cost
    of the work whatever else loads the machine."""
    cr.execute("SELECT pg_backend_pid()")
    pid = cr.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def bench_cron(env, label, due, profile=False):
    Line = env["aftersales.ticket.sla"]
    env.flush_all()
    before = effects(env)
    pg_start = backend_cpu(env.cr)
    queries = env.cr.sql_log_count
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    cpu_start = time.process_time()
    if profiler:
        profiler.enable()
    Line._cron_check_deadlines(limit=100_000)
    env.flush_all()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    queries = env.cr.sql_log_count - queries
    pg_end = backend_cpu(env.cr)
    pg_cpu = pg_end - pg_start if pg_start is not None and pg_end is not None else 0
    per_ticket = (
        f" = {elapsed / due * 1000:.1f} ms ({cpu / due * 1000:.1f} ms of CPU in "
        f"Odoo + {pg_cpu / due * 1000:.1f} ms in PostgreSQL) and "
        f"{queries / due:.2f} queries per due ticket"
        if due
        else ""
    )
    after = effects(env)
    print(
        f"cron ({label}): {elapsed:.2f} s (CPU: Odoo process {cpu:.2f} s, "
        f"PostgreSQL backend {pg_cpu:.2f} s), "
        f"{queries} queries{per_ticket}; created or changed: "
        + ", ".join(f"{after[key] - before[key]} {key}" for key in after)
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        profiler.dump_stats("/tmp/sla_cron.prof")


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        # a back-office user with chatter on
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": False})
        env = env(user=env.ref("base.user_admin"))
        try:
            team, channel = setup(env)
            # the calendar is set up in this (rolled back) transaction; in
            # real use it was committed long before: its working time may be
            # cached as after that commit
            env["resource.calendar"]._aftersales_work_time_settled()
            template = bench_create(
                env, team, channel, args.tickets, args.same_received, args.profile
            )
            if args.single:
                bench_single(env, team, channel, args.single, args.profile)
            if args.skip_cron:
                return
            open_count, due_count = bulk_insert(
                env, template, args.open, args.due_share
            )
            bench_cron(
                env, f"{open_count} open, {due_count} due", due_count, args.profile
            )
            bench_cron(env, f"{open_count} open, 0 due", 0)
            cr.execute(
                "EXPLAIN SELECT id FROM aftersales_ticket_sla "
                "WHERE next_check <= now() at time zone 'utc'"
            )
            print("plan:", cr.fetchone()[0])
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
