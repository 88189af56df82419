from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    aftersales_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="After-Sales Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The ticket whose three-guarantee return this credit note refunds.",
    )
