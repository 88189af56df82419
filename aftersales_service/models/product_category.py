from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    aftersales_warranty_term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        help="Warranty term of the products of this category (and its "
        "sub-categories) that have no term of their own.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "parent_id" in vals:
            products = (
                self.env["product.product"]
                .sudo()
                .with_context(active_test=False)
                .search([("categ_id", "child_of", self.ids)])
            )
            self.env["aftersales.ticket"]._on_product_facts_changed(products)
        return res
