"""Seed a large ticket history with SQL: the database of the scale benchmarks.

Makes the database of a service department that has run for a long time at
a steady pace: N tickets (default 1,000,000) received at --per-day tickets a
day (default 333, i.e. 10,000 a month: 1,000,000 tickets are 8.2 years of
history), of which only the newest --open are still open (the work in
progress does not grow with the history). Every ticket has its service-level
lines (first response and resolution, an on-site arrival for every third),
met or missed once closed, running while open; every open ticket has a
planned activity; every tenth closed ticket a callback with scores, every
third ticket a visit. Customers (200, half of them with a street address),
five teams, ten technicians, priorities, traffic lights and stages mixed.

The rows are inserted with SQL and COMMITTED, then VACUUM ANALYZE (what
autovacuum does after a load): run it on a throwaway copy and drop it after:

    createdb -T aftersales_test aftersales_1m
    $ODOO_PYTHON benchmarks/seed_tickets.py -d aftersales_1m      # ~3 minutes
    $ODOO_PYTHON benchmarks/bench_kanban.py -d aftersales_1m --explain
    dropdb aftersales_1m

Seeding twice is refused (the customers "Bench Kanban 0.." exist).
"""

import time

import bench_common
from bench_portal import bulk_load

from odoo import SUPERUSER_ID, api, fields

CUSTOMER_PREFIX = "Bench Kanban"
TEAMS = 5
TECHNICIANS = 10


def parser():
    result = bench_common.parser(__doc__)
    add_arguments(result)
    return result


def add_arguments(parser):
    parser._option_string_actions["-d"].help = (
        "throwaway copy of a database with the addon installed, no demo data: "
        "the rows are COMMITTED"
    )
    parser.add_argument(
        "--tickets", type=int, default=1_000_000, help="tickets seeded with SQL"
    )
    parser.add_argument(
        "--per-day",
        type=float,
        default=333.0,
        help="tickets received per day: the history is tickets / per-day days",
    )
    parser.add_argument(
        "--open",
        type=int,
        default=3000,
        help="tickets still open, among the newest (work in progress)",
    )


def seeded(env):
    return bool(
        env["res.partner"].search_count([("name", "=", f"{CUSTOMER_PREFIX} 0")])
    )


def _columns(cr, table, exclude):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND is_generated = 'NEVER' "
        "AND NOT (column_name = ANY(%s))",
        [table, ["id", *exclude]],
    )
    return [row[0] for row in cr.fetchall()]


