from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AftersalesCallbackRule(models.Model):
    _name = "aftersales.callback.rule"
    _description = "After-Sales Callback Rule"
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

    # Which closed tickets the rule applies to (first matching rule wins)
    stage_ids = fields.Many2many(
        "aftersales.stage",
        string="Closing Stages",
        domain="[('is_closed', '=', True)]",
        help="Applies to tickets closed in these stages; empty for any closing stage.",
    )
    team_ids = fields.Many2many(
        "aftersales.team",
        string="Service Teams",
        check_company=True,
        help="Applies to tickets of these teams and their sub-teams; empty for all.",
    )
    customer_type = fields.Selection(
        [("all", "All customers"), ("vip", "VIP only"), ("regular", "Non-VIP only")],
        required=True,
        default="all",
    )

    # What to do
    action = fields.Selection(
        [("callback", "Schedule a callback"), ("none", "No callback")],
        required=True,
        default="callback",
        help="'No callback' for tickets closed as duplicates, cancelled, ...",
    )
    delay = fields.Float(
        default=1.0, help="Time after closure at which the callback is due."
    )
    delay_unit = fields.Selection(
        [("hours", "Working hours"), ("days", "Working days")],
        required=True,
        default="days",
        help="Working days: the callback is due at the start of that working day.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        help="Calendar for the delay; empty for the ticket team's, then the "
        "company's working hours.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Callback Agent",
        domain="[('share', '=', False)]",
        help="Agent who calls; empty leaves the callback to the callback team "
        "(or to the ticket's owner when no team is set either).",
    )
    callback_team_id = fields.Many2one(
        "aftersales.team",
        check_company=True,
        help="Team whose members work the callback queue.",
    )
    survey_id = fields.Many2one(
        "survey.survey",
        help="Survey asked; empty for the ticket team's survey, then the default "
        "satisfaction survey.",
    )

    # Retries
    max_attempts = fields.Integer(
        string="Call Attempts",
        default=3,
        help="Unanswered calls before falling back to the survey by e-mail. "
        "Zero: do not call, send the survey at once.",
    )
    retry_interval = fields.Float(
        string="Retry After (hh:mm)",
        default=4.0,
        help="Hours between two call attempts.",
    )
    quiet_hour_start = fields.Float(
        string="Quiet From",
        default=20.0,
        help="No call is planned between 'Quiet From' and 'Quiet Until' "
        "(customer's time, the calendar's time zone).",
    )
    quiet_hour_end = fields.Float(string="Quiet Until", default=9.0)
    fallback = fields.Selection(
        [("email", "Send the survey by e-mail"), ("none", "No fallback")],
        required=True,
        default="email",
    )

    # Closing the loop
    unhappy_action = fields.Selection(
        [
            ("reopen", "Reopen the ticket"),
            ("complaint", "Open a complaint ticket"),
        ],
        string="When Unhappy",
        required=True,
        default="complaint",
        help="What happens to a detractor (NPS 0-6), a satisfaction of 2 or "
        "less, or a problem not solved.",
    )
    reopen_stage_id = fields.Many2one(
        "aftersales.stage",
        string="Reopen In",
        domain="[('is_closed', '=', False)]",
        help="Open stage the ticket (or the complaint) starts in.",
    )
    complaint_deadline_days = fields.Integer(
        string="Manager Deadline (working days)", default=2
    )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("max_attempts", "fallback", "action")
    def _check_attempts(self):
        for rule in self:
            if rule.max_attempts < 0:
                raise ValidationError(
                    _("Call Attempts: %(rule)s cannot be negative.", rule=rule.name)
                )
            if (
                rule.action == "callback"
                and rule.max_attempts == 0
                and rule.fallback == "none"
            ):
                raise ValidationError(
                    _(
                        "Rule %(rule)s makes no call (zero attempts) and has no "
                        "fallback: the customer would never be asked. Allow at "
                        "least one call attempt or send the survey by e-mail.",
                        rule=rule.name,
                    )
                )

    @api.constrains("delay", "retry_interval", "quiet_hour_start", "quiet_hour_end")
    def _check_times(self):
        for rule in self:
            if rule.delay < 0 or rule.retry_interval < 0:
                raise ValidationError(
                    _(
                        "Rule %(rule)s: the delay and the retry interval cannot "
                        "be negative.",
                        rule=rule.name,
                    )
                )
            for hour in (rule.quiet_hour_start, rule.quiet_hour_end):
                if not 0 <= hour < 24:
                    raise ValidationError(
                        _(
                            "Rule %(rule)s: quiet hours are times of day, "
                            "between 00:00 and 23:59.",
                            rule=rule.name,
                        )
                    )

    @api.constrains("unhappy_action", "reopen_stage_id")
    def _check_reopen_stage(self):
        for rule in self:
            if rule.reopen_stage_id.is_closed:
                raise ValidationError(
                    _(
                        "Rule %(rule)s: a ticket cannot be reopened in the closing "
                        "stage %(stage)s.",
                        rule=rule.name,
                        stage=rule.reopen_stage_id.name,
                    )
                )
            if rule.unhappy_action == "reopen" and not rule.reopen_stage_id:
                raise ValidationError(
                    _(
                        "Rule %(rule)s reopens unhappy tickets: choose the stage "
                        "they go back to.",
                        rule=rule.name,
                    )
                )

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    @api.model
    def _find_for_tickets(self, tickets):
        """Return {ticket_id: rule} with the first matching rule of each
        ticket's company (tickets without a matching rule are left out).
        One search for the whole set."""
        rules = self.search([("company_id", "in", tickets.company_id.ids)])
        by_company = defaultdict(list)
        for rule in rules:
            by_company[rule.company_id.id].append(rule)
        result = {}
        for ticket in tickets:
            for rule in by_company[ticket.company_id.id]:
                if rule._matches(ticket):
                    result[ticket.id] = rule
                    break
        return result

    def _matches(self, ticket):
        self.ensure_one()
        if self.stage_ids and ticket.stage_id not in self.stage_ids:
            return False
        # A case that ended unresolved is rated only by a rule made for its
        # stage: by default it gets no callback.
        if ticket.outcome != "solved" and ticket.stage_id not in self.stage_ids:
            return False
        if self.customer_type == "vip" and not ticket.is_vip:
            return False
        if self.customer_type == "regular" and ticket.is_vip:
            return False
        if self.team_ids:
            path = ticket.team_id.sudo().parent_path or ""
            if not any(
                path.startswith(team.parent_path) for team in self.team_ids.sudo()
            ):
                return False
        return True

    # ------------------------------------------------------------------
    # Time planning
    # ------------------------------------------------------------------

    def _plan_due(self, calendar, start):
        """Due date of a callback for a ticket closed at ``start`` (naive UTC)."""
        self.ensure_one()
        if not calendar:
            unit = timedelta(hours=1) if self.delay_unit == "hours" else timedelta(1)
            return start + unit * self.delay
        if self.delay_unit == "hours":
            return calendar.plan_hours(self.delay, start, compute_leaves=True)
        days = max(int(round(self.delay)), 0)
        if not days:
            return start
        tz = pytz.timezone(calendar.tz or "UTC")
        aware = pytz.utc.localize(start)
        closed_day = aware.astimezone(tz).date()
        intervals = calendar._work_intervals_batch(
            aware, aware + timedelta(days=14 + days * 3)
        )[False]
        seen = []
        for begin, __, __ in intervals:
            day = begin.date()
            if day <= closed_day or day in seen:
                continue
            seen.append(day)
            if len(seen) == days:
                return begin.astimezone(pytz.utc).replace(tzinfo=None)
        return start + timedelta(days=days)

    def _next_call_time(self, after, calendar=None):
        """First moment from ``after`` (naive UTC) plus the retry interval
        that falls outside the quiet hours."""
        self.ensure_one()
        tz = pytz.timezone((calendar and calendar.tz) or self.env.user.tz or "UTC")
        local = pytz.utc.localize(after + timedelta(hours=self.retry_interval))
        local = local.astimezone(tz)
        return (
            self._out_of_quiet_hours(local, tz)
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )

    def _out_of_quiet_hours(self, local, tz):
        """Move an aware local datetime to the end of the quiet hours when it
        falls inside them."""
        self.ensure_one()
        start, end = self.quiet_hour_start, self.quiet_hour_end
        if start == end:
            return local
        hour = local.hour + local.minute / 60.0 + local.second / 3600.0
        if start < end:
            quiet = start <= hour < end
            end_day = local.date()
        else:  # over midnight, e.g. 20:00 -> 09:00
            quiet = hour >= start or hour < end
            end_day = local.date() + timedelta(days=1 if hour >= start else 0)
        if not quiet:
            return local
        hours, minutes = divmod(round(end * 60), 60)
        naive = datetime.combine(end_day, time(int(hours), int(minutes)))
        return tz.localize(naive)
