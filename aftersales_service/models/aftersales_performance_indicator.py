from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# What each indicator measures; the help shown on every scorecard line.
INDICATOR_CODES = [
    ("response_timeliness", "Response Timeliness"),
    ("information_accuracy", "Information Accuracy"),
    ("satisfaction", "Satisfaction"),
    ("resolution_success", "Resolution Success Rate"),
    ("timeliness", "Timeliness"),
    ("parts_usage", "Parts Usage Rate"),
    ("customer_rating", "Customer Rating"),
    ("team_target", "Team Target Attainment"),
    ("complaint_handling", "Complaint Handling Rate"),
    ("cost_control", "Cost Control"),
    ("reopen_rate", "Reopen Rate"),
    ("arrival_compliance", "On-Site Arrival Compliance"),
    ("visit_first_time_fix", "First-Time Fix by Visits"),
    ("no_show_rate", "No-Show Rate"),
    ("report_signed_time", "Registration to Signed Report"),
]

INDICATOR_METHODS = {
    "response_timeliness": "First-response SLA lines of the tickets the agent "
    "owns, received in the period: met / (met + met late + failed), in %.",
    "information_accuracy": "Tickets the agent owns, received in the period, "
    "that no later ticket repeats (repeat contact) and that drew no complaint "
    "found at the company's fault (a complaint ticket about them, or the ticket "
    "itself reopened by an unhappy answer), in % of those tickets.",
    "satisfaction": "Average satisfaction (1-5) of the callbacks answered in "
    "the period on the tickets the agent owns.",
    "resolution_success": "Tickets of the technician solved in the period "
    "(cancelled ones left out) that no later ticket repeats (first-time fix), "
    "in % of those tickets.",
    "timeliness": "On-site arrival and resolution SLA lines of the technician's "
    "tickets received in the period: met / decided, in %.",
    "parts_usage": "Parts consumed (product unit) / parts reserved on the "
    "technician's reservations consumed in the period, in %.",
    "customer_rating": "Average technician conduct score (1-5) of the callbacks "
    "answered in the period on the technician's tickets.",
    "team_target": "All SLA lines of the tickets of the teams the manager leads "
    "(and their sub-teams), received in the period: met / decided, in %.",
    "complaint_handling": "Complaints on those teams' tickets opened in the "
    "period that are closed by their deadline, in %.",
    "cost_control": "Warranty cost of the parts consumed in the period on "
    "those teams' tickets, per ticket closed in the period (lower is better; "
    "the target is the budget per ticket).",
    "reopen_rate": "Tickets of the technician solved in the period (cancelled "
    "ones left out) that had been reopened after an earlier closing, in % of "
    "those tickets (lower is better).",
    "arrival_compliance": "The technician's visits planned in the period that "
    "checked in on site: arrived by the time due (the ticket's first arrival "
    "by the service level's on-site arrival target, later ones by the end of "
    "their window), in % of those visits.",
    "visit_first_time_fix": "Tickets solved in the period (cancelled ones left "
    "out) on which the technician checked in on site: solved with a single "
    "visit made (no-shows count as visits), in % of those tickets.",
    "no_show_rate": "The technician's visits planned in the period that were "
    "made (checked in or no-show): no-shows in % of them (lower is better).",
    "report_signed_time": "Tickets whose first service report was signed in the "
    "period on one of the technician's visits: average hours from the "
    "ticket's registration to that signature (lower is better; the common "
    "pledge is 24 hours).",
}

# Default (target, direction) per indicator.
INDICATOR_DEFAULTS = {
    "response_timeliness": (90.0, "higher"),
    "information_accuracy": (95.0, "higher"),
    "satisfaction": (4.5, "higher"),
    "resolution_success": (90.0, "higher"),
    "timeliness": (90.0, "higher"),
    "parts_usage": (90.0, "higher"),
    "customer_rating": (4.5, "higher"),
    "team_target": (90.0, "higher"),
    "complaint_handling": (95.0, "higher"),
    "cost_control": (200.0, "lower"),
    "reopen_rate": (5.0, "lower"),
    "arrival_compliance": (95.0, "higher"),
    "visit_first_time_fix": (85.0, "higher"),
    "no_show_rate": (5.0, "lower"),
    "report_signed_time": (24.0, "lower"),
}


class AftersalesPerformanceIndicator(models.Model):
    """One weighted indicator of a profile, with its target."""

    _name = "aftersales.performance.indicator"
    _description = "After-Sales Performance Indicator"
    _order = "profile_id, sequence, id"
    _check_company_auto = True

    profile_id = fields.Many2one(
        "aftersales.performance.profile",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="profile_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    code = fields.Selection(
        INDICATOR_CODES, string="Indicator", required=True, default="satisfaction"
    )
    name = fields.Char(
        compute="_compute_name",
        store=True,
        readonly=False,
        translate=True,
        copy=True,
    )
    weight = fields.Float(string="Weight (%)", required=True, default=0.0)
    target = fields.Float(
        compute="_compute_target",
        store=True,
        readonly=False,
        precompute=True,
        copy=True,
        help="Raw value that earns the full score.",
    )
    direction = fields.Selection(
        [("higher", "Higher is better"), ("lower", "Lower is better")],
        compute="_compute_target",
        store=True,
        readonly=False,
        precompute=True,
        copy=True,
        required=True,
    )
    method = fields.Text(
        string="How Computed", compute="_compute_method", translate=False
    )

    _sql_constraints = [
        (
            "weight_range",
            "CHECK(weight >= 0 AND weight <= 100)",
            "An indicator weight is between 0 and 100%.",
        ),
    ]

    @api.depends("code")
    def _compute_name(self):
        labels = dict(INDICATOR_CODES)
        for indicator in self:
            if not indicator.name:
                indicator.name = labels.get(indicator.code)

    @api.depends("code")
    def _compute_target(self):
        for indicator in self:
            target, direction = INDICATOR_DEFAULTS.get(
                indicator.code, (100.0, "higher")
            )
            indicator.target = target
            indicator.direction = direction

    @api.depends("code")
    def _compute_method(self):
        for indicator in self:
            indicator.method = INDICATOR_METHODS.get(indicator.code, "")

    @api.constrains("target")
    def _check_target(self):
        for indicator in self:
            if indicator.target <= 0:
                raise ValidationError(
                    _(
                        "Indicator %(indicator)s: the target must be positive.",
                        indicator=indicator.name,
                    )
                )

    def _normalise(self, raw):
        """Score 0-100 of a raw value against the target."""
        self.ensure_one()
        if raw is None:
            return 0.0
        if self.direction == "lower":
            if raw <= self.target:
                return 100.0
            return max(0.0, min(100.0, self.target / raw * 100.0))
        return max(0.0, min(100.0, raw / self.target * 100.0))
