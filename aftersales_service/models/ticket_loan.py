from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .aftersales_loan import LOAN_ALERTS


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # Loaner units lent while the customer's unit is in repair
    loan_ids = fields.One2many("aftersales.loan", "ticket_id", string="Loaners")
    loan_count = fields.Integer(string="Loaners Lent", compute="_compute_loan_count")
    loan_alert = fields.Selection(
        LOAN_ALERTS,
        string="Loaner Return",
        compute="_compute_loan_alert",
        store=True,
        index="btree_not_null",
        compute_sudo=True,
        help="Overdue: a loaner lent on this ticket is past its expected "
        "return. Long overdue: past the service point's red threshold.",
    )

    def _compute_loan_count(self):
        counts = self.env["aftersales.loan"]._count_by("ticket_id", self.ids)
        for ticket in self:
            ticket.loan_count = counts.get(ticket.id, 0)

    @api.depends("loan_ids.alert", "loan_ids.state")
    def _compute_loan_alert(self):
        for ticket in self:
            alerts = set(
                ticket.loan_ids.filtered(lambda loan: loan.state == "lent").mapped(
                    "alert"
                )
            )
            ticket.loan_alert = (
                "red"
                if "red" in alerts
                else "yellow"
                if "yellow" in alerts
                else "none"
                if alerts
                else False
            )

    @api.depends("loan_alert")
    def _compute_traffic_light(self):
        """An overdue loaner turns the ticket yellow, a long overdue one red."""
        res = super()._compute_traffic_light()
        for ticket in self:
            if ticket.loan_alert == "red":
                ticket.traffic_light = "red"
            elif ticket.loan_alert == "yellow" and ticket.traffic_light == "green":
                ticket.traffic_light = "yellow"
        return res

    def action_lend_loaner(self):
        """A new loan for this ticket, from its service point's pool."""
        self.ensure_one()
        self.env["aftersales.loan"]._ensure_loan_agent()
        self.check_access("write")
        if self.is_closed:
            raise UserError(
                _(
                    "%(ticket)s is closed: no loaner is lent on a closed ticket.",
                    ticket=self.name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("Lend a Loaner"),
            "res_model": "aftersales.loan",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_ticket_id": self.id,
                "default_product_id": self.product_id.id,
            },
        }

    def action_view_loans(self):
        self.ensure_one()
        return self.env["aftersales.loan"]._action_view(
            [("ticket_id", "=", self.id)], {"default_ticket_id": self.id}
        )
