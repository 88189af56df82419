from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    aftersales_team_ids = fields.Many2many(
        "aftersales.team",
        "aftersales_team_member_rel",
        "user_id",
        "team_id",
        string="After-Sales Teams",
    )
