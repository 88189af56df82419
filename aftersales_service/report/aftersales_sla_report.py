from odoo import fields, models
from odoo.tools import SQL

from ..models.aftersales_sla_policy import COMPLEXITIES, TARGET_TYPES
from ..models.aftersales_ticket import PRIORITIES
from ..models.aftersales_ticket_sla import SLA_STATUSES


class AftersalesSlaReport(models.Model):
    """One row per service-level line, for compliance analysis."""

    _name = "aftersales.sla.report"
    _description = "After-Sales Service Level Analysis"
    _auto = False
    _rec_name = "ticket_id"
    _order = "start_date desc"

    ticket_id = fields.Many2one("aftersales.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("aftersales.team", readonly=True)
    technician_id = fields.Many2one("hr.employee", readonly=True)
    technician_user_id = fields.Many2one("res.users", readonly=True)
    owner_id = fields.Many2one("res.users", readonly=True)
    channel_id = fields.Many2one("aftersales.channel", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    priority = fields.Selection(PRIORITIES, readonly=True)
    complexity = fields.Selection(COMPLEXITIES, readonly=True)
    is_vip = fields.Boolean(string="VIP", readonly=True)
    policy_id = fields.Many2one("aftersales.sla.policy", readonly=True)
    target_type = fields.Selection(TARGET_TYPES, string="Target", readonly=True)
    status = fields.Selection(SLA_STATUSES, readonly=True)
    start_date = fields.Datetime(string="Received", readonly=True)
    deadline = fields.Datetime(readonly=True)
    reached_date = fields.Datetime(string="Reached", readonly=True)
    target_hours = fields.Float(
        string="Target (hh:mm)", readonly=True, aggregator="avg"
    )
    elapsed_hours = fields.Float(
        string="Took (hh:mm)",
        readonly=True,
        aggregator="avg",
        help="Average time to reach the target, pauses excluded, in working "
        "hours for targets on working time.",
    )
    median_hours = fields.Float(
        string="Median Took (hh:mm)",
        readonly=True,
        aggregator="avg",
        help="Median time to reach the target in the group (50th percentile), "
        "pauses excluded, in working hours for targets on working time.",
    )
    p90_hours = fields.Float(
        string="90th Percentile Took (hh:mm)",
        readonly=True,
        aggregator="avg",
        help="90% of the targets in the group were reached within this time.",
    )
    paused_hours = fields.Float(
        string="Paused (hh:mm)", readonly=True, aggregator="avg"
    )
    compliance = fields.Float(
        string="Compliance (%)",
        readonly=True,
        aggregator="avg",
        help="Share of decided targets met in time (open targets not yet due "
        "are left out).",
    )
    met_count = fields.Integer(string="# Met", readonly=True)
    missed_count = fields.Integer(string="# Failed or Met Late", readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT
                sla.id AS id,
                sla.ticket_id AS ticket_id,
                ticket.company_id AS company_id,
                ticket.team_id AS team_id,
                ticket.technician_id AS technician_id,
                ticket.technician_user_id AS technician_user_id,
                ticket.owner_id AS owner_id,
                ticket.channel_id AS channel_id,
                ticket.product_id AS product_id,
                ticket.priority AS priority,
                ticket.complexity AS complexity,
                ticket.is_vip AS is_vip,
                sla.policy_id AS policy_id,
                sla.target_type AS target_type,
                sla.status AS status,
                sla.start_date AS start_date,
                sla.deadline AS deadline,
                sla.reached_date AS reached_date,
                sla.target_hours AS target_hours,
                CASE WHEN sla.reached_date IS NOT NULL
                     THEN sla.elapsed_hours END AS elapsed_hours,
                CASE WHEN sla.reached_date IS NOT NULL
                     THEN sla.elapsed_hours END AS median_hours,
                CASE WHEN sla.reached_date IS NOT NULL
                     THEN sla.elapsed_hours END AS p90_hours,
                sla.paused_hours AS paused_hours,
                CASE WHEN sla.status = 'met' THEN 100.0
                     WHEN sla.status IN ('late', 'failed') THEN 0.0
                END AS compliance,
                CASE WHEN sla.status = 'met' THEN 1 ELSE 0 END AS met_count,
                CASE WHEN sla.status IN ('late', 'failed') THEN 1 ELSE 0 END
                    AS missed_count
            FROM aftersales_ticket_sla sla
            JOIN aftersales_ticket ticket ON ticket.id = sla.ticket_id
            WHERE ticket.active
        """

    # Percentiles are computed over the rows of each group, whatever the
    # grouping (a percentile of percentiles would be wrong): the pivot asks for
    # these measures with their declared aggregator, answered here in SQL.
    PERCENTILES = {"median_hours": 0.5, "p90_hours": 0.9}

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":", 1)[0]
        if fname in self.PERCENTILES and aggregate_spec != "__count":
            sql_field = self._field_to_sql(self._table, fname, query)
            return SQL(
                "PERCENTILE_CONT(%s) WITHIN GROUP (ORDER BY %s)",
                self.PERCENTILES[fname],
                sql_field,
            )
        return super()._read_group_select(aggregate_spec, query)
