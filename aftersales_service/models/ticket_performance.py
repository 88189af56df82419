from collections import defaultdict

from odoo import fields, models


class AftersalesTicket(models.Model):
    """What the performance scores and KPIs read of the ticket's history."""

    _inherit = "aftersales.ticket"

    reopen_count = fields.Integer(
        string="Reopened",
        readonly=True,
        copy=False,
        help="How many times the ticket was reopened after being closed.",
    )

    def _on_transition(self, kind, previous):
        result = super()._on_transition(kind, previous)
        if kind == "reopened":
            # Counted by the lifecycle, whoever moved the ticket back (a
            # technician may not write the counter himself).
            by_count = defaultdict(list)
            for ticket in self:
                by_count[ticket.reopen_count].append(ticket.id)
            for count, ids in by_count.items():
                self.browse(ids).sudo().write({"reopen_count": count + 1})
        return result
