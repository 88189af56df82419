from odoo import api, fields, models


class AftersalesTicket(models.Model):
    """Visit report slice of the ticket: when the first service report was
    signed, and how long it took from registration."""

    _inherit = "aftersales.ticket"

    report_signed_date = fields.Datetime(
        string="First Report Signed",
        compute="_compute_report_signed",
        store=True,
        help="When the customer signed the first service report of the ticket.",
    )
    report_signed_hours = fields.Float(
        string="Registration to Signed Report (h)",
        compute="_compute_report_signed",
        store=True,
        aggregator="avg",
        help="Hours from the registration of the ticket to the first signed "
        "service report (the common pledge is 24 hours).",
    )

    @api.depends("received_date", "visit_ids.signed_on")
    def _compute_report_signed(self):
        for ticket in self:
            dates = [date for date in ticket.visit_ids.mapped("signed_on") if date]
            first = min(dates) if dates else False
            ticket.report_signed_date = first
            if first and ticket.received_date:
                delta = first - ticket.received_date
                ticket.report_signed_hours = max(delta.total_seconds(), 0.0) / 3600.0
            else:
                ticket.report_signed_hours = 0.0
