from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    aftersales_repeat_days = fields.Integer(
        related="company_id.aftersales_repeat_days", readonly=False
    )
    aftersales_hotline = fields.Char(
        related="company_id.aftersales_hotline", readonly=False
    )
    aftersales_kpi_recipient_ids = fields.Many2many(
        related="company_id.aftersales_kpi_recipient_ids", readonly=False
    )
    aftersales_reopen_days = fields.Integer(
        related="company_id.aftersales_reopen_days", readonly=False
    )
    aftersales_warranty_check_phone = fields.Boolean(
        related="company_id.aftersales_warranty_check_phone", readonly=False
    )
    aftersales_phone_reveal_hours = fields.Float(
        related="company_id.aftersales_phone_reveal_hours", readonly=False
    )
