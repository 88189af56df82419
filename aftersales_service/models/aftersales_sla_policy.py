from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

from .aftersales_contract_template import RESPONSE_TIERS
from .aftersales_ticket import PRIORITIES

COMPLEXITIES = [
    ("simple", "Simple"),
    ("general", "General"),
    ("complex", "Complex"),
]

WARRANTY_STATES = [
    ("in", "In Warranty"),
    ("out", "Out of Warranty"),
    ("unknown", "Unknown"),
]

TARGET_TYPES = [
    ("response", "First Response"),
    ("arrival", "On-Site Arrival"),
    ("resolution", "Resolution"),
]

# Precedence among policies that match a ticket: the policy with the most
# criteria set wins; on a tie, the criterion earlier in this list decides
# (a team policy beats a category policy, which beats a channel policy...),
# then the deeper product category, then the sequence.
CRITERIA_PRECEDENCE = [
    "team_id",
    "product_categ_id",
    "channel_id",
    "customer_tier",
    "contract_tier",
    "warranty_state",
    "priority",
]


class AftersalesSlaPolicy(models.Model):
    _name = "aftersales.sla.policy"
    _inherit = ["aftersales.cached.config.mixin"]
    _description = "After-Sales Service Level Policy"
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
    description = fields.Text(translate=True)

    # Matching: an empty criterion matches every ticket
    priority = fields.Selection(PRIORITIES)
    warranty_state = fields.Selection(
        WARRANTY_STATES,
        string="Warranty Status",
        help="Tickets whose warranty status is not known yet match 'Unknown'.",
    )
    customer_tier = fields.Selection(
        [("vip", "VIP"), ("standard", "Standard")],
    )
    contract_tier = fields.Selection(
        RESPONSE_TIERS,
        string="Contract Response Tier",
        help="Matches tickets of units (or customers) under an active service "
        "contract of this response tier.",
    )
    product_categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        help="Matches products of this category and its sub-categories.",
    )
    team_id = fields.Many2one(
        "aftersales.team",
        string="Service Team",
        check_company=True,
    )
    channel_id = fields.Many2one(
        "aftersales.channel",
        domain="[('company_id', 'in', [False, company_id])]",
    )

    # Targets, in hours
    response_hours = fields.Float(
        string="First Response (hh:mm)",
        required=True,
        default=24.0,
        help="First message or call to the customer, or the technician's visit.",
    )
    arrival_hours = fields.Float(
        string="On-Site Arrival (hh:mm)",
        help="Leave at 0 when the policy promises no on-site arrival time.",
    )
    resolution_simple_hours = fields.Float(
        string="Resolution, Simple (hh:mm)", required=True, default=4.0
    )
    resolution_general_hours = fields.Float(
        string="Resolution, General (hh:mm)", required=True, default=24.0
    )
    resolution_complex_hours = fields.Float(
        string="Resolution, Complex (hh:mm)", required=True, default=72.0
    )
    warning_share = fields.Float(
        string="At Risk From (%)",
        default=75.0,
        help="A target turns 'at risk' once this share of its time is used.",
    )

    # Clock
    time_basis = fields.Selection(
        [
            ("working", "Working Hours"),
            ("calendar", "Calendar Hours (24/7)"),
        ],
        required=True,
        default="working",
        help="Working hours follow the calendar below, or the ticket team's "
        "calendar, and skip its public holidays.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Leave empty to use the working hours of the ticket's team.",
    )

    # Traffic light rules
    red_on_failed = fields.Boolean(string="Red When a Target Fails", default=True)
    red_on_vip_critical = fields.Boolean(
        string="Red for VIP Critical Tickets", default=True
    )
    red_on_repeat = fields.Boolean(string="Red for Repeat Failures", default=True)
    yellow_on_at_risk = fields.Boolean(
        string="Yellow When a Target Is at Risk", default=True
    )
    yellow_on_other_team = fields.Boolean(
        string="Yellow When Another Department Works It",
        default=True,
        help="The ticket's team is not one of its owner's teams.",
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains(
        "response_hours",
        "arrival_hours",
        "resolution_simple_hours",
        "resolution_general_hours",
        "resolution_complex_hours",
        "warning_share",
    )
    def _check_targets(self):
        for policy in self:
            for fname in (
                "response_hours",
                "resolution_simple_hours",
                "resolution_general_hours",
                "resolution_complex_hours",
            ):
                if policy[fname] <= 0:
                    raise ValidationError(
                        _(
                            "Policy %(policy)s: the target %(target)s must be "
                            "more than 0 hours.",
                            policy=policy.name,
                            target=policy._fields[fname]._description_string(self.env),
                        )
                    )
            if policy.arrival_hours < 0:
                raise ValidationError(
                    _(
                        "Policy %(policy)s: the on-site arrival target cannot be "
                        "negative (use 0 for no arrival target).",
                        policy=policy.name,
                    )
                )
            if not 0 < policy.warning_share < 100:
                raise ValidationError(
                    _(
                        "Policy %(policy)s: 'At Risk From' must be between 0 and "
                        "100%%.",
                        policy=policy.name,
                    )
                )

    @api.constrains("resource_calendar_id", "time_basis")
    def _check_calendar(self):
        for policy in self:
            calendar = policy.resource_calendar_id
            if (
                policy.time_basis == "working"
                and calendar
                and (calendar.flexible_hours or not calendar.attendance_ids)
            ):
                raise ValidationError(
                    _(
                        "Policy %(policy)s: the working hours %(calendar)s have "
                        "no working time; deadlines cannot be planned on them.",
                        policy=policy.name,
                        calendar=calendar.name,
                    )
                )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache("company_id")
    def _company_policy_ids(self, company_id):
        """Ids of the active policies of a company (cached between
        requests, cleared when a policy changes)."""
        return tuple(
            self.sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company_id)])
            .ids
        )

    def _resolution_hours(self, complexity):
        self.ensure_one()
        return self[f"resolution_{complexity or 'general'}_hours"]

    def _specificity(self):
        """Sort key: the higher, the more specific the policy."""
        self.ensure_one()
        mask = 0
        count = 0
        for rank, fname in enumerate(reversed(CRITERIA_PRECEDENCE)):
            if self[fname]:
                count += 1
                mask |= 1 << rank
        depth = (
            len(self.product_categ_id.parent_path.split("/"))
            if self.product_categ_id.parent_path
            else 0
        )
        return (count, mask, depth, -self.sequence, -self.id)

    def _matches(self, facts):
        """Whether this policy applies to a ticket described by ``facts``
        (see ``aftersales.ticket._sla_policy_facts``)."""
        self.ensure_one()
        if self.company_id.id != facts["company_id"]:
            return False
        if self.priority and self.priority != facts["priority"]:
            return False
        if self.warranty_state and self.warranty_state != facts["warranty_state"]:
            return False
        if self.customer_tier and self.customer_tier != facts["customer_tier"]:
            return False
        if self.contract_tier and self.contract_tier != facts.get("contract_tier"):
            return False
        if self.team_id and self.team_id.id != facts["team_id"]:
            return False
        if self.channel_id and self.channel_id.id != facts["channel_id"]:
            return False
        if self.product_categ_id:
            categ_path = facts["categ_path"] or ""
            if not categ_path.startswith(self.product_categ_id.parent_path):
                return False
        return True

    @api.model
    def _find_for_facts(self, facts_list):
        """Best policy for each ticket description; one search for all."""
        company_ids = sorted({facts["company_id"] for facts in facts_list})
        policies = self.browse(
            [
                policy_id
                for company_id in company_ids
                for policy_id in self._company_policy_ids(company_id)
            ]
        )
        ranked = policies.sorted(lambda p: p._specificity(), reverse=True)
        result = []
        for facts in facts_list:
            result.append(
                next(
                    (policy for policy in ranked if policy._matches(facts)),
                    self.browse(),
                )
            )
        return result
