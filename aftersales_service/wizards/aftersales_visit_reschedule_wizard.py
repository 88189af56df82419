from odoo import api, fields, models


class AftersalesVisitRescheduleWizard(models.TransientModel):
    _name = "aftersales.visit.reschedule.wizard"
    _description = "Reschedule an After-Sales Visit"

    visit_id = fields.Many2one("aftersales.visit", required=True, ondelete="cascade")
    planned_start = fields.Datetime(
        string="New Window Start",
        compute="_compute_window",
        store=True,
        readonly=False,
        required=True,
    )
    planned_stop = fields.Datetime(
        string="New Window End",
        compute="_compute_window",
        store=True,
        readonly=False,
        required=True,
    )
    reason = fields.Text(
        required=True, help="Why the visit moves; the customer is told by e-mail."
    )
    customer_told = fields.Boolean(compute="_compute_customer_told")

    @api.depends("visit_id")
    def _compute_window(self):
        for wizard in self:
            wizard.planned_start = wizard.visit_id.planned_start
            wizard.planned_stop = wizard.visit_id.planned_stop

    @api.depends("visit_id.state")
    def _compute_customer_told(self):
        for wizard in self:
            wizard.customer_told = wizard.visit_id.state != "planned"

    @api.onchange("planned_start")
    def _onchange_planned_start(self):
        """Keep the length of the window when its start moves."""
        visit = self.visit_id
        if self.planned_start and visit.planned_start and visit.planned_stop:
            self.planned_stop = self.planned_start + (
                visit.planned_stop - visit.planned_start
            )

    def action_confirm(self):
        self.ensure_one()
        self.visit_id._reschedule(self.planned_start, self.planned_stop, self.reason)
        return {"type": "ir.actions.act_window_close"}
