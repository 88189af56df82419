from odoo import fields, models

RESOLUTION_MODES = [
    ("phone", "On the Phone"),
    ("remote", "Remote Support"),
    ("onsite", "On-Site Visit"),
    ("carry_in", "Carry-In / Mail-In"),
    ("exchange", "Exchange"),
]


class AftersalesTicket(models.Model):
    """Field service slice of the ticket: how the case is resolved and the
    visits planned for it."""

    _inherit = "aftersales.ticket"

    resolution_mode = fields.Selection(
        RESOLUTION_MODES,
        tracking=True,
        index=True,
        help="How the case is resolved. It may change during the case; every "
        "change is tracked.",
    )
    visit_ids = fields.One2many("aftersales.visit", "ticket_id", string="Visits")
    visit_count = fields.Integer(compute="_compute_visit_count")

    def _compute_visit_count(self):
        counts = self.env["aftersales.visit"]._count_by("ticket_id", self.ids)
        for ticket in self:
            ticket.visit_count = counts.get(ticket.id, 0)

    def action_view_visits(self):
        self.ensure_one()
        return self.env["aftersales.visit"]._action_view(
            [("ticket_id", "=", self.id)],
            {"default_ticket_id": self.id},
        )
