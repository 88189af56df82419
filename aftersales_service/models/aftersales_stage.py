from odoo import fields, models


class AftersalesStage(models.Model):
    _name = "aftersales.stage"
    _description = "After-Sales Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded stages are collapsed in the kanban view.",
    )
    is_closed = fields.Boolean(
        string="Closing Stage",
        help="Tickets in this stage are considered solved or closed.",
    )
    description = fields.Text(translate=True)