def _fixtures(registry, args):
    """Customers, teams, technicians and one template ticket (ORM, committed)."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        channel = env.ref("aftersales_service.channel_phone")
        teams = env["aftersales.team"].create(
            [{"name": f"Bench Team {i}"} for i in range(TEAMS)]
        )
        technicians = env["hr.employee"].create(
            [{"name": f"Bench Technician {i}"} for i in range(TECHNICIANS)]
        )
        cn = env.ref("base.cn")
        partners = env["res.partner"].create(
            [
                {
                    "name": f"{CUSTOMER_PREFIX} {i}",
                    "street": f"{i} Nanjing Road" if i % 2 else False,
                    "city": "Shanghai" if i % 2 else False,
                    "zip": "200001" if i % 2 else False,
                    "country_id": cn.id if i % 2 else False,
                }
                for i in range(200)
            ]
        )
        template = env["aftersales.ticket"].create(
            {
                "partner_id": partners[1].id,
                "symptom": "Does not start",
                "channel_id": channel.id,
                "team_id": teams[0].id,
            }
        )
        visit = env["aftersales.visit"].create(
            {
                "ticket_id": template.id,
                "planned_start": fields.Datetime.now(),
                "planned_stop": fields.Datetime.add(fields.Datetime.now(), hours=1),
            }
        )
        callback = env["aftersales.callback"].create(
            {
                "name": "CB-template",
                "ticket_id": template.id,
                "due_date": fields.Date.today(),
            }
        )
        activity = template.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Call the customer back",
            user_id=env.ref("base.user_admin").id,
        )
        return {
            "template": template.id,
            "partners": partners.ids,
            "teams": teams.ids,
            "technicians": technicians.ids,
            "visit": visit.id,
            "callback": callback.id,
            "activity": activity.id,
        }


def _insert_tickets(cr, env, args, fx):
    stages = env["aftersales.stage"].search([])
    open_stages = stages.filtered(lambda s: not s.is_closed)
    closed_stages = stages.filtered(lambda s: s.is_closed)
    cols = _columns(
        cr,
        "aftersales_ticket",
        [
            "name",
            "access_token",
            "received_date",
            "partner_id",
            "commercial_partner_id",
            "service_partner_id",
            "team_id",
            "technician_id",
            "stage_id",
            "is_closed",
            "outcome",
            "priority",
            "traffic_light",
            "closed_date",
            "sla_status",
            "sla_deadline",
        ],
    )
    # g = 1 is the newest ticket (inserted last: the highest id, as in a
    # real database); the newest 3 x open hold the open ones (every third),
    # received every 86400 / per_day seconds before "now".
    with bulk_load(cr, "aftersales_ticket"):
        cr.execute(
            f"""
            WITH s AS (
                SELECT g,
                       g <= 3 * %(open)s AND g %% 3 = 0 AS is_open,
                       now() at time zone 'UTC'
                           - make_interval(secs => g * %(step)s) AS received
                  FROM generate_series(%(count)s, 1, -1) g
            ), s2 AS (
                SELECT s.*,
                       CASE WHEN is_open
                            THEN (%(open_stages)s::int[])[1 + (g / 3) %% %(n_open)s]
                            ELSE (%(closed)s::int[])[1 + g %% %(n_closed)s]
                       END AS stage_id
                  FROM s
            )
            INSERT INTO aftersales_ticket (name, access_token, received_date,
                   partner_id, commercial_partner_id, service_partner_id,
                   team_id, technician_id, stage_id, is_closed, outcome,
                   priority, traffic_light, closed_date, sla_status,
                   sla_deadline, {", ".join(cols)})
            SELECT t.name || '-k-' || s2.g, md5(t.id || 'k' || s2.g), s2.received,
                   (%(partners)s::int[])[1 + s2.g %% 200],
                   (%(partners)s::int[])[1 + s2.g %% 200],
                   (%(partners)s::int[])[1 + s2.g %% 200],
                   (%(teams)s::int[])[1 + s2.g %% {TEAMS}],
                   (%(technicians)s::int[])[1 + (s2.g / 7) %% {TECHNICIANS}],
                   s2.stage_id, st.is_closed, st.outcome,
                   ((s2.g / 7) %% 3)::varchar,
                   CASE WHEN s2.is_open
                        THEN (ARRAY['green', 'green', 'green', 'yellow', 'red'])
                             [1 + s2.g %% 5]
                   END,
                   CASE WHEN st.is_closed
                        THEN s2.received + interval '2 days' END,
                   CASE WHEN s2.is_open
                        THEN (ARRAY['on_time', 'on_time', 'on_time', 'at_risk',
                                    'failed'])[1 + s2.g %% 5]
                        WHEN s2.g %% 10 = 0 THEN 'late' ELSE 'met'
                   END,
                   CASE WHEN s2.is_open THEN s2.received + interval '2 days' END,
                   {", ".join(f't."{c}"' for c in cols)}
              FROM aftersales_ticket t, s2
              JOIN aftersales_stage st ON st.id = s2.stage_id
             WHERE t.id = %(template)s
             ORDER BY s2.g DESC
            """,
            {
                "open": args.open,
                "open_stages": open_stages.ids,
                "n_open": len(open_stages),
                "closed": closed_stages.ids,
                "n_closed": len(closed_stages),
                "count": args.tickets,
                "step": 86400 / args.per_day,
                "partners": fx["partners"],
                "teams": fx["teams"],
                "technicians": fx["technicians"],
                "template": fx["template"],
            },
        )


def _insert_sla_lines(cr, fx):
    with bulk_load(cr, "aftersales_ticket_sla"):
        cr.execute(
            """
            INSERT INTO aftersales_ticket_sla (ticket_id, company_id, target_type,
                   target_hours, status, start_date, deadline, at_risk_date,
                   reached_date, next_check, elapsed_hours, paused_hours,
                   warning_share, warned, create_uid, write_uid, create_date,
                   write_date)
            SELECT t.id, t.company_id, tt.target_type, tt.hours,
                   CASE WHEN NOT COALESCE(t.is_closed, FALSE)
                        THEN CASE t.traffic_light WHEN 'red' THEN 'failed'
                                  WHEN 'yellow' THEN 'at_risk' ELSE 'on_time' END
                        WHEN t.id %% 10 = tt.n THEN 'late' ELSE 'met'
                   END,
                   t.received_date, t.received_date + make_interval(hours => tt.hours),
                   t.received_date + make_interval(hours => tt.hours) * 0.75,
                   CASE WHEN t.is_closed
                        THEN t.received_date + make_interval(hours => tt.hours)
                             * (0.2 + (t.id %% 9) / 10.0)
                   END,
                   CASE WHEN NOT COALESCE(t.is_closed, FALSE)
                        THEN t.received_date + make_interval(hours => tt.hours) * 0.75
                   END,
                   CASE WHEN t.is_closed
                        THEN tt.hours * (0.2 + (t.id %% 9) / 10.0) END,
                   0.0, 75.0, FALSE, 1, 1, t.received_date, t.received_date
              FROM aftersales_ticket t
              CROSS JOIN (VALUES ('response', 4, 1), ('resolution', 48, 2),
                                 ('arrival', 24, 3)) tt(target_type, hours, n)
             WHERE t.id <> %(template)s
               AND (tt.target_type <> 'arrival' OR t.id %% 3 = 0)
            """,
            {"template": fx["template"]},
        )


def _insert_clones(cr, table, template_id, fx, where, overrides):
    """Copies of one template row of ``table`` for the tickets matching
    ``where``, with ``overrides`` {column: SQL expression over t (ticket)}."""
    cols = _columns(cr, table, ["ticket_id", *overrides])
    with bulk_load(cr, table):
        cr.execute(
            f"""
            INSERT INTO {table} (ticket_id, {", ".join(overrides)},
                   {", ".join(cols)})
            SELECT t.id, {", ".join(overrides.values())},
                   {", ".join(f'tpl."{c}"' for c in cols)}
              FROM aftersales_ticket t, {table} tpl
             WHERE tpl.id = %(tpl)s AND t.id <> %(template)s AND ({where})
            """,
            {"tpl": template_id, "template": fx["template"]},
        )


def _insert_activities(cr, fx):
    cols = _columns(cr, "mail_activity", ["res_id", "res_name", "date_deadline"])
    cr.execute(
        f"""
        INSERT INTO mail_activity (res_id, res_name, date_deadline,
               {", ".join(cols)})
        SELECT t.id, t.name,
               (t.received_date + make_interval(days => (t.id %% 5) - 1))::date,
               {", ".join(f'a."{c}"' for c in cols)}
          FROM aftersales_ticket t, mail_activity a
         WHERE a.id = %(activity)s AND t.id <> %(template)s
           AND NOT COALESCE(t.is_closed, FALSE)
        """,
        fx,
    )


def seed(registry, args):
    """Seed once; returns False when the database was seeded already."""
    with registry.cursor() as cr:
        if seeded(api.Environment(cr, SUPERUSER_ID, {})):
            print("already seeded")
            return False
    start = time.perf_counter()
    fx = _fixtures(registry, args)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        steps = [
            ("tickets", lambda: _insert_tickets(cr, env, args, fx)),
            ("service-level lines", lambda: _insert_sla_lines(cr, fx)),
            (
                "visits (every third ticket)",
                lambda: _insert_clones(
                    cr,
                    "aftersales_visit",
                    fx["visit"],
                    fx,
                    "t.id %% 3 = 0",
                    {
                        "name": "t.name || '/V1'",
                        "state": "CASE WHEN t.is_closed THEN 'done' ELSE 'planned' END",
                        "planned_start": "t.received_date + interval '1 day'",
                        "planned_stop": "t.received_date + interval '25 hours'",
                        "check_in_date": "CASE WHEN t.is_closed "
                        "THEN t.received_date + interval '1 day' END",
                        "arrival_status": "CASE WHEN NOT t.is_closed THEN NULL "
                        "WHEN t.id %% 4 = 0 THEN 'late' ELSE 'on_time' END",
                    },
                ),
            ),
            (
                "callbacks (every tenth closed ticket)",
                lambda: _insert_clones(
                    cr,
                    "aftersales_callback",
                    fx["callback"],
                    fx,
                    "t.is_closed AND t.id %% 10 = 0",
                    {
                        "name": "t.name || '/C'",
                        "state": "'done'",
                        "due_date": "(t.closed_date + interval '3 days')::date",
                        "has_scores": "TRUE",
                        "satisfaction": "1 + t.id %% 5",
                        "nps_category": "(ARRAY['promoter', 'passive', "
                        "'detractor', 'promoter'])[1 + t.id %% 4]",
                    },
                ),
            ),
            ("activities (open tickets)", lambda: _insert_activities(cr, fx)),
        ]
        for label, step in steps:
            t0 = time.perf_counter()
            step()
            print(f"seeded {label} in {time.perf_counter() - t0:.0f} s", flush=True)
    vacuum(
        registry,
        (
            "aftersales_ticket",
            "aftersales_ticket_sla",
            "aftersales_visit",
            "aftersales_callback",
            "mail_activity",
        ),
    )
    print(
        f"seeding: {args.tickets:,} tickets ({args.open:,} open, "
        f"{args.tickets / args.per_day:,.0f} days of history) in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return True


def vacuum(registry, tables=("aftersales_ticket",)):
    """What autovacuum does after a bulk load: the visibility map that lets
    PostgreSQL answer counts from an index alone, and fresh statistics."""
    with registry.cursor() as cr:
        cr.commit()
        cr._cnx.autocommit = True
        try:
            for table in tables:
                cr.execute(f'VACUUM ANALYZE "{table}"')
        finally:
            cr._cnx.autocommit = False


def main():
    args = parser().parse_args()
    seed(bench_common.registry(args), args)


if __name__ == "__main__":
    main()
