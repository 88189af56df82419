from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

DURATION_UNITS = [
    ("day", "Days"),
    ("month", "Months"),
    ("year", "Years"),
]

START_RULES = [
    ("delivery", "Delivery Date"),
    ("installation", "Installation / Commissioning Date"),
    ("acceptance", "Customer Acceptance Date"),
]


class AftersalesWarrantyTerm(models.Model):
    _name = "aftersales.warranty.term"
    _description = "Warranty Term"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    # Identification
    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the term between companies.",
    )
    is_default = fields.Boolean(
        string="Default Term",
        tracking=True,
        help="Used for delivered serials whose product and product category "
        "have no warranty term.",
    )

    # Duration
    duration = fields.Integer(required=True, default=1, tracking=True)
    duration_unit = fields.Selection(
        DURATION_UNITS, required=True, default="year", tracking=True
    )
    start_rule = fields.Selection(
        START_RULES,
        string="Warranty Starts At",
        required=True,
        default="delivery",
        tracking=True,
        help="Until the installation or acceptance date is entered on the "
        "warranty, the delivery date is used.",
    )
    component_ids = fields.One2many(
        "aftersales.warranty.term.component",
        "term_id",
        string="Components",
        copy=True,
    )
    max_component_months = fields.Integer(
        string="Longest Component Term (months)",
        help="When set, no component may be covered longer than this.",
    )

    # Coverage
    parts_coverage = fields.Float(
        string="Parts Covered (%)", default=100.0, tracking=True
    )
    labour_coverage = fields.Float(
        string="Labour Covered (%)", default=100.0, tracking=True
    )
    travel_coverage = fields.Float(
        string="Travel Covered (%)", default=100.0, tracking=True
    )
    exclusion_ids = fields.Many2many(
        "aftersales.warranty.exclusion",
        string="Exclusions",
        help="Causes that void the coverage of a repair under this term.",
    )
    extend_by_repair_time = fields.Boolean(
        string="Extend by Time in Repair",
        tracking=True,
        help="The warranty ends later by the days the unit spent in repair "
        "(from the ticket's warranty date to its closing).",
    )
    repair_warranty_days = fields.Integer(
        string="Repair Warranty (days)",
        default=90,
        help="Parts replaced under a ticket are covered this many days from "
        "the repair date. 0 disables the repair warranty.",
    )

    # Periodic inspections during the warranty
    inspection_interval = fields.Integer(
        string="Inspect Every (months)",
        tracking=True,
        help="A periodic inspection visit is planned every this many months "
        "from the warranty start, while the warranty runs. 0: no inspections.",
    )
    inspection_lead_days = fields.Integer(
        string="Plan Inspections (days ahead)",
        default=30,
        help="Inspection visits are created this many days before they are "
        "due, for the dispatcher to plan them.",
    )

    # Three guarantees (三包)
    three_guarantee = fields.Boolean(
        string="Three Guarantees",
        default=True,
        tracking=True,
        help="Return, exchange and replacement rights for performance failures.",
    )
    return_days = fields.Integer(
        string="Return Within (days)", default=7, tracking=True
    )
    exchange_days = fields.Integer(
        string="Exchange Within (days)", default=15, tracking=True
    )
    replace_repair_count = fields.Integer(
        string="Replace After Repairs",
        default=2,
        tracking=True,
        help="When the same fault has been repaired this many times and the "
        "unit still fails, it is replaced instead of repaired again.",
    )
    note = fields.Html(
        string="Certificate Terms",
        translate=True,
        help="Printed on the warranty certificate.",
    )
    product_tmpl_ids = fields.One2many(
        "product.template", "aftersales_warranty_term_id", string="Products"
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("duration")
    def _check_duration(self):
        for term in self:
            if term.duration <= 0:
                raise ValidationError(
                    _(
                        "Duration: warranty term %(term)s needs a duration of at "
                        "least one day, month or year.",
                        term=term.name,
                    )
                )

    @api.constrains("parts_coverage", "labour_coverage", "travel_coverage")
    def _check_coverage(self):
        for term in self:
            for value in (
                term.parts_coverage,
                term.labour_coverage,
                term.travel_coverage,
            ):
                if not 0 <= value <= 100:
                    raise ValidationError(
                        _(
                            "Coverage: parts, labour and travel are covered "
                            "between 0%% and 100%% (term %(term)s).",
                            term=term.name,
                        )
                    )

    @api.constrains(
        "return_days", "exchange_days", "replace_repair_count", "repair_warranty_days"
    )
    def _check_three_guarantee(self):
        for term in self:
            if (
                min(
                    term.return_days,
                    term.exchange_days,
                    term.replace_repair_count,
                    term.repair_warranty_days,
                )
                < 0
            ):
                raise ValidationError(
                    _(
                        "Three guarantees: days and repair counts cannot be "
                        "negative (term %(term)s).",
                        term=term.name,
                    )
                )
            if term.exchange_days < term.return_days:
                raise ValidationError(
                    _(
                        "Three guarantees: the exchange period (%(exchange)s days) "
                        "cannot be shorter than the return period (%(return)s "
                        "days).",
                        exchange=term.exchange_days,
                        **{"return": term.return_days},
                    )
                )

    @api.constrains("inspection_interval", "inspection_lead_days")
    def _check_inspections(self):
        for term in self:
            if term.inspection_interval < 0 or term.inspection_lead_days < 0:
                raise ValidationError(
                    _(
                        "Inspections: the interval and the days ahead cannot be "
                        "negative (term %(term)s).",
                        term=term.name,
                    )
                )

    @api.constrains("max_component_months")
    def _check_max_component_months(self):
        self.component_ids._check_duration()

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _months(self, duration, unit):
        if unit == "year":
            return duration * 12
        if unit == "month":
            return duration
        return duration / 30.0

    @api.model
    def _end_date(self, start, duration, unit):
        """Last covered day (inclusive) of a period starting on ``start``."""
        if not start or not duration:
            return False
        if unit == "year":
            delta = relativedelta(years=duration)
        elif unit == "month":
            delta = relativedelta(months=duration)
        else:
            delta = relativedelta(days=duration)
        return start + delta - timedelta(days=1)

    @api.model
    def _find_for_products(self, products, company):
        """Warranty term of each product: {product_id: term}.

        The product's own term, else its category's (or a parent category's),
        else the company's default term."""
        default = self.search(
            [("is_default", "=", True), ("company_id", "in", [False, company.id])],
            order="company_id, sequence, id",
            limit=1,
        )
        result = {}
        for product in products:
            term = product.product_tmpl_id.aftersales_warranty_term_id
            categ = product.categ_id
            while not term and categ:
                term = categ.aftersales_warranty_term_id
                categ = categ.parent_id
            result[product.id] = term or default
        return result
