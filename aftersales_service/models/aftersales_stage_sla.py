from odoo import fields, models


class AftersalesStage(models.Model):
    _inherit = "aftersales.stage"

    pause_sla = fields.Boolean(
        string="Pauses Service Levels",
        help="While a ticket waits in this stage (on the customer or on "
        "parts), its service-level clocks stop; the time is added back to "
        "the deadlines.",
    )
