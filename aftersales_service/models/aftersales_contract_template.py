from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

RESPONSE_TIERS = [
    ("standard", "Standard"),
    ("priority", "Priority"),
    ("premium", "Premium (24/7)"),
]


class AftersalesContractTemplate(models.Model):
    """What a service contract product sells: the coverage by period and
    mode, the counted services, the response tier, the inspection plan and
    the renewal terms. Confirming a sale order of a product carrying the
    template creates the contract."""

    _name = "aftersales.contract.template"
    _description = "Service Contract Template"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    description = fields.Html(
        translate=True, help="What the contract promises, shown to the customer."
    )
    duration_months = fields.Integer(
        string="Duration (months)",
        required=True,
        default=12,
    )
    coverage = fields.Selection(
        [
            ("serials", "The Units Sold or Listed"),
            ("customer", "All the Customer's Units"),
        ],
        required=True,
        default="serials",
    )
    response_tier = fields.Selection(
        RESPONSE_TIERS,
        required=True,
        default="standard",
        help="Service level policies can promise faster targets to a tier.",
    )
    line_ids = fields.One2many(
        "aftersales.contract.line", "template_id", string="Coverage Lines", copy=True
    )
    inspection_interval = fields.Integer(
        string="Inspect Every (months)",
        help="Plan a periodic inspection visit this often during the "
        "contract; 0 for none.",
    )
    inspection_lead_days = fields.Integer(
        string="Plan Inspections Ahead (days)",
        default=30,
    )
    reminder_days = fields.Integer(
        string="Renewal Reminder (days before end)",
        default=30,
    )
    product_ids = fields.One2many(
        "product.template", "aftersales_contract_template_id", string="Sold As"
    )

    @api.constrains(
        "duration_months",
        "inspection_interval",
        "inspection_lead_days",
        "reminder_days",
    )
    def _check_numbers(self):
        for template in self:
            if template.duration_months <= 0:
                raise ValidationError(
                    _(
                        "Contract template %(name)s: the duration must be at "
                        "least one month.",
                        name=template.name,
                    )
                )
            if (
                min(
                    template.inspection_interval,
                    template.inspection_lead_days,
                    template.reminder_days,
                )
                < 0
            ):
                raise ValidationError(
                    _(
                        "Contract template %(name)s: intervals and days cannot "
                        "be negative.",
                        name=template.name,
                    )
                )

    def _prepare_contract_vals(self):
        """Values a contract takes from its template."""
        self.ensure_one()
        return {
            "template_id": self.id,
            "coverage": self.coverage,
            "response_tier": self.response_tier,
            "inspection_interval": self.inspection_interval,
            "inspection_lead_days": self.inspection_lead_days,
            "reminder_days": self.reminder_days,
            "line_ids": [
                fields.Command.create(line._prepare_copy_vals())
                for line in self.line_ids
            ],
        }
