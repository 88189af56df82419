from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError

RECIPIENTS = [
    ("team_leader", "Team Leader"),
    ("regional_manager", "Regional Manager"),
    ("head_of_service", "Head of Service (HQ)"),
    ("user", "Specific User"),
]


class AftersalesEscalationLevel(models.Model):
    """One rung of an escalation ladder.

    ``scope = sla``: after a service-level target fails, each level is reached
    ``delay_hours`` after the deadline and notifies its recipient.
    ``scope = incident``: the three-level emergency plan for batch failures;
    a level applies once ``min_ticket_count`` tickets of one product or lot
    arrive within ``window_days``.
    """

    _name = "aftersales.escalation.level"
    _inherit = ["aftersales.cached.config.mixin"]
    _description = "After-Sales Escalation Level"
    _order = "scope, sequence, id"
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
    scope = fields.Selection(
        [
            ("sla", "Failed Service Level"),
            ("incident", "Batch Failure"),
        ],
        required=True,
        default="sla",
    )
    recipient = fields.Selection(
        RECIPIENTS,
        required=True,
        default="team_leader",
        help="Team leader of the ticket's team; regional manager = leader of "
        "its regional branch; head of service = leader of the headquarters.",
    )
    user_id = fields.Many2one(
        "res.users",
        domain="[('share', '=', False)]",
        help="Recipient when 'Specific User' is chosen, and fallback when the "
        "organisation has no leader at that level.",
    )

    # SLA ladder
    delay_hours = fields.Float(
        string="Delay After Deadline (hh:mm)",
        help="Hours after the missed deadline before this level is reached.",
    )

    # Batch failures
    level = fields.Integer(
        string="Emergency Level",
        help="1, 2 or 3 in the three-level emergency plan.",
    )
    min_ticket_count = fields.Integer(
        string="From (tickets)",
        help="The level applies from this many tickets in the window.",
    )
    window_days = fields.Integer(string="Window (days)", default=7)
    response_hours = fields.Float(
        string="Response Due (hh:mm)",
        help="Time for the responsible level's first answer: inspection and "
        "compensation plan, technical explanation or public apology.",
    )
    response_label = fields.Char(string="Response", translate=True)
    recall_hours = fields.Float(
        string="Recall Plan Due (hh:mm)",
        help="Leave at 0 when no recall plan is required.",
    )

    @api.constrains("delay_hours", "window_days", "min_ticket_count", "scope")
    def _check_values(self):
        for level in self:
            if level.delay_hours < 0:
                raise ValidationError(
                    _(
                        "Escalation level %(level)s: the delay cannot be negative.",
                        level=level.name,
                    )
                )
            if level.scope == "incident" and (
                level.window_days <= 0 or level.min_ticket_count <= 0
            ):
                raise ValidationError(
                    _(
                        "Escalation level %(level)s: the window and the "
                        "threshold must be more than 0.",
                        level=level.name,
                    )
                )

    @api.constrains("min_ticket_count", "level", "scope", "company_id", "active")
    def _check_threshold_order(self):
        companies = self.filtered(lambda lvl: lvl.scope == "incident").company_id
        for company in companies:
            levels = self.search(
                [("scope", "=", "incident"), ("company_id", "=", company.id)],
                order="level, id",
            )
            previous = None
            for level in levels:
                if previous and level.min_ticket_count <= previous.min_ticket_count:
                    raise ValidationError(
                        _(
                            "Batch-failure thresholds out of order: level "
                            "%(level)s starts at %(count)s tickets, not above "
                            "level %(previous)s (%(previous_count)s tickets).",
                            level=level.level,
                            count=level.min_ticket_count,
                            previous=previous.level,
                            previous_count=previous.min_ticket_count,
                        )
                    )
                previous = level

    @api.model
    @tools.ormcache("scope", "company_id", "order")
    def _level_ids(self, scope, company_id, order):
        """Ids of the active levels of ``scope`` of a company in ``order``
        (cached between requests, cleared when a level changes)."""
        return tuple(
            self.sudo()
            .with_context(active_test=True)
            .search(
                [("scope", "=", scope), ("company_id", "=", company_id)], order=order
            )
            .ids
        )

    def _get_recipient(self, team):
        """User this level notifies for a ticket of ``team``."""
        self.ensure_one()
        if self.recipient == "user":
            return self.user_id
        wanted = {
            "team_leader": None,
            "regional_manager": "region",
            "head_of_service": "hq",
        }[self.recipient]
        leader = team._first_up("leader_id", lambda t: wanted in (None, t.level))
        if leader:
            return leader
        if wanted == "hq" or not team:
            hq = self.env["aftersales.team"].search(
                [("level", "=", "hq"), ("company_id", "=", self.company_id.id)],
                limit=1,
            )
            if hq.leader_id:
                return hq.leader_id
        return self.user_id
