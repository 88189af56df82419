"""Dispatch benchmark: suggesting technicians and the dispatch calendar.

1. "Suggest technician" for one visit with T technicians (default 500) and
   V visits in the month (default 50,000): the ranking
   (``aftersales.visit._dispatch_rank``, certification, availability in the
   window, region, load of the week) and the button a dispatcher presses
   (``action_suggest_technician``: the ranking plus the dialog with one line
   per candidate), as a dispatcher. Seconds and queries, measured first with
   a tenth of the visits, then with all of them: the queries must not grow
   with the number of visits (target: 0.3 s or less).
2. The dispatch calendar for one week, loaded the way the browser loads it:
   the calendar view's ``search_read`` (the view's fields, the week's
   window, the default "To Do" filter) as the dispatcher of one region whose
   week holds about 2,000 visits.

Data: an organisation of 1 headquarters, 5 regions and 20 service points
(one state each) with T/20 technicians per point, all with the product
line's skill, 80% with a valid certification, and all of them also in the
headquarters' pool, so that every technician is a candidate for a visit;
visits inserted with SQL (``INSERT ... SELECT unnest``, not the ORM) over
the working days of the month, about 5 a day per technician, 90% still to
do. Everything is rolled
back at the end. Run it from the repository root with the Python that runs
Odoo 18, on a database with the addon installed and no demo data; see
benchmarks/README.md, "How to run":

    $ODOO_PYTHON benchmarks/bench_dispatch.py -d aftersales_bench
"""

import cProfile
import pstats
import statistics
import time
from datetime import datetime, timedelta

import bench_common
from lxml import etree

from odoo import SUPERUSER_ID, Command, api

POINTS = 20
REGIONS = 5


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--technicians", type=int, default=500, help="technicians (employees)"
    )
    parser.add_argument(
        "--visits", type=int, default=50_000, help="visits in the month (SQL)"
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of each path"
    )
    return parser.parse_args()


def working_days(first):
    """The Monday-to-Friday days of the month of ``first``."""
    day, days = first, []
    while day.month == first.month:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def setup(env, args):
    env.user.tz = "UTC"
    skill_type = env["hr.skill.type"].create(
        {
            "name": "Bench Product Lines",
            "skill_ids": [Command.create({"name": "Bench Chillers"})],
            "skill_level_ids": [
                Command.create(
                    {"name": "Certified", "level_progress": 100, "default_level": True}
                )
            ],
        }
    )
    skill = skill_type.skill_ids
    category = env["product.category"].create(
        {"name": "Bench Chillers", "aftersales_skill_id": skill.id}
    )
    product = env["product.product"].create(
        {"name": "Bench Chiller", "is_storable": True, "categ_id": category.id}
    )
    country = env.ref("base.cn")
    states = env["res.country.state"].create(
        [
            {"name": f"Bench State {i}", "code": f"BD{i}", "country_id": country.id}
            for i in range(POINTS)
        ]
    )
    Team = env["aftersales.team"]
    hq = Team.create({"name": "Bench HQ", "level": "hq"})
    regions = Team.create(
        [
            {"name": f"Bench Region {i}", "level": "region", "parent_id": hq.id}
            for i in range(REGIONS)
        ]
    )
    points = Team.create(
        [
            {
                "name": f"Bench Point {i}",
                "level": "point",
                "parent_id": regions[i % REGIONS].id,
                "state_ids": [Command.set(state.ids)],
            }
            for i, state in enumerate(states)
        ]
    )
    start = time.perf_counter()
    employees = env["hr.employee"].create(
        [
            {"name": f"Bench Technician {i:04d}", "tz": "UTC"}
            for i in range(args.technicians)
        ]
    )
    per_point = {point: employees[i::POINTS] for i, point in enumerate(points)}
    for point, pool in per_point.items():
        point.technician_ids = [Command.set(pool.ids)]
    # every technician may be sent from headquarters: all of them are
    # candidates for every visit (the ranking's worst case)
    hq.technician_ids = [Command.set(employees.ids)]
    env["hr.employee.skill"].create(
        [
            {
                "employee_id": employee.id,
                "skill_id": skill.id,
                "skill_level_id": skill_type.skill_level_ids.id,
                "skill_type_id": skill_type.id,
            }
            for employee in employees
        ]
    )
    env["aftersales.certification"].create(
        [
            {"employee_id": employee.id, "skill_id": skill.id}
            for i, employee in enumerate(employees)
            if (i // POINTS) % 5  # 4 in 5 of each point's technicians
        ]
    )
    print(
        f"{args.technicians} technicians in {POINTS} points, skills and "
        f"certifications in {time.perf_counter() - start:.1f} s"
    )
    # the visit to staff: a customer of the first point's state, a Wednesday
    # in the middle of next month, 10:00 to 12:00
    today = datetime.now().date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = working_days(first)
    day = next(d for d in days if d.day >= 14 and d.weekday() == 2)
    customer = env["res.partner"].create(
        {"name": "Bench Customer", "state_id": states[0].id, "country_id": country.id}
    )
    ticket = env["aftersales.ticket"].create(
        {
            "partner_id": customer.id,
            "product_id": product.id,
            "symptom": "Bench: does not cool",
            "team_id": points[0].id,
        }
    )
    visit = env["aftersales.visit"].create(
        {
            "ticket_id": ticket.id,
            "planned_start": datetime.combine(day, datetime.min.time())
            + timedelta(hours=10),
            "planned_stop": datetime.combine(day, datetime.min.time())
            + timedelta(hours=12),
        }
    )
    dispatcher = (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "Bench Dispatcher",
                "login": "bench_dispatcher",
                "tz": "UTC",
                "groups_id": [
                    Command.set(
                        env.ref("aftersales_service.group_aftersales_user_team").ids
                    )
                ],
            }
        )
    )
    regions[0].member_ids = [Command.link(dispatcher.id)]
    return {
        "visit": visit,
        "ticket": ticket,
        "employees": employees,
        "team_of": {
            employee.id: point.id
            for point, pool in per_point.items()
            for employee in pool
        },
        "days": days,
        "day": day,
        "dispatcher": dispatcher,
        "region": regions[0],
    }


