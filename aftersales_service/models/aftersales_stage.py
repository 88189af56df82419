from odoo import api, fields, models, tools

# What reaching a stage means for the case. Solved and cancelled both close
# the ticket, but only a solved ticket counts as a repair, meets its service
# levels, extends a warranty or gets a satisfaction callback.
OUTCOMES = [
    ("none", "Open"),
    ("solved", "Solved"),
    ("cancelled", "Cancelled / Not Fixed"),
]


class AftersalesStage(models.Model):
    _name = "aftersales.stage"
    _inherit = ["aftersales.cached.config.mixin"]
    _description = "After-Sales Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded stages are collapsed in the kanban view.",
    )
    outcome = fields.Selection(
        OUTCOMES,
        string="Closing Outcome",
        required=True,
        default="none",
        help="Open: the ticket is still worked on. Solved: the customer's "
        "problem is fixed (service levels met, a repair for the three "
        "guarantees, a callback follows). Cancelled / not fixed: the case "
        "ends without a repair (service levels cancelled, no callback, "
        "reserved parts released).",
    )
    is_closed = fields.Boolean(
        string="Closing Stage",
        compute="_compute_is_closed",
        store=True,
        help="Tickets in this stage are solved or cancelled.",
    )
    description = fields.Text(translate=True)
    pause_sla = fields.Boolean(
        string="Pauses Service Levels",
        help="While a ticket waits in this stage (on the customer or on "
        "parts), its service-level clocks stop; the time is added back to "
        "the deadlines.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'aftersales.ticket')]",
        help="E-mail sent to the customer when a ticket reaches this stage.",
    )

    @api.depends("outcome")
    def _compute_is_closed(self):
        for stage in self:
            stage.is_closed = stage.outcome != "none"

    @api.model
    @tools.ormcache()
    def _first_stage_id(self):
        """The first active stage, a new ticket's (cached between requests,
        cleared when a stage changes)."""
        return self.sudo().with_context(active_test=True).search([], limit=1).id
