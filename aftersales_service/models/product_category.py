from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    aftersales_warranty_term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        help="Warranty term of the products of this category (and its "
        "sub-categories) that have no term of their own.",
    )
