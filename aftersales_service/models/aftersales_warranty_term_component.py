from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .aftersales_warranty_term import DURATION_UNITS


class AftersalesWarrantyTermComponent(models.Model):
    _name = "aftersales.warranty.term.component"
    _description = "Warranty Term Component"
    _order = "term_id, sequence, id"

    term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        required=True,
        ondelete="cascade",
        index=True,
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(
        string="Component",
        required=True,
        translate=True,
        help="e.g. Steel structure, Electrical parts, Compressor.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Spare Part",
        help="The spare part this line covers.",
    )
    categ_id = fields.Many2one(
        "product.category",
        string="Spare Part Category",
        help="Every spare part of this category (and its sub-categories) is "
        "covered by this line.",
    )
    duration = fields.Integer(required=True, default=1)
    duration_unit = fields.Selection(DURATION_UNITS, required=True, default="year")

    @api.constrains("duration", "duration_unit", "term_id")
    def _check_duration(self):
        for line in self:
            if line.duration <= 0:
                raise ValidationError(
                    _(
                        "Duration: component %(component)s needs a duration of at "
                        "least one day, month or year.",
                        component=line.name,
                    )
                )
            limit = line.term_id.max_component_months
            if limit and line.term_id._months(line.duration, line.duration_unit) > (
                limit
            ):
                raise ValidationError(
                    _(
                        "Duration: component %(component)s is covered longer than "
                        "the %(limit)s months allowed by term %(term)s.",
                        component=line.name,
                        limit=limit,
                        term=line.term_id.name,
                    )
                )
