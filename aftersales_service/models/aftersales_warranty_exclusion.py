from odoo import fields, models


class AftersalesWarrantyExclusion(models.Model):
    _name = "aftersales.warranty.exclusion"
    _description = "Warranty Exclusion"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short code used in reports and imports, e.g. MISUSE.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the exclusion between companies.",
    )
    description = fields.Text(
        string="Explanation to the Customer",
        required=True,
        translate=True,
        help="Shown to the customer when this exclusion decides that a repair "
        "is not covered.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The exclusion code must be unique per company.",
        ),
    ]
