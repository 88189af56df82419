from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    aftersales_warranty_term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        help="Warranty term of the products of this category (and its "
        "sub-categories) that have no term of their own.",
    )
    aftersales_skill_id = fields.Many2one(
        "hr.skill",
        string="Required Certification",
        help="Skill a technician must be certified for (valid, not expired) to "
        "be sent to a unit of this product line; sub-categories without their "
        "own inherit it.",
    )

    def _aftersales_required_skill(self):
        """The skill required by the category or its nearest parent."""
        category = self[:1]
        while category:
            if category.aftersales_skill_id:
                return category.aftersales_skill_id
            category = category.parent_id
        return self.env["hr.skill"]

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
