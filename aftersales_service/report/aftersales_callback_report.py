from odoo import fields, models

from ..models.aftersales_callback import CALLBACK_STATES, NPS_CATEGORIES


class AftersalesCallbackReport(models.Model):
    """One row per callback. Rates are 0/100 per row (empty where the row
    does not count), so the pivot's average is the rate: NPS is the average
    of +100 (promoter), 0 (passive) and -100 (detractor). Record rules show
    each user the rows of the callbacks they see."""

    _name = "aftersales.callback.report"
    _description = "After-Sales Callback and Satisfaction Analysis"
    _auto = False
    _rec_name = "callback_id"
    _order = "due_date desc"

    callback_id = fields.Many2one("aftersales.callback", readonly=True)
    ticket_id = fields.Many2one("aftersales.ticket", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("aftersales.team", string="Service Team", readonly=True)
    technician_id = fields.Many2one("hr.employee", readonly=True)
    owner_id = fields.Many2one("res.users", string="Ticket Owner", readonly=True)
    user_id = fields.Many2one("res.users", string="Callback Agent", readonly=True)
    callback_team_id = fields.Many2one("aftersales.team", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    state = fields.Selection(CALLBACK_STATES, readonly=True)
    nps_category = fields.Selection(NPS_CATEGORIES, readonly=True)
    closed_date = fields.Datetime(string="Ticket Closed On", readonly=True)
    due_date = fields.Datetime(readonly=True)
    answered_date = fields.Datetime(readonly=True)

    nps = fields.Float(string="NPS", readonly=True, aggregator="avg")
    csat = fields.Float(
        string="CSAT (%)",
        readonly=True,
        aggregator="avg",
        help="Share of answers with a satisfaction of 4 or 5.",
    )
    satisfaction = fields.Float(
        string="Avg. Satisfaction", readonly=True, aggregator="avg"
    )
    conduct = fields.Float(string="Avg. Conduct", readonly=True, aggregator="avg")
    nps_score = fields.Float(string="Avg. Recommend", readonly=True, aggregator="avg")
    solved_rate = fields.Float(string="Solved (%)", readonly=True, aggregator="avg")
    reach_rate = fields.Float(
        string="Reach Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of called customers who were reached.",
    )
    response_rate = fields.Float(
        string="Response Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of callbacks whose survey was answered.",
    )
    complaint_rate = fields.Float(
        string="Complaint Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share of callbacks that reopened a ticket or opened a complaint.",
    )
    answered_count = fields.Integer(string="# Answered", readonly=True)
    complaint_count = fields.Integer(string="# Complaints", readonly=True)

    @property
    def _table_query(self):
        return """
            SELECT
                cb.id AS id,
                cb.id AS callback_id,
                cb.ticket_id AS ticket_id,
                cb.company_id AS company_id,
                cb.team_id AS team_id,
                cb.technician_id AS technician_id,
                cb.owner_id AS owner_id,
                cb.user_id AS user_id,
                cb.callback_team_id AS callback_team_id,
                cb.product_id AS product_id,
                cb.partner_id AS partner_id,
                cb.state AS state,
                cb.nps_category AS nps_category,
                cb.closed_date AS closed_date,
                cb.due_date AS due_date,
                cb.answered_date AS answered_date,
                CASE WHEN cb.has_scores THEN
                    CASE cb.nps_category WHEN 'promoter' THEN 100.0
                                         WHEN 'detractor' THEN -100.0
                                         ELSE 0.0 END
                END AS nps,
                CASE WHEN cb.has_scores AND cb.satisfaction > 0 THEN
                    CASE WHEN cb.satisfaction >= 4 THEN 100.0 ELSE 0.0 END
                END AS csat,
                CASE WHEN cb.has_scores AND cb.satisfaction > 0
                     THEN cb.satisfaction END AS satisfaction,
                CASE WHEN cb.has_scores AND cb.conduct > 0
                     THEN cb.conduct END AS conduct,
                CASE WHEN cb.has_scores THEN cb.nps_score END AS nps_score,
                CASE WHEN cb.solved = 'yes' THEN 100.0
                     WHEN cb.solved = 'no' THEN 0.0 END AS solved_rate,
                CASE WHEN EXISTS (
                        SELECT 1 FROM aftersales_callback_attempt att
                         WHERE att.callback_id = cb.id AND att.outcome = 'reached')
                     THEN 100.0
                     WHEN EXISTS (
                        SELECT 1 FROM aftersales_callback_attempt att
                         WHERE att.callback_id = cb.id)
                     THEN 0.0
                END AS reach_rate,
                CASE WHEN cb.has_scores THEN 100.0 ELSE 0.0 END AS response_rate,
                CASE WHEN cb.complaint_ticket_id IS NOT NULL THEN 100.0
                     ELSE 0.0 END AS complaint_rate,
                CASE WHEN cb.has_scores THEN 1 ELSE 0 END AS answered_count,
                CASE WHEN cb.complaint_ticket_id IS NOT NULL THEN 1
                     ELSE 0 END AS complaint_count
            FROM aftersales_callback cb
            WHERE cb.state != 'cancelled'
        """
