from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    aftersales_warranty_lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Covered",
        check_company=True,
        help="For an extended-warranty product: the serial whose warranty is "
        "extended when the order is confirmed.",
    )
    aftersales_is_warranty_extension = fields.Boolean(
        compute="_compute_aftersales_is_warranty_extension"
    )
    aftersales_extended_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Extended Warranty",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    @api.depends("product_id")
    def _compute_aftersales_is_warranty_extension(self):
        for line in self:
            line.aftersales_is_warranty_extension = bool(
                line.product_id.aftersales_warranty_extension_months
            )

    def _aftersales_extend_warranties(self):
        """Extend the warranty of each line's serial (on confirmation)."""
        lines = self.filtered(
            lambda line: (
                line.product_id.aftersales_warranty_extension_months
                and not line.aftersales_extended_warranty_id
            )
        )
        if not lines:
            return
        missing = lines.filtered(lambda line: not line.aftersales_warranty_lot_id)
        if missing:
            raise UserError(
                _(
                    "Serial Covered: choose the serial whose warranty %(product)s "
                    "extends.",
                    product=missing[0].product_id.display_name,
                )
            )
        Warranty = self.env["aftersales.warranty"].sudo()
        warranties = Warranty.search(
            [
                ("lot_id", "in", lines.aftersales_warranty_lot_id.ids),
                ("state", "!=", "void"),
            ],
            order="start_date desc, id desc",
        )
        for line in lines:
            partner = line.order_id.partner_id.commercial_partner_id
            candidates = warranties.filtered(
                lambda w, line=line: w.lot_id == line.aftersales_warranty_lot_id
            )
            warranty = (
                candidates.filtered(lambda w, p=partner: w.commercial_partner_id == p)
                or candidates
            )[:1]
            if not warranty:
                raise UserError(
                    _(
                        "Serial %(lot)s has no warranty to extend: register its "
                        "warranty first.",
                        lot=line.aftersales_warranty_lot_id.name,
                    )
                )
            warranty._extend(line.product_id.aftersales_warranty_extension_months, line)
            line.aftersales_extended_warranty_id = warranty

    # Service contracts sold on the order
    aftersales_contract_template_id = fields.Many2one(
        related="product_id.aftersales_contract_template_id",
        string="Contract Template",
    )
    aftersales_contract_lot_ids = fields.Many2many(
        "stock.lot",
        "sale_order_line_aftersales_contract_lot_rel",
        "line_id",
        "lot_id",
        string="Serials Under Contract",
        check_company=True,
        help="For a service contract product: the serials the contract covers. "
        "Empty: the serials delivered on this order, else chosen later on the "
        "contract.",
    )
    aftersales_renewal_of_id = fields.Many2one(
        "aftersales.contract",
        string="Renews Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    aftersales_contract_id = fields.Many2one(
        "aftersales.contract",
        string="Service Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    def _aftersales_create_contracts(self):
        """One contract per contract line of the confirmed orders (one
        create for the batch), for the line's serials, or the serials
        delivered on the order, or to be chosen later (then it stays a
        draft); active at once otherwise. A renewal starts the day after the
        contract it renews ends."""
        lines = self.filtered(
            lambda line: (
                line.product_id.aftersales_contract_template_id
                and not line.aftersales_contract_id
            )
        )
        if not lines:
            return self.env["aftersales.contract"]
        Contract = self.env["aftersales.contract"].sudo()
        vals_list = [line._prepare_aftersales_contract_vals() for line in lines]
        contracts = Contract.create(vals_list)
        for line, contract in zip(lines, contracts, strict=True):
            line.aftersales_contract_id = contract
            renewed = line.aftersales_renewal_of_id.sudo()
            if renewed:
                renewed.renewed_by_id = contract
                renewed.message_post(
                    body=_(
                        "Renewed by contract %(contract)s (%(order)s).",
                        contract=contract.name,
                        order=line.order_id.name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        ready = contracts.filtered(lambda c: c.coverage == "customer" or c.lot_ids)
        ready.action_activate()
        return contracts

    def _prepare_aftersales_contract_vals(self):
        self.ensure_one()
        template = self.product_id.aftersales_contract_template_id.sudo()
        order = self.order_id
        renewed = self.aftersales_renewal_of_id.sudo()
        lots = self.aftersales_contract_lot_ids or renewed.lot_ids
        if not lots and template.coverage == "serials":
            lots = order.order_line.move_ids.filtered(
                lambda m: m.state == "done"
            ).move_line_ids.lot_id
        start = (
            renewed.date_end + timedelta(days=1)
            if renewed
            else fields.Date.context_today(self)
        )
        return {
            **template._prepare_contract_vals(),
            "partner_id": order.partner_id.id,
            "company_id": order.company_id.id,
            "user_id": order.user_id.id,
            "date_start": start,
            "lot_ids": [Command.set(lots.ids)],
            "product_id": self.product_id.id,
            "price": self.price_subtotal,
            "renewal_price": self.price_unit * self.product_uom_qty,
            "sale_order_id": order.id,
            "sale_line_id": self.id,
            "renewal_of_id": renewed.id,
        }
