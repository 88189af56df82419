from odoo import _, api, fields, models
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
