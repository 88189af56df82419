from odoo import fields, models

from .aftersales_callback import OUTCOMES


class AftersalesCallbackAttempt(models.Model):
    _name = "aftersales.callback.attempt"
    _description = "After-Sales Callback Attempt"
    _order = "date desc, id desc"

    callback_id = fields.Many2one(
        "aftersales.callback", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="callback_id.company_id", store=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    user_id = fields.Many2one(
        "res.users", string="Agent", required=True, default=lambda self: self.env.user
    )
    outcome = fields.Selection(OUTCOMES, required=True)
    callback_date = fields.Datetime(string="Call Back On")
    note = fields.Text()
