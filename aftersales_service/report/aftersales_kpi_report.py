from odoo import fields, models, tools
from odoo.tools import SQL


class AftersalesKpiReport(models.Model):
    """One row per ticket with every KPI the department watches.

    Percentages are per ticket (100 or 0, empty when it does not apply) and
    averaged by the pivot, so any grouping (team, region, product,
    technician, fault, period) gives the right rate. The view joins per-ticket
    aggregates of SLA lines, callbacks, part reservations and complaints.
    Record rules show each user the rows of the tickets they see.
    """

    _name = "aftersales.kpi.report"
    _description = "After-Sales KPI Analysis"
    _auto = False
    _rec_name = "ticket_id"
    _order = "date desc"

    ticket_id = fields.Many2one("aftersales.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    date = fields.Datetime(string="Received", readonly=True)
    closed_date = fields.Datetime(string="Closed", readonly=True)
    team_id = fields.Many2one("aftersales.team", readonly=True)
    region_id = fields.Many2one("res.country.state", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    fault_code_id = fields.Many2one("aftersales.fault.code", readonly=True)
    technician_id = fields.Many2one("hr.employee", readonly=True)
    owner_id = fields.Many2one("res.users", readonly=True)
    ticket_count = fields.Integer(string="# Tickets", readonly=True)
    closed_count = fields.Integer(string="# Closed", readonly=True)
    response_hours = fields.Float(
        string="Response Time (hh:mm)", readonly=True, aggregator="avg"
    )
    resolution_hours = fields.Float(
        string="Resolution Time (hh:mm)",
        readonly=True,
        aggregator="avg",
        help="Received to solved; cancelled tickets are left out.",
    )
    first_time_fix = fields.Float(
        string="First-Time Fix (%)",
        readonly=True,
        aggregator="avg",
        help="Solved tickets that no later ticket repeats; cancelled tickets are "
        "left out.",
    )
    repeat_rate = fields.Float(
        string="Repeat Failure (%)", readonly=True, aggregator="avg"
    )
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Decided service-level targets met in time.",
    )
    sla_met_count = fields.Integer(string="# SLA Met", readonly=True)
    sla_decided_count = fields.Integer(string="# SLA Decided", readonly=True)
    satisfaction = fields.Float(readonly=True, aggregator="avg")
    nps = fields.Float(
        string="NPS",
        readonly=True,
        aggregator="avg",
        help="Promoters 100, passives 0, detractors -100: the average is the NPS.",
    )
    complaint_rate = fields.Float(
        string="Complaint Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Tickets that drew a complaint: a complaint ticket about them, or "
        "reopened by an unhappy callback answer.",
    )
    complaint_at_fault_count = fields.Integer(
        string="# Complaints at Fault", readonly=True
    )
    parts_reserved_qty = fields.Float(string="Parts Reserved", readonly=True)
    parts_consumed_qty = fields.Float(string="Parts Consumed", readonly=True)
    parts_usage = fields.Float(
        string="Parts Usage (%)",
        readonly=True,
        aggregator="avg",
        help="Consumed / reserved, per ticket with parts.",
    )
    parts_cost = fields.Float(readonly=True)
    warranty_cost = fields.Float(readonly=True)
    covered_cost = fields.Float(
        readonly=True,
        help="What the company bore for the ticket under warranty or contract, "
        "at cost: covered parts, labour and travel.",
    )
    charged_amount = fields.Float(
        string="Charged to Customer",
        readonly=True,
        help="What the customer pays for parts, labour and travel (untaxed).",
    )
    cost_per_ticket = fields.Float(
        string="Cost per Ticket",
        readonly=True,
        aggregator="avg",
        help="Cost of the parts consumed on the ticket, averaged over tickets.",
    )
    # Field service
    resolved_remotely = fields.Float(
        string="Resolved Remotely (%)",
        readonly=True,
        aggregator="avg",
        help="Solved tickets resolved on the phone or by remote support "
        "(nobody travelled); other tickets are left out.",
    )
    visit_first_time_fix = fields.Float(
        string="First-Time Fix by Visits (%)",
        readonly=True,
        aggregator="avg",
        help="Solved tickets with a visit on site that one visit made fixed "
        "(a no-show counts as a visit made).",
    )
    visit_count = fields.Integer(
        string="# Visits Made",
        readonly=True,
        help="Visits on site and no-shows.",
    )
    visits_per_ticket = fields.Float(
        string="Visits per Ticket",
        readonly=True,
        aggregator="avg",
        help="Visits made per ticket that had at least one.",
    )
    arrival_count = fields.Integer(string="# Arrivals on Site", readonly=True)
    arrival_on_time_count = fields.Integer(string="# Arrivals on Time", readonly=True)
    arrival_compliance = fields.Float(
        string="On-Site Arrival Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Per ticket, its arrivals on time (the first against the service "
        "level's on-site arrival target, later ones against their window) in % "
        "of its arrivals; averaged over the tickets with an arrival.",
    )
    no_show_count = fields.Integer(string="# No-Shows", readonly=True)
    no_show_rate = fields.Float(
        string="No-Show Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Per ticket, its no-shows in % of its visits made; averaged over "
        "the tickets with a visit made.",
    )
    report_signed_hours = fields.Float(
        string="Registration to Signed Report (hh:mm)",
        readonly=True,
        aggregator="avg",
        help="Hours from the registration to the first signed service report, "
        "for the tickets with one (the common pledge is 24 hours).",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE OR REPLACE VIEW %s AS (
            SELECT
                t.id AS id,
                t.id AS ticket_id,
                t.company_id AS company_id,
                t.received_date AS date,
                t.closed_date AS closed_date,
                t.team_id AS team_id,
                partner.state_id AS region_id,
                t.product_id AS product_id,
                t.fault_code_id AS fault_code_id,
                t.technician_id AS technician_id,
                t.owner_id AS owner_id,
                1 AS ticket_count,
                CASE WHEN t.is_closed THEN 1 ELSE 0 END AS closed_count,
                sla.response_hours AS response_hours,
                CASE WHEN t.outcome = 'solved' AND t.closed_date IS NOT NULL
                     THEN EXTRACT(EPOCH FROM t.closed_date - t.received_date) / 3600.0
                END AS resolution_hours,
                CASE WHEN t.outcome IS DISTINCT FROM 'solved' THEN NULL
                     WHEN EXISTS (
                         SELECT 1 FROM aftersales_ticket r WHERE r.repeat_of_id = t.id
                     ) THEN 0.0 ELSE 100.0
                END AS first_time_fix,
                CASE WHEN t.is_repeat THEN 100.0 ELSE 0.0 END AS repeat_rate,
                CASE WHEN sla.decided > 0 THEN 100.0 * sla.met / sla.decided END
                    AS sla_compliance,
                COALESCE(sla.met, 0) AS sla_met_count,
                COALESCE(sla.decided, 0) AS sla_decided_count,
                cb.satisfaction AS satisfaction,
                cb.nps AS nps,
                CASE WHEN complaint.complaints > 0 THEN 100.0 ELSE 0.0 END
                    AS complaint_rate,
                COALESCE(complaint.at_fault, 0) AS complaint_at_fault_count,
                COALESCE(parts.reserved, 0) AS parts_reserved_qty,
                COALESCE(parts.consumed, 0) AS parts_consumed_qty,
                CASE WHEN parts.reserved > 0
                     THEN 100.0 * parts.consumed / parts.reserved END AS parts_usage,
                COALESCE(parts.cost, 0) AS parts_cost,
                COALESCE(parts.warranty, 0) AS warranty_cost,
                COALESCE(parts.cost, 0) AS cost_per_ticket,
                CASE WHEN t.outcome = 'solved'
                     THEN CASE WHEN t.resolved_remotely THEN 100.0 ELSE 0.0 END
                END AS resolved_remotely,
                CASE WHEN t.outcome = 'solved' AND visits.arrived > 0
                     THEN CASE WHEN t.visit_first_time_fix THEN 100.0 ELSE 0.0 END
                END AS visit_first_time_fix,
                COALESCE(visits.made, 0) AS visit_count,
                CASE WHEN visits.made > 0 THEN visits.made END AS visits_per_ticket,
                COALESCE(visits.arrived, 0) AS arrival_count,
                COALESCE(visits.on_time, 0) AS arrival_on_time_count,
                CASE WHEN visits.arrived > 0
                     THEN 100.0 * visits.on_time / visits.arrived
                END AS arrival_compliance,
                COALESCE(visits.no_show, 0) AS no_show_count,
                CASE WHEN visits.made > 0
                     THEN 100.0 * visits.no_show / visits.made
                END AS no_show_rate,
                CASE WHEN t.report_signed_date IS NOT NULL
                     THEN t.report_signed_hours
                END AS report_signed_hours,
                COALESCE(t.covered_cost, 0) AS covered_cost,
                COALESCE(t.charged_amount, 0) AS charged_amount
            FROM aftersales_ticket t
            LEFT JOIN res_partner partner ON partner.id = t.partner_id
            -- Per-ticket aggregates as LATERAL subqueries on the tickets'
            -- indexed foreign keys: a filter on the tickets (a period, a
            -- team, some ids) reads only those tickets' lines, never the
            -- whole history grouped first.
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE l.status = 'met') AS met,
                       count(*) FILTER (
                           WHERE l.status IN ('met', 'late', 'failed')
                       ) AS decided,
                       min(l.elapsed_hours) FILTER (
                           WHERE l.target_type = 'response'
                             AND l.reached_date IS NOT NULL
                       ) AS response_hours
                  FROM aftersales_ticket_sla l
                 WHERE l.ticket_id = t.id
            ) sla
            CROSS JOIN LATERAL (
                SELECT avg(c.satisfaction) FILTER (
                           WHERE c.satisfaction > 0
                       ) AS satisfaction,
                       avg(CASE c.nps_category WHEN 'promoter' THEN 100.0
                                               WHEN 'detractor' THEN -100.0
                                               WHEN 'passive' THEN 0.0 END) AS nps
                  FROM aftersales_callback c
                 WHERE c.ticket_id = t.id AND c.has_scores
            ) cb
            CROSS JOIN LATERAL (
                SELECT sum(l.product_qty) AS reserved,
                       sum(COALESCE(l.qty_consumed, 0)) AS consumed,
                       sum(COALESCE(l.consumed_product_qty, 0) * COALESCE(
                           (pp.standard_price ->> l.company_id::text)::numeric, 0)
                       ) AS cost,
                       sum(COALESCE(l.warranty_cost, 0)) AS warranty
                  FROM aftersales_part_reservation_line l
                  JOIN product_product pp ON pp.id = l.product_id
                 WHERE l.ticket_id = t.id AND l.state NOT IN ('cancel', 'draft')
            ) parts
            -- A complaint is a new complaint ticket about this one, or
            -- this very ticket reopened by an unhappy answer.
            CROSS JOIN LATERAL (
                SELECT count(*) + CASE WHEN t.is_complaint
                                        AND t.complaint_of_id IS NULL
                                       THEN 1 ELSE 0 END AS complaints,
                       count(*) FILTER (WHERE c.company_at_fault)
                       + CASE WHEN t.is_complaint AND t.complaint_of_id IS NULL
                                   AND t.company_at_fault
                              THEN 1 ELSE 0 END AS at_fault
                  FROM aftersales_ticket c
                 WHERE c.complaint_of_id = t.id
            ) complaint
            CROSS JOIN LATERAL (
                SELECT count(*) FILTER (
                           WHERE v.check_in_date IS NOT NULL
                              OR v.state = 'no_show'
                       ) AS made,
                       count(*) FILTER (
                           WHERE v.check_in_date IS NOT NULL
                       ) AS arrived,
                       count(*) FILTER (
                           WHERE v.arrival_status = 'on_time'
                       ) AS on_time,
                       count(*) FILTER (WHERE v.state = 'no_show') AS no_show
                  FROM aftersales_visit v
                 WHERE v.ticket_id = t.id
            ) visits
            WHERE t.active
            )
            """,
                SQL.identifier(self._table),
            )
        )
