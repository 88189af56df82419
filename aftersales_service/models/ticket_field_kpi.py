from collections import Counter

from odoo import api, fields, models

# Resolution modes in which nobody travels: the case is resolved remotely.
REMOTE_MODES = ("phone", "remote")


class AftersalesTicket(models.Model):
    """Field KPIs of the ticket: the visits it took, whether one visit fixed
    it, whether it was resolved remotely. Stored, so that lists filter and the
    KPI report and the scorecards read them."""

    _inherit = "aftersales.ticket"

    field_visit_count = fields.Integer(
        string="Visits Made",
        compute="_compute_field_kpis",
        store=True,
        help="Visits that went to the customer: the technician checked in on "
        "site, or nobody was there (no-show). Planned and cancelled visits are "
        "not counted.",
    )
    visit_first_time_fix = fields.Boolean(
        string="Fixed in One Visit",
        compute="_compute_field_kpis",
        store=True,
        help="Solved with a single visit made (first-time fix by visits).",
    )
    resolved_remotely = fields.Boolean(
        compute="_compute_field_kpis",
        store=True,
        index=True,
        help="Solved on the phone or by remote support: nobody travelled.",
    )

    @api.depends(
        "outcome", "resolution_mode", "visit_ids.state", "visit_ids.check_in_date"
    )
    def _compute_field_kpis(self):
        made, arrived = Counter(), Counter()
        ticket_ids = self._may_have("visit_ids").ids
        if ticket_ids:
            # Every visit counts, whichever technician made it.
            rows = (
                self.env["aftersales.visit"]
                .sudo()
                ._read_group(
                    [
                        ("ticket_id", "in", ticket_ids),
                        "|",
                        ("check_in_date", "!=", False),
                        ("state", "=", "no_show"),
                    ],
                    ["ticket_id", "state"],
                    ["__count"],
                )
            )
            for ticket, state, count in rows:
                made[ticket.id] += count
                if state != "no_show":
                    arrived[ticket.id] += count
        for ticket in self:
            solved = ticket.outcome == "solved"
            ticket.field_visit_count = made[ticket.id]
            ticket.visit_first_time_fix = (
                solved and arrived[ticket.id] >= 1 and made[ticket.id] == 1
            )
            ticket.resolved_remotely = solved and ticket.resolution_mode in REMOTE_MODES
