from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_round

GUARANTEE_KINDS = [
    ("return", "Return and Refund"),
    ("exchange", "Exchange"),
    ("replacement", "Replacement"),
]

GUARANTEE_STATES = [
    ("none", "Not Carried Out"),
    ("delivering", "New Unit to Deliver"),
    ("done", "Carried Out"),
]

# Which execution each three-guarantee right opens: within the return
# period the customer may also choose an exchange.
ALLOWED_KINDS = {
    "return": ("return", "exchange"),
    "exchange": ("exchange",),
    "replacement": ("replacement",),
}


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # The three guarantees carried out (三包): return, exchange, replacement
    guarantee_kind = fields.Selection(
        GUARANTEE_KINDS,
        string="Guarantee Carried Out",
        readonly=True,
        copy=False,
        tracking=True,
    )
    guarantee_state = fields.Selection(
        GUARANTEE_STATES,
        string="Guarantee Execution",
        default="none",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )
    guarantee_return_picking_id = fields.Many2one(
        "stock.picking",
        string="Faulty Unit Return",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    guarantee_delivery_picking_id = fields.Many2one(
        "stock.picking",
        string="New Unit Delivery",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    guarantee_credit_note_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
    guarantee_old_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Voided Warranty",
        readonly=True,
        copy=False,
    )
    guarantee_new_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="New Warranty",
        readonly=True,
        copy=False,
    )
    guarantee_new_lot_id = fields.Many2one(
        "stock.lot",
        string="New Serial Number",
        readonly=True,
        copy=False,
    )
    # What every ticket reader sees of the documents (agents and the portal
    # have no stock or accounting rights): reference and state.
    guarantee_return_ref = fields.Char(
        string="Return Transfer", compute="_compute_guarantee_docs", compute_sudo=True
    )
    guarantee_delivery_ref = fields.Char(
        string="Delivery Transfer",
        compute="_compute_guarantee_docs",
        compute_sudo=True,
    )
    guarantee_delivery_done = fields.Boolean(
        compute="_compute_guarantee_docs", compute_sudo=True
    )
    guarantee_credit_note_ref = fields.Char(
        string="Credit Note Number",
        compute="_compute_guarantee_docs",
        compute_sudo=True,
    )
    guarantee_refund_amount = fields.Monetary(
        string="Refunded",
        compute="_compute_guarantee_docs",
        compute_sudo=True,
        currency_field="guarantee_currency_id",
    )
    guarantee_currency_id = fields.Many2one(
        "res.currency", compute="_compute_guarantee_docs", compute_sudo=True
    )
    can_guarantee_return = fields.Boolean(compute="_compute_can_guarantee")
    can_guarantee_exchange = fields.Boolean(compute="_compute_can_guarantee")
    can_guarantee_replacement = fields.Boolean(compute="_compute_can_guarantee")
    can_guarantee_deliver = fields.Boolean(compute="_compute_can_guarantee")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "guarantee_return_picking_id.state",
        "guarantee_delivery_picking_id.state",
        "guarantee_credit_note_id.state",
    )
    def _compute_guarantee_docs(self):
        for ticket in self:
            back = ticket.guarantee_return_picking_id
            out = ticket.guarantee_delivery_picking_id
            credit = ticket.guarantee_credit_note_id
            ticket.guarantee_return_ref = back.name or False
            ticket.guarantee_delivery_ref = out.name or False
            ticket.guarantee_delivery_done = out.state == "done"
            ticket.guarantee_credit_note_ref = credit.name or False
            ticket.guarantee_refund_amount = credit.amount_total
            ticket.guarantee_currency_id = (
                credit.currency_id or ticket.company_id.currency_id
            )

    @api.depends(
        "three_guarantee_right", "replacement_state", "guarantee_state", "is_closed"
    )
    @api.depends_context("uid")
    def _compute_can_guarantee(self):
        agent = self.env.user.has_group("aftersales_service.group_aftersales_user_own")
        for ticket in self:
            kinds = ticket._guarantee_allowed_kinds() if agent else ()
            open_ = ticket.guarantee_state == "none" and not ticket.is_closed
            ticket.can_guarantee_return = open_ and "return" in kinds
            ticket.can_guarantee_exchange = open_ and "exchange" in kinds
            ticket.can_guarantee_replacement = open_ and "replacement" in kinds
            ticket.can_guarantee_deliver = (
                agent and ticket.guarantee_state == "delivering"
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _action_guarantee_wizard(self, kind):
        self.ensure_one()
        self._ensure_guarantee_allowed(kind)
        return {
            "type": "ir.actions.act_window",
            "name": dict(GUARANTEE_KINDS)[kind],
            "res_model": "aftersales.guarantee.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id, "default_kind": kind},
        }

    def action_guarantee_return(self):
        return self._action_guarantee_wizard("return")

    def action_guarantee_exchange(self):
        return self._action_guarantee_wizard("exchange")

    def action_guarantee_replacement(self):
        return self._action_guarantee_wizard("replacement")

    def action_guarantee_deliver(self):
        """The new unit is handed over to the customer now: the reserved
        delivery is validated."""
        self._ensure_guarantee_agent()
        for ticket in self:
            ticket.check_access("write")
            if ticket.guarantee_state != "delivering":
                raise UserError(
                    _(
                        "Ticket %(name)s has no new unit waiting for delivery.",
                        name=ticket.name,
                    )
                )
            picking = ticket.sudo().guarantee_delivery_picking_id
            picking.move_ids.picked = True
            picking._action_done()
        return True

    def action_view_guarantee_return(self):
        self.ensure_one()
        return self._guarantee_open(self.guarantee_return_picking_id)

    def action_view_guarantee_delivery(self):
        self.ensure_one()
        return self._guarantee_open(self.guarantee_delivery_picking_id)

    def action_view_guarantee_credit_note(self):
        self.ensure_one()
        return self._guarantee_open(self.guarantee_credit_note_id)

    def action_view_guarantee_new_warranty(self):
        self.ensure_one()
        return self._guarantee_open(self.guarantee_new_warranty_id)

    def _guarantee_open(self, record):
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _guarantee_allowed_kinds(self):
        """The executions the ticket's right (decided now) opens."""
        self.ensure_one()
        kinds = ALLOWED_KINDS.get(self.three_guarantee_right, ())
        if "replacement" in kinds and self.replacement_state != "approved":
            kinds = ()
        return kinds

    def _ensure_guarantee_agent(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_user_own"):
            raise AccessError(
                _(
                    "Only after-sales agents and managers carry out a return, an "
                    "exchange or a replacement."
                )
            )

    def _ensure_guarantee_allowed(self, kind):
        """Who may carry out ``kind`` on this ticket, and whether the ticket
        has that right today: checked on the server, whatever the screen
        showed."""
        self.ensure_one()
        self._ensure_guarantee_agent()
        self.check_access("write")
        label = dict(GUARANTEE_KINDS)[kind]
        if self.is_closed:
            raise UserError(
                _(
                    "%(ticket)s is closed: reopen it before carrying out a %(kind)s.",
                    ticket=self.name,
                    kind=label,
                )
            )
        if self.guarantee_state != "none":
            raise UserError(
                _(
                    "%(ticket)s already carried out a %(kind)s.",
                    ticket=self.name,
                    kind=dict(GUARANTEE_KINDS).get(self.guarantee_kind, ""),
                )
            )
        if not self.lot_id:
            raise UserError(
                _(
                    "Serial Number: %(ticket)s has no serial number. A return, "
                    "exchange or replacement is carried out on the unit's serial.",
                    ticket=self.name,
                )
            )
        if kind == "replacement" and self.three_guarantee_right == "replacement":
            if self.replacement_state != "approved":
                raise UserError(
                    _(
                        "%(ticket)s: the replacement waits for a manager's approval.",
                        ticket=self.name,
                    )
                )
        if kind not in self._guarantee_allowed_kinds():
            raise UserError(
                _(
                    "%(ticket)s has no right to a %(kind)s: %(reason)s.",
                    ticket=self.name,
                    kind=label,
                    reason=self.three_guarantee_reason
                    or _("no three-guarantee right on this unit today"),
                )
            )

    def _guarantee_warehouse(self):
        """The warehouse taking the unit back and delivering the new one:
        the team's, else the company's first."""
        return self._carry_in_warehouse()

    def _guarantee_find_invoice_line(self):
        """The posted customer invoice line of the unit's sale, if any."""
        self.ensure_one()
        order = self.sudo().warranty_id.sale_order_id
        return order.invoice_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        ).invoice_line_ids.filtered(
            lambda line: line.product_id == self.product_id and line.quantity > 0
        )[:1]

    def _guarantee_invoice_line(self):
        """The posted customer invoice line of the unit's sale, or a clear
        refusal: a refund is made from the original invoice only."""
        self.ensure_one()
        order = self.sudo().warranty_id.sale_order_id
        lines = self._guarantee_find_invoice_line()
        if not lines:
            raise UserError(
                _(
                    "%(ticket)s: no posted invoice for %(product)s on the sale "
                    "%(order)s. A refund is made from the original invoice: post "
                    "the invoice first (or settle the refund by hand).",
                    ticket=self.name,
                    product=self.product_id.display_name,
                    order=order.name or _("(no sale order on the warranty)"),
                )
            )
        return lines

    def _guarantee_refund_limits(self, line=None):
        """(unit price incl. taxes, what is left to refund on the invoice)."""
        line = line or self._guarantee_invoice_line()
        invoice = line.move_id
        refunded = sum(
            invoice.reversal_move_ids.filtered(lambda m: m.state == "posted").mapped(
                "amount_total"
            )
        )
        unit = line.price_total / line.quantity
        return unit, invoice.amount_total - refunded

    def _guarantee_available_lots(self, warehouse):
        """Serials of the ticket's product free in the warehouse's stock
        (not reserved, not the loaners): {lot: quant location}."""
        self.ensure_one()
        quants = (
            self.env["stock.quant"]
            .sudo()
            .search(
                [
                    ("product_id", "=", self.product_id.id),
                    ("location_id", "child_of", warehouse.lot_stock_id.id),
                    ("lot_id", "!=", False),
                    ("quantity", ">", 0),
                ]
            )
        )
        available = {}
        for quant in quants:
            if quant.quantity - quant.reserved_quantity >= 1:
                available.setdefault(quant.lot_id, quant.location_id)
        return available

    def _guarantee_carry_out(self, kind, refund_amount=None, new_lot=None, note=False):
        """Carry out ``kind`` on the ticket: every check first, then the
        documents; any refusal leaves nothing written."""
        self.ensure_one()
        self._ensure_guarantee_allowed(kind)
        warehouse = self._guarantee_warehouse()
        warranty = self.sudo().warranty_id
        location = None
        if kind == "return":
            unit, left = self._guarantee_refund_limits()
            currency = self._guarantee_invoice_line().currency_id
            amount = unit if refund_amount is None else refund_amount
            if float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0:
                raise UserError(_("Refund Amount: enter an amount above zero."))
            limit = min(unit, left)
            if float_compare(amount, limit, precision_rounding=currency.rounding) > 0:
                raise UserError(
                    _(
                        "A credit note of %(amount)s is larger than what the "
                        "invoice allows for this unit (%(limit)s: unit price "
                        "%(unit)s, left to refund on the invoice %(left)s).",
                        amount=float_round(
                            amount, precision_rounding=currency.rounding
                        ),
                        limit=float_round(limit, precision_rounding=currency.rounding),
                        unit=float_round(unit, precision_rounding=currency.rounding),
                        left=float_round(left, precision_rounding=currency.rounding),
                    )
                )
        else:
            available = self._guarantee_available_lots(warehouse)
            if not available:
                raise UserError(
                    _(
                        "No unit of %(product)s in stock at %(warehouse)s for the "
                        "%(kind)s: receive one first. Nothing was done.",
                        product=self.product_id.display_name,
                        warehouse=warehouse.name,
                        kind=dict(GUARANTEE_KINDS)[kind],
                    )
                )
            if new_lot and new_lot not in available:
                raise UserError(
                    _(
                        "Serial number %(lot)s is not free in the stock of "
                        "%(warehouse)s: choose one of %(lots)s.",
                        lot=new_lot.name,
                        warehouse=warehouse.name,
                        lots=", ".join(lot.name for lot in available),
                    )
                )
            new_lot = new_lot or next(iter(available))
            location = available[new_lot]
        back = self._guarantee_return_unit(warehouse, warranty, kind)
        if warranty.state != "void":
            warranty._void(
                _(
                    "%(kind)s under ticket %(ticket)s (%(picking)s).",
                    kind=dict(GUARANTEE_KINDS)[kind],
                    ticket=self.name,
                    picking=back.name,
                )
            )
        vals = {
            "guarantee_kind": kind,
            "guarantee_return_picking_id": back.id,
            "guarantee_old_warranty_id": warranty.id,
        }
        if kind == "return":
            credit = self._guarantee_credit_note(amount, note)
            vals.update(guarantee_state="done", guarantee_credit_note_id=credit.id)
            body = _(
                "Return carried out: unit %(lot)s taken back with %(picking)s, "
                "credit note %(credit)s of %(amount)s, warranty %(warranty)s void.",
                lot=self.lot_id.name,
                picking=back.name,
                credit=credit.name,
                amount=credit.amount_total,
                warranty=warranty.name,
            )
        else:
            out = self._guarantee_deliver_unit(warehouse, new_lot, location)
            vals.update(
                guarantee_state="delivering",
                guarantee_delivery_picking_id=out.id,
                guarantee_new_lot_id=new_lot.id,
            )
            body = _(
                "%(kind)s carried out: faulty unit %(lot)s taken back with "
                "%(picking)s, warranty %(warranty)s void; new unit %(new)s "
                "reserved for delivery with %(delivery)s.",
                kind=dict(GUARANTEE_KINDS)[kind],
                lot=self.lot_id.name,
                picking=back.name,
                warranty=warranty.name,
                new=new_lot.name,
                delivery=out.name,
            )
        self.sudo().write(vals)
        if note:
            body = _("%(body)s Note: %(note)s", body=body, note=note)
        self.message_post(body=body, subtype_xmlid="mail.mt_note")
        return True

    def _guarantee_return_unit(self, warehouse, warranty, kind):
        """The faulty unit back at the company, validated at once (handed
        over at the counter): Odoo's return of the original delivery where
        there is one (a refund updates the sale's delivered quantity), else
        a receipt from the customer. The unit goes to the defective stock,
        never back among the units for sale."""
        self.ensure_one()
        lot = self.lot_id
        destination = (
            warehouse.aftersales_defective_location_id or warehouse.lot_stock_id
        )
        delivery = warranty.picking_id
        move = delivery.move_ids.filtered(
            lambda m: m.state == "done" and lot in m.move_line_ids.lot_id
        )[:1]
        Picking = self.env["stock.picking"].sudo()
        if move:
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_context(active_id=delivery.id, active_model="stock.picking")
                .create({"picking_id": delivery.id})
            )
            for line in wizard.product_return_moves:
                line.write(
                    {
                        "quantity": 1.0 if line.move_id == move else 0.0,
                        "to_refund": kind == "return",
                    }
                )
            picking = wizard._create_return()
            picking.location_dest_id = destination
        else:
            customers = self.partner_id.sudo().property_stock_customer or (
                self.env.ref("stock.stock_location_customers")
            )
            picking = Picking.create(
                {
                    "picking_type_id": warehouse.in_type_id.id,
                    "partner_id": self.partner_id.id,
                    "location_id": customers.id,
                    "location_dest_id": destination.id,
                    "origin": self.name,
                    "company_id": self.company_id.id,
                    "move_ids": [
                        Command.create(
                            {
                                "name": lot.product_id.display_name,
                                "product_id": lot.product_id.id,
                                "product_uom_qty": 1.0,
                                "product_uom": lot.product_id.uom_id.id,
                                "location_id": customers.id,
                                "location_dest_id": destination.id,
                                "company_id": self.company_id.id,
                            }
                        )
                    ],
                }
            )
            picking.action_confirm()
        picking.write(
            {
                "aftersales_guarantee_ticket_id": self.id,
                "aftersales_guarantee_flow": "return",
                "origin": f"{picking.origin}, {self.name}"
                if picking.origin
                else self.name,
            }
        )
        unit_move = picking.move_ids.filtered(lambda m: m.product_id == lot.product_id)
        picking.move_ids.move_line_ids.unlink()
        self.env["stock.move.line"].sudo().create(
            {
                "move_id": unit_move.id,
                "picking_id": picking.id,
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "quantity": 1.0,
                "location_id": unit_move.location_id.id,
                "location_dest_id": destination.id,
            }
        )
        picking.move_ids.picked = True
        picking._message_log(
            body=_(
                "Faulty unit of %(ticket)s taken back, recorded by %(user)s.",
                ticket=self.name,
                user=self.env.user.name,
            )
        )
        picking._action_done()
        return picking

    def _guarantee_credit_note(self, amount, note=False):
        """A credit note from the original invoice (Odoo's reversal) for this
        one unit, of ``amount`` taxes included, posted."""
        self.ensure_one()
        line = self._guarantee_invoice_line()
        invoice = line.move_id
        reversal = (
            self.env["account.move.reversal"]
            .sudo()
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "move_ids": [Command.set(invoice.ids)],
                    "journal_id": invoice.journal_id.id,
                    "reason": note
                    or _("Three-guarantee return, ticket %(ticket)s", ticket=self.name),
                }
            )
        )
        reversal.refund_moves()
        credit = reversal.new_move_ids
        product_lines = credit.invoice_line_ids.filtered(
            lambda cl: cl.display_type == "product"
        )
        keep = product_lines.filtered(
            lambda cl: (
                cl.product_id == line.product_id and cl.price_unit == line.price_unit
            )
        )[:1]
        unit = line.price_total / line.quantity
        price = line.price_unit
        if float_compare(amount, unit, precision_rounding=line.currency_id.rounding):
            price = line.price_unit * amount / unit
        credit.write(
            {
                "aftersales_ticket_id": self.id,
                "invoice_line_ids": [
                    Command.unlink(other.id) for other in product_lines - keep
                ]
                + [Command.update(keep.id, {"quantity": 1.0, "price_unit": price})],
            }
        )
        _unit, left = self._guarantee_refund_limits()
        if (
            float_compare(
                credit.amount_total, left, precision_rounding=line.currency_id.rounding
            )
            > 0
        ):
            raise UserError(
                _(
                    "The credit note would refund %(amount)s, more than the "
                    "%(left)s left on invoice %(invoice)s.",
                    amount=credit.amount_total,
                    left=left,
                    invoice=invoice.name,
                )
            )
        credit.action_post()
        return credit

    def _guarantee_deliver_unit(self, warehouse, lot, location):
        """A delivery of the new unit, reserving exactly serial ``lot``;
        validated when it is handed over (by the agent or the stock staff)."""
        self.ensure_one()
        product = self.product_id
        customers = self.partner_id.sudo().property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        picking = (
            self.env["stock.picking"]
            .sudo()
            .create(
                {
                    "picking_type_id": warehouse.out_type_id.id,
                    "partner_id": self.partner_id.id,
                    "location_id": warehouse.lot_stock_id.id,
                    "location_dest_id": customers.id,
                    "origin": self.name,
                    "company_id": self.company_id.id,
                    "aftersales_guarantee_ticket_id": self.id,
                    "aftersales_guarantee_flow": "delivery",
                    "move_type": "direct",
                    "move_ids": [
                        Command.create(
                            {
                                "name": product.display_name,
                                "product_id": product.id,
                                "product_uom_qty": 1.0,
                                "product_uom": product.uom_id.id,
                                "location_id": warehouse.lot_stock_id.id,
                                "location_dest_id": customers.id,
                                "company_id": self.company_id.id,
                                "partner_id": self.partner_id.id,
                            }
                        )
                    ],
                }
            )
        )
        picking.action_confirm()
        # exactly the chosen serial, whatever the operation reserved itself
        picking.do_unreserve()
        move = picking.move_ids
        self.env["stock.move.line"].sudo().create(
            {
                "move_id": move.id,
                "picking_id": picking.id,
                "product_id": product.id,
                "lot_id": lot.id,
                "quantity": 1.0,
                "location_id": location.id,
                "location_dest_id": customers.id,
            }
        )
        return picking

    def _guarantee_delivered(self, picking):
        """The new unit reached the customer: its warranty (made by the
        delivery) is linked both ways with the voided one."""
        self.ensure_one()
        ticket = self.sudo()
        old = ticket.guarantee_old_warranty_id
        new = (
            self.env["aftersales.warranty"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", picking.move_line_ids.lot_id.ids),
                    ("state", "!=", "void"),
                ],
                limit=1,
            )
        )
        if new:
            new.write(
                {
                    "replaces_warranty_id": old.id,
                    "sale_order_id": new.sale_order_id.id or old.sale_order_id.id,
                    "aftersales_guarantee_ticket_id": ticket.id,
                }
            )
            old.replaced_by_warranty_id = new
        ticket.write({"guarantee_state": "done", "guarantee_new_warranty_id": new.id})
        ticket.message_post(
            body=_(
                "New unit %(lot)s delivered with %(picking)s; new warranty "
                "%(warranty)s replaces %(old)s.",
                lot=ticket.guarantee_new_lot_id.name,
                picking=picking.name,
                warranty=new.name or _("(none: the product has no warranty term)"),
                old=old.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