def insert_visits(env, data, count, offset):
    """``count`` visits of the month, spread over the technicians and the
    working days, five 90-minute windows a day each; 90% still to do."""
    employees, days = data["employees"], data["days"]
    technicians, teams, starts, states = [], [], [], []
    slots = (8, 10, 12, 14, 16)
    for n in range(offset, offset + count):
        index = n % len(employees)
        employee = employees[index]
        rank = n // len(employees)
        # spread over the month whatever the count: a tenth of the visits
        # already keeps some candidates busy in the visit's window
        day = days[(rank * 7 + index) % len(days)]
        hour = slots[(rank // len(days) + index) % len(slots)]
        technicians.append(employee.id)
        teams.append(data["team_of"][employee.id])
        starts.append(
            datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
        )
        states.append("done" if rank % 10 == 0 else ("planned", "confirmed")[rank % 2])
    env.cr.execute(
        """
        INSERT INTO aftersales_visit (
            name, ticket_id, company_id, partner_id, commercial_partner_id,
            team_id, technician_id, visit_type, state, planned_start,
            planned_stop, create_uid, create_date, write_uid, write_date)
        SELECT 'BV' || lpad((%(offset)s + g.n)::text, 7, '0'), %(ticket)s,
               %(company)s, %(partner)s, %(partner)s, g.team, g.tech, 'repair',
               g.state, g.start, g.start + interval '90 minutes', 1, now(), 1,
               now()
          FROM unnest(%(techs)s::int[], %(teams)s::int[], %(starts)s::timestamp[],
                      %(states)s::varchar[])
               WITH ORDINALITY AS g(tech, team, start, state, n)
        """,
        {
            "offset": offset,
            "ticket": data["ticket"].id,
            "company": env.company.id,
            "partner": data["ticket"].partner_id.id,
            "techs": technicians,
            "teams": teams,
            "starts": starts,
            "states": states,
        },
    )
    env.cr.execute("ANALYZE aftersales_visit")
    env.invalidate_all()


def measure(env, runs, func):
    """Median and minimum seconds, queries, and the median CPU seconds of
    this process (the machine's load aside) of ``func()`` over ``runs`` runs
    after a warm-up, each with an empty cache."""
    func()
    seconds, queries, cpu = [], [], []
    for __ in range(runs):
        env.invalidate_all()
        count = env.cr.sql_log_count
        start = time.perf_counter()
        start_cpu = time.process_time()
        result = func()
        env.flush_all()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        queries.append(env.cr.sql_log_count - count)
    return Measure(
        statistics.median(seconds),
        min(seconds),
        max(queries),
        statistics.median(cpu),
        result,
    )


class Measure:
    def __init__(self, median, best, queries, cpu, result):
        self.median, self.best, self.queries = median, best, queries
        self.cpu, self.result = cpu, result

    def __str__(self):
        return (
            f"median {self.median * 1000:.0f} ms (min {self.best * 1000:.0f}, "
            f"process CPU {self.cpu * 1000:.0f}), {self.queries} queries"
        )


def bench_suggest(env, data, args, label):
    # the context the web client sends with every call
    visit = (
        data["visit"]
        .with_user(data["dispatcher"])
        .with_context(lang="en_US", tz="UTC", hierarchical_naming=False)
    )
    rank = measure(env, args.runs, lambda: visit._dispatch_rank())
    suggest = measure(env, args.runs, lambda: visit.action_suggest_technician())
    total = env["aftersales.visit"].search_count([("id", "!=", visit.id)])
    print(f"{label}: {args.technicians} technicians, {total} visits in the month")
    first = rank.result[0]
    print(
        f"  ranking: {rank}; {len(rank.result)} candidates, first: "
        f"{first['employee'].name} ({'; '.join(first['reasons'])})"
    )
    print(f"  Suggest Technician (ranking + dialog): {suggest}")
    if args.profile:
        profile(env, lambda: visit._dispatch_rank())


def bench_calendar(env, data, args):
    dispatcher = data["dispatcher"]
    Visit = (
        env["aftersales.visit"]
        .with_user(dispatcher)
        .with_context(hierarchical_naming=False, tz="UTC", lang="en_US")
    )
    action = env.ref("aftersales_service.aftersales_visit_action_dispatch")
    views = Visit.get_views([(False, "calendar")], {"action_id": action.id})
    arch = etree.fromstring(views["views"]["calendar"]["arch"])
    fnames = {field.get("name") for field in arch.iter("field")}
    fnames |= {arch.get("date_start"), arch.get("date_stop"), arch.get("color")}
    fnames.add("display_name")
    monday = data["day"] - timedelta(days=data["day"].weekday())
    week_start = datetime.combine(monday, datetime.min.time())
    week_stop = week_start + timedelta(days=7) - timedelta(seconds=1)
    domain = [
        ("state", "in", ("planned", "confirmed", "on_the_way", "on_site")),
        ("planned_start", "<=", week_stop),
        ("planned_stop", ">=", week_start),
    ]
    result = measure(env, args.runs, lambda: Visit.search_read(domain, sorted(fnames)))
    everyone = env["aftersales.visit"].search_count(domain)
    print(
        f"dispatch calendar, week of {monday}, as the dispatcher of "
        f"{data['region'].name}: {len(result.result)} visits shown "
        f"(of {everyone} to do that week in all teams), fields {sorted(fnames)}"
    )
    print(f"  search_read: {result}")
    if args.profile:
        profile(env, lambda: Visit.search_read(domain, sorted(fnames)))


def profile(env, func):
    env.invalidate_all()
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def main():
    args = parse_args()
    registry = bench_common.registry(args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            data = setup(env, args)
            tenth = args.visits // 10
            start = time.perf_counter()
            insert_visits(env, data, tenth, 0)
            bench_suggest(env, data, args, "a tenth of the visits")
            insert_visits(env, data, args.visits - tenth, tenth)
            print(f"visits inserted with SQL in {time.perf_counter() - start:.1f} s")
            bench_suggest(env, data, args, "all the visits")
            bench_calendar(env, data, args)
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
