from odoo import fields, models


class AftersalesChannel(models.Model):
    _name = "aftersales.channel"
    _description = "After-Sales Intake Channel"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code used by integrations (e.g. phone, wechat, portal).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to use the channel in every company.",
    )
    team_id = fields.Many2one(
        "aftersales.team",
        string="Default Team",
        check_company=True,
        help="Tickets received on this channel go to this team when the "
        "customer's region does not decide it.",
    )
    color = fields.Integer()
    planned_work = fields.Boolean(
        help="Tickets of this channel are opened by the company itself for "
        "planned work (periodic inspections, maintenance contracts), not "
        "reported by the customer: no acknowledgement e-mail, no response or "
        "resolution targets, not counted as failures in batch-failure alerts.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The channel code must be unique per company.",
        ),
    ]
