from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.aftersales_callback import OUTCOMES


class AftersalesCallbackOutcomeWizard(models.TransientModel):
    _name = "aftersales.callback.outcome.wizard"
    _description = "Record a Callback Outcome"

    callback_id = fields.Many2one("aftersales.callback", required=True)
    partner_id = fields.Many2one(related="callback_id.partner_id")
    partner_phone = fields.Char(
        related="callback_id.partner_phone",
        groups="aftersales_service.group_aftersales_contact_full",
    )
    attempt_count = fields.Integer(related="callback_id.attempt_count")
    outcome = fields.Selection(OUTCOMES, required=True, default="reached")
    callback_date = fields.Datetime(
        string="Call Back On", help="When the customer wants to be called back."
    )
    note = fields.Text()

    @api.constrains("outcome", "callback_date")
    def _check_callback_date(self):
        for wizard in self:
            if wizard.outcome == "later" and not wizard.callback_date:
                raise ValidationError(
                    _("Call back later: say when the customer wants to be called.")
                )

    def action_confirm(self):
        self.ensure_one()
        callback = self.callback_id
        callback._record_outcome(
            self.outcome, callback_date=self.callback_date, note=self.note
        )
        if self.outcome == "reached" and callback.can_answer:
            action = callback.action_answer_survey()
            action["close"] = True  # close the dialog, open the survey aside
            return action
        return {"type": "ir.actions.act_window_close"}
