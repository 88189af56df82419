from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.float_utils import float_compare

PROFILE_ROLES = [
    ("agent", "Customer-Service Agent"),
    ("technician", "Technician"),
    ("manager", "Manager"),
]


class AftersalesPerformanceProfile(models.Model):
    """A role profile: which indicators score an employee, and their weights."""

    _name = "aftersales.performance.profile"
    _description = "After-Sales Performance Profile"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
    )
    role = fields.Selection(PROFILE_ROLES, required=True, default="agent")
    indicator_ids = fields.One2many(
        "aftersales.performance.indicator", "profile_id", copy=True
    )
    target_score = fields.Float(
        string="Target Total",
        default=80.0,
        help="A total score below this is below target; two periods in a row "
        "below target flag the employee for training.",
    )
    total_weight = fields.Float(
        string="Total Weight (%)",
        compute="_compute_total_weight",
        store=True,
        help="Sum of the active indicators' weights. Stored: its constraint is "
        "checked once the indicators of a change are all written.",
    )
    employee_ids = fields.One2many("hr.employee", "aftersales_profile_id")

    @api.depends("indicator_ids.weight", "indicator_ids.active")
    def _compute_total_weight(self):
        for profile in self:
            profile.total_weight = sum(
                profile.indicator_ids.filtered("active").mapped("weight")
            )

    @api.constrains("total_weight", "target_score")
    def _check_weights(self):
        for profile in self:
            indicators = profile.indicator_ids.filtered("active")
            if not indicators:
                continue
            total = sum(indicators.mapped("weight"))
            if float_compare(total, 100.0, precision_digits=2):
                raise ValidationError(
                    _(
                        "Profile %(profile)s: the indicator weights must sum to "
                        "100%% (they sum to %(total)s%%).",
                        profile=profile.name,
                        total=round(total, 2),
                    )
                )
            if not 0 <= profile.target_score <= 100:
                raise ValidationError(
                    _(
                        "Profile %(profile)s: the target total must be between "
                        "0 and 100.",
                        profile=profile.name,
                    )
                )
