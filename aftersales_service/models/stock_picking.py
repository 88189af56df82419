from odoo import _, fields, models
from odoo.exceptions import UserError

UNIT_FLOWS = [
    ("in", "Unit Receipt"),
    ("out", "Unit Return"),
]

GUARANTEE_FLOWS = [
    ("return", "Three-Guarantee Return"),
    ("delivery", "Exchange Delivery"),
    ("loan_out", "Loaner Lent"),
    ("loan_in", "Loaner Taken Back"),
]


class StockPicking(models.Model):
    """Transfers of a customer's unit for a carry-in / mail-in repair: the
    receipt into the workshop and the return to the customer."""

    _inherit = "stock.picking"

    aftersales_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="After-Sales Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The ticket whose customer's unit this transfer receives or returns.",
    )
    aftersales_unit_flow = fields.Selection(
        UNIT_FLOWS,
        string="Customer Unit",
        readonly=True,
        copy=False,
    )
    aftersales_unit_condition = fields.Text(
        string="Condition at Receipt",
        help="Accessories handed over and visible damage, as written on the "
        "customer's receipt.",
    )
    aftersales_by_mail = fields.Boolean(
        string="Mail-In",
        readonly=True,
        copy=False,
        help="The customer sends the unit by mail (and gets it back by mail).",
    )

    # Three guarantees and loaners: what stock users see of after-sales
    aftersales_guarantee_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Guarantee Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The ticket whose return, exchange or loaner this transfer moves.",
    )
    aftersales_guarantee_flow = fields.Selection(
        GUARANTEE_FLOWS,
        string="After-Sales Move",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    aftersales_loan_id = fields.Many2one(
        "aftersales.loan",
        string="Loan",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    def _action_done(self):
        self._aftersales_check_unit()
        res = super()._action_done()
        units = self.filtered(lambda p: p.aftersales_unit_flow and p.state == "done")
        if units:
            units._aftersales_unit_done()
        for picking in self.filtered(
            lambda p: p.aftersales_guarantee_flow == "delivery" and p.state == "done"
        ):
            picking.aftersales_guarantee_ticket_id._guarantee_delivered(picking)
        return res

    def _aftersales_check_unit(self):
        """A unit transfer moves the ticket's serial and nothing else."""
        for picking in self.filtered("aftersales_unit_flow"):
            ticket = picking.aftersales_ticket_id.sudo()
            lines = picking.move_ids.move_line_ids.filtered("quantity")
            wrong = lines.filtered(
                lambda ml, t=ticket: (
                    ml.product_id != t.product_id or ml.lot_id != t.lot_id
                )
            )
            if wrong or not lines:
                found = wrong[:1].lot_id.name or wrong[:1].product_id.display_name
                raise UserError(
                    _(
                        "%(picking)s moves the unit of ticket %(ticket)s: "
                        "%(product)s with serial number %(lot)s only, not "
                        "%(found)s.",
                        picking=picking.name,
                        ticket=ticket.name,
                        product=ticket.product_id.display_name,
                        lot=ticket.lot_id.name,
                        found=found or _("nothing"),
                    )
                )

    def _aftersales_unit_done(self):
        """The customer is given the receipt of their unit; the ticket logs
        its return."""
        for picking in self:
            ticket = picking.aftersales_ticket_id.sudo()
            if picking.aftersales_unit_flow == "in":
                ticket._carry_in_send("aftersales_service.mail_template_unit_received")
            else:
                ticket.message_post(
                    body=_(
                        "Unit %(lot)s returned to the customer (%(picking)s).",
                        lot=ticket.lot_id.name,
                        picking=picking.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
