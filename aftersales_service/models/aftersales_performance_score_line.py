from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .aftersales_performance_indicator import INDICATOR_CODES


class AftersalesPerformanceScoreLine(models.Model):
    """One indicator of one scorecard: raw value, target, score, weight."""

    _name = "aftersales.performance.score.line"
    _description = "After-Sales Performance Score Line"
    _order = "score_id, sequence, id"
    _check_company_auto = True

    score_id = fields.Many2one(
        "aftersales.performance.score",
        string="Scorecard",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="score_id.company_id", store=True)
    employee_id = fields.Many2one(related="score_id.employee_id", store=True)
    state = fields.Selection(related="score_id.state")
    sequence = fields.Integer(default=10)
    indicator_id = fields.Many2one(
        "aftersales.performance.indicator",
        string="Indicator Definition",
        ondelete="set null",
    )
    code = fields.Selection(INDICATOR_CODES, string="Indicator", required=True)
    name = fields.Char(required=True)
    raw_value = fields.Float(digits=(16, 2))
    sample_size = fields.Integer(
        string="Based On", help="Number of records the raw value is computed from."
    )
    has_data = fields.Boolean(string="Data")
    target = fields.Float(digits=(16, 2))
    direction = fields.Selection(
        [("higher", "Higher is better"), ("lower", "Lower is better")]
    )
    score = fields.Float(string="Score (0-100)", digits=(16, 2))
    weight = fields.Float(string="Weight (%)")
    weighted_score = fields.Float(
        compute="_compute_weighted_score", store=True, digits=(16, 2)
    )
    method = fields.Text(string="How Computed")

    @api.depends("score", "weight", "has_data")
    def _compute_weighted_score(self):
        for line in self:
            line.weighted_score = (
                line.score * line.weight / 100.0 if line.has_data else 0.0
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        if any(line.score_id.state == "locked" for line in self):
            raise UserError(_("A locked scorecard cannot be changed."))

    def write(self, vals):
        # Rights first: who may not write is refused as such, whatever the period.
        self.check_access("write")
        if any(line.score_id.state == "locked" for line in self):
            raise UserError(_("A locked scorecard cannot be changed."))
        return super().write(vals)
