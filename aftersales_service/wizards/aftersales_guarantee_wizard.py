from odoo import api, fields, models

from ..models.ticket_guarantee import GUARANTEE_KINDS


class AftersalesGuaranteeWizard(models.TransientModel):
    """Carry out a three-guarantee right of a ticket: the refund of a
    return, or the serial of the new unit of an exchange or replacement."""

    _name = "aftersales.guarantee.wizard"
    _description = "Carry Out a Three-Guarantee Right"

    ticket_id = fields.Many2one("aftersales.ticket", required=True, readonly=True)
    kind = fields.Selection(GUARANTEE_KINDS, required=True, readonly=True)
    product_id = fields.Many2one(related="ticket_id.product_id")
    old_lot_id = fields.Many2one(related="ticket_id.lot_id", string="Faulty Unit")
    reason = fields.Char(related="ticket_id.three_guarantee_reason")
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_refund", compute_sudo=True
    )
    refund_limit = fields.Monetary(
        string="Unit Price Invoiced",
        compute="_compute_refund",
        compute_sudo=True,
        help="What the customer paid for this unit (taxes included), at most "
        "what is left to refund on the invoice.",
    )
    refund_amount = fields.Monetary(
        compute="_compute_refund_amount",
        store=True,
        readonly=False,
        compute_sudo=True,
        help="The credit note refunds this amount, taxes included.",
    )
    invoice_ref = fields.Char(
        string="Original Invoice", compute="_compute_refund", compute_sudo=True
    )
    available_lot_ids = fields.Many2many(
        "stock.lot", compute="_compute_available_lot_ids", compute_sudo=True
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="New Unit",
        domain="[('id', 'in', available_lot_ids)]",
        help="The serial delivered to the customer, free in the warehouse's "
        "stock. Left empty: the first free one.",
    )
    note = fields.Char(help="Written on the credit note and in the ticket's history.")

    @api.depends("ticket_id", "kind")
    def _compute_refund(self):
        for wizard in self:
            wizard.currency_id = wizard.ticket_id.company_id.currency_id
            wizard.refund_limit = 0.0
            wizard.invoice_ref = False
            if wizard.kind != "return" or not wizard.ticket_id.warranty_id:
                continue
            line = wizard.ticket_id._guarantee_find_invoice_line()
            if not line:
                continue
            unit, left = wizard.ticket_id._guarantee_refund_limits(line)
            wizard.currency_id = line.currency_id
            wizard.invoice_ref = line.move_id.name
            wizard.refund_limit = min(unit, left)

    @api.depends("refund_limit")
    def _compute_refund_amount(self):
        for wizard in self:
            wizard.refund_amount = wizard.refund_limit

    @api.depends("ticket_id", "kind")
    def _compute_available_lot_ids(self):
        for wizard in self:
            lots = self.env["stock.lot"]
            if wizard.kind in ("exchange", "replacement") and wizard.ticket_id:
                warehouse = wizard.ticket_id._guarantee_warehouse()
                for lot in wizard.ticket_id._guarantee_available_lots(warehouse):
                    lots |= lot
            wizard.available_lot_ids = lots

    def action_confirm(self):
        self.ensure_one()
        self.ticket_id._guarantee_carry_out(
            self.kind,
            refund_amount=self.refund_amount if self.kind == "return" else None,
            new_lot=self.lot_id or None,
            note=self.note,
        )
        return {"type": "ir.actions.act_window_close"}
