from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

RESOLUTION_MODES = [
    ("phone", "On the Phone"),
    ("remote", "Remote Support"),
    ("onsite", "On-Site Visit"),
    ("carry_in", "Carry-In / Mail-In"),
    ("exchange", "Exchange"),
]

# Ticket fields a technician (without agent rights) may set on the tickets
# assigned to them: how the case is resolved and what the remote session
# found.
FIELD_TECHNICIAN_FIELDS = {
    "resolution_mode",
    "remote_session_notes",
    "remote_session_duration",
}


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
    # Remote support
    remote_session_notes = fields.Text(
        help="What was checked and changed during the remote support session(s).",
    )
    remote_session_duration = fields.Float(
        string="Remote Session Time",
        tracking=True,
        help="Time spent with the customer in remote support sessions (hours).",
    )
    visit_ids = fields.One2many("aftersales.visit", "ticket_id", string="Visits")
    visit_count = fields.Integer(compute="_compute_visit_count")

    def _compute_visit_count(self):
        counts = self.env["aftersales.visit"]._count_by("ticket_id", self.ids)
        for ticket in self:
            ticket.visit_count = counts.get(ticket.id, 0)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("remote_session_notes", "remote_session_duration")
    def _check_remote_session(self):
        for ticket in self:
            if ticket.remote_session_duration < 0:
                raise ValidationError(
                    _(
                        "Remote Session Time: %(ticket)s cannot have a negative "
                        "session time.",
                        ticket=ticket.name,
                    )
                )
            recorded = (
                ticket.remote_session_notes or ""
            ).strip() or ticket.remote_session_duration
            if recorded and ticket.resolution_mode != "remote":
                raise ValidationError(
                    _(
                        "Remote session: %(ticket)s is not resolved by remote "
                        "support. Set its resolution mode to Remote Support "
                        "before recording a session.",
                        ticket=ticket.name,
                    )
                )

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _technician_writable_fields(self):
        return super()._technician_writable_fields() | FIELD_TECHNICIAN_FIELDS

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_visits(self):
        self.ensure_one()
        return self.env["aftersales.visit"]._action_view(
            [("ticket_id", "=", self.id)],
            {"default_ticket_id": self.id},
        )
