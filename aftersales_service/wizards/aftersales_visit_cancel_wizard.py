from odoo import fields, models


class AftersalesVisitCancelWizard(models.TransientModel):
    _name = "aftersales.visit.cancel.wizard"
    _description = "Cancel an After-Sales Visit or Record a No-Show"

    visit_id = fields.Many2one("aftersales.visit", required=True, ondelete="cascade")
    outcome = fields.Selection(
        [("cancelled", "Cancelled"), ("no_show", "No-Show")],
        required=True,
        default="cancelled",
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        if self.outcome == "no_show":
            self.visit_id.action_no_show(reason=self.reason)
        else:
            self.visit_id.action_cancel(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
