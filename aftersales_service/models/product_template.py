from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    aftersales_warranty_term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        check_company=True,
        help="Warranty given on each serial of this product delivered to a "
        "customer. Empty: the category's term, else the default term.",
    )
    aftersales_warranty_extension_months = fields.Integer(
        string="Extends Warranty By (months)",
        help="Selling this service product on a sale order line with a serial "
        "extends that serial's warranty by this many months.",
    )
    aftersales_extension_parts_coverage = fields.Float(
        string="Extension: Parts Covered (%)",
        default=100.0,
        help="Share of the parts the extended period covers.",
    )
    aftersales_extension_labour_coverage = fields.Float(
        string="Extension: Labour Covered (%)",
        default=100.0,
        help="Share of the labour the extended period covers.",
    )
    aftersales_extension_travel_coverage = fields.Float(
        string="Extension: Travel Covered (%)",
        default=100.0,
        help="Share of the travel the extended period covers.",
    )

    aftersales_contract_template_id = fields.Many2one(
        "aftersales.contract.template",
        string="Service Contract",
        index="btree_not_null",
        help="Selling this service product creates a service contract from "
        "this template when the sale order is confirmed.",
    )
    aftersales_price_published = fields.Boolean(
        string="In Service Price List",
        help="A spare part whose price is published on the service price "
        "list (backend and public page): no hidden fees.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "categ_id" in vals:
            self.env["aftersales.ticket"]._on_product_facts_changed(
                self.product_variant_ids
            )
        return res
