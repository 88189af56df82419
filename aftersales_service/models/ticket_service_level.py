from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mail import generate_tracking_message_id

from .aftersales_sla_policy import COMPLEXITIES
from .aftersales_ticket_sla import SLA_STATUSES, STATUS_SEVERITY

# Watched facts that decide the policy, a target's hours or its calendar:
# when one changes, the open service-level lines are re-planned.
SLA_FACTS = {
    "sla_policy_id",
    "complexity",
    "team_id",
    "priority",
    "partner_id",
    "product_id",
    "lot_id",
    "company_id",
    "channel_id",
    "warranty_id",
    "warranty_status",
    "is_vip",
}

TRAFFIC_LIGHTS = [
    ("green", "Green"),
    ("yellow", "Yellow"),
    ("red", "Red"),
]


class AftersalesTicket(models.Model):
    """Service levels on the ticket: policy, SLA lines, summary, traffic
    light, batch-failure incidents."""

    _inherit = "aftersales.ticket"

    complexity = fields.Selection(
        COMPLEXITIES,
        required=True,
        default="general",
        tracking=True,
        help="Decides the resolution target: simple (e.g. 4 h), general "
        "(24 h) or complex fault (72 h).",
    )
    sla_policy_id = fields.Many2one(
        "aftersales.sla.policy",
        string="Service Level Policy",
        compute="_compute_sla_policy_id",
        store=True,
        index="btree_not_null",
        tracking=True,
    )
    sla_ids = fields.One2many(
        "aftersales.ticket.sla", "ticket_id", string="Service Levels"
    )
    sla_deadline = fields.Datetime(
        string="Next Deadline",
        compute="_compute_sla_summary",
        store=True,
        index="btree_not_null",
        help="Earliest deadline among the targets still running.",
    )
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="Service Level",
        compute="_compute_sla_summary",
        store=True,
        index="btree_not_null",
        help="Worst status among the ticket's targets.",
    )
    traffic_light = fields.Selection(
        TRAFFIC_LIGHTS,
        compute="_compute_traffic_light",
        store=True,
        index=True,
        tracking=True,
        help="Green: solvable in the role. Yellow: another department works "
        "it, or a target is at risk. Red: failed target, VIP critical or "
        "repeat failure; the manager is notified at once.",
    )
    traffic_light_color = fields.Integer(compute="_compute_traffic_light_color")
    incident_ids = fields.Many2many(
        "aftersales.incident",
        "aftersales_incident_ticket_rel",
        "ticket_id",
        "incident_id",
        string="Batch-Failure Incidents",
        copy=False,
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    def _sla_policy_facts(self):
        self.ensure_one()
        # "partly in warranty" is in warranty for the covered parts
        warranty = self.warranty_status or "unknown"
        if warranty == "partly":
            warranty = "in"
        return {
            "company_id": (self.company_id or self.env.company).id,
            "priority": self.priority,
            "warranty_state": warranty,
            "customer_tier": "vip" if self.is_vip else "standard",
            "team_id": self.team_id.id,
            "channel_id": self.channel_id.id,
            "categ_path": self.product_id.categ_id.parent_path,
        }

    @api.depends(
        "priority",
        "is_vip",
        "product_id.categ_id",
        "team_id",
        "channel_id",
        "company_id",
        "warranty_status",
    )
    def _compute_sla_policy_id(self):
        policies = (
            self.env["aftersales.sla.policy"]
            .sudo()
            ._find_for_facts([ticket._sla_policy_facts() for ticket in self])
        )
        for ticket, policy in zip(self, policies, strict=True):
            ticket.sla_policy_id = policy.sudo(False)

    @api.depends(
        "sla_ids.status",
        "sla_ids.deadline",
        "sla_ids.reached_date",
        "sla_ids.pause_start",
    )
    def _compute_sla_summary(self):
        for ticket in self:
            lines = ticket.sla_ids
            running = lines.filtered(
                lambda line: not line.reached_date and not line.pause_start
            )
            ticket.sla_deadline = min(running.mapped("deadline"), default=False)
            ticket.sla_status = max(
                lines.mapped("status"),
                key=lambda status: STATUS_SEVERITY[status],
                default=False,
            )

    @api.depends(
        "sla_status",
        "is_vip",
        "priority",
        "is_repeat",
        "team_id",
        "owner_id",
        "sla_policy_id.red_on_failed",
        "sla_policy_id.red_on_vip_critical",
        "sla_policy_id.red_on_repeat",
        "sla_policy_id.yellow_on_at_risk",
        "sla_policy_id.yellow_on_other_team",
        "complaint_state",
    )
    def _compute_traffic_light(self):
        for ticket in self:
            rules = ticket._traffic_light_rules()
            if (
                # an open complaint is always a major matter
                ticket.complaint_state == "open"
                or (rules["red_on_failed"] and ticket.sla_status == "failed")
                or (
                    rules["red_on_vip_critical"]
                    and ticket.is_vip
                    and ticket.priority == "2"
                )
                or (rules["red_on_repeat"] and ticket.is_repeat)
            ):
                ticket.traffic_light = "red"
            elif (rules["yellow_on_at_risk"] and ticket.sla_status == "at_risk") or (
                rules["yellow_on_other_team"] and ticket._is_other_department()
            ):
                ticket.traffic_light = "yellow"
            else:
                ticket.traffic_light = "green"

    @api.depends("traffic_light")
    def _compute_traffic_light_color(self):
        colours = {"red": 1, "yellow": 3, "green": 10}
        for ticket in self:
            ticket.traffic_light_color = colours.get(ticket.traffic_light, 0)

    def _traffic_light_rules(self):
        self.ensure_one()
        policy = self.sla_policy_id.sudo()
        names = (
            "red_on_failed",
            "red_on_vip_critical",
            "red_on_repeat",
            "yellow_on_at_risk",
            "yellow_on_other_team",
        )
        if not policy:
            return dict.fromkeys(names, True)
        return {name: policy[name] for name in names}

    def _is_other_department(self):
        """The ticket's team is outside every team of its owner."""
        self.ensure_one()
        owner_teams = self.owner_id.sudo().aftersales_team_ids
        if not owner_teams or not self.team_id:
            return False
        path = self.team_id.sudo().parent_path or ""
        return not any(path.startswith(team.parent_path) for team in owner_teams)

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _lifecycle_watched_fields(self):
        return super()._lifecycle_watched_fields() | {
            "complexity",
            "sla_policy_id",
            "traffic_light",
            "fault_code_id",
        }

    def _on_created(self):
        res = super()._on_created()
        self._sla_create_lines()
        self._traffic_light_notify({}, created=True)
        self.env["aftersales.incident"].sudo()._register_tickets(self)
        return res

    def _on_transition(self, kind, previous):
        res = super()._on_transition(kind, previous)
        lines = self.sla_ids.sudo()
        now = fields.Datetime.now()
        if kind == "resumed":
            lines._resume(now)
        elif kind == "reopened":
            lines.filtered(
                lambda line: (
                    line.target_type == "resolution" or line.status == "cancelled"
                )
            )._reopen(now)
        elif kind == "closed":
            solved = self.filtered(lambda t: t.outcome == "solved")
            solved.sla_ids.sudo()._reach(now)
            (self - solved).sla_ids.sudo()._cancel()
        elif kind == "reclosed":
            self._sla_on_outcome_change()
        if kind in ("closed", "reclosed"):
            self._sla_close_activities()
        elif kind == "paused":
            lines._pause(now)
        return res

    def _on_facts_changed(self, fnames, previous=None):
        if previous is None:
            colours = self._traffic_light_snapshot()
        else:
            colours = {
                ticket_id: values.get("traffic_light")
                for ticket_id, values in previous.items()
            }
        res = super()._on_facts_changed(fnames, previous)
        if previous is None and SLA_FACTS & set(fnames):
            # changed elsewhere (a category moved, a warranty voided): the
            # policy may depend on facts its stored compute does not watch
            self.env.add_to_compute(self._fields["sla_policy_id"], self)
        if SLA_FACTS & set(fnames):
            self.filtered(lambda t: not t.is_closed)._sla_sync()
        self._traffic_light_notify(colours)
        if previous is not None and "fault_code_id" in fnames:
            # the diagnosis found the fault: count it for batch failures
            self.env["aftersales.incident"].sudo()._register_diagnosed_tickets(
                self.filtered(
                    lambda t: (
                        t.fault_code_id
                        and t.fault_code_id != previous[t.id]["fault_code_id"]
                    )
                )
            )
        return res

    # ------------------------------------------------------------------
    # Service-level lines
    # ------------------------------------------------------------------

    def _sla_calendar(self, policy):
        self.ensure_one()
        if not policy or policy.time_basis == "calendar":
            return self.env["resource.calendar"]
        return policy.resource_calendar_id or self.team_id._service_calendar(
            self.company_id
        )

    def _sla_targets(self):
        """{target_type: (hours, calendar, policy)} the ticket's policy sets."""
        self.ensure_one()
        policy = self.sla_policy_id.sudo()
        if not policy:
            return {}
        calendar = self._sla_calendar(policy).sudo()
        targets = {
            "response": policy.response_hours,
            "resolution": policy._resolution_hours(self.complexity),
        }
        if policy.arrival_hours > 0:
            targets["arrival"] = policy.arrival_hours
        return {target: (hours, calendar, policy) for target, hours in targets.items()}

    def _prepare_sla_line_vals(self, target_type, hours, calendar, policy, start):
        self.ensure_one()
        return {
            "ticket_id": self.id,
            "policy_id": policy.id,
            "target_type": target_type,
            "target_hours": hours,
            "calendar_id": calendar.id,
            "warning_share": policy.warning_share,
            "start_date": start,
        }

    def _sla_create_lines(self):
        """Create the missing service-level lines of the tickets in one
        ``create``; deadlines planned once per distinct (calendar, start,
        hours)."""
        Line = self.env["aftersales.ticket.sla"].sudo()
        now = fields.Datetime.now()
        vals_list = []
        requests = []
        for ticket in self:
            existing = set(ticket.sla_ids.mapped("target_type"))
            start = ticket.received_date or now
            for target, (hours, calendar, policy) in ticket._sla_targets().items():
                if target in existing:
                    continue
                vals = ticket._prepare_sla_line_vals(
                    target, hours, calendar, policy, start
                )
                requests += Line._planned_dates(
                    calendar, start, hours, 0.0, policy.warning_share
                )
                if ticket.stage_id.pause_sla:
                    vals["pause_start"] = now
                vals_list.append((ticket, calendar, vals))
        if not vals_list:
            return Line
        planned = Line._plan_batch(requests)
        levels = Line._sla_levels_by_company(self.company_id)
        create_vals = []
        for ticket, calendar, vals in vals_list:
            at_risk_req, deadline_req = Line._planned_dates(
                calendar,
                vals["start_date"],
                vals["target_hours"],
                0.0,
                vals["warning_share"],
            )
            vals["at_risk_date"] = planned[Line._plan_key(at_risk_req)]
            vals["deadline"] = planned[Line._plan_key(deadline_req)]
            vals.update(Line._status_values(vals, now, levels[ticket.company_id.id]))
            create_vals.append(vals)
        lines = Line.create(create_vals)
        closed = lines.filtered(lambda line: line.ticket_id.is_closed)
        if closed:  # an empty set would still read the escalation levels
            closed.filtered(lambda line: line.ticket_id.outcome == "solved")._reach(now)
            closed.filtered(lambda line: line.ticket_id.outcome != "solved")._cancel()
        return lines

    def _sla_sync(self):
        """Align the open lines with the targets of the tickets' current
        policy, complexity and calendar (after a relevant change)."""
        to_replan = self.env["aftersales.ticket.sla"].sudo()
        to_delete = self.env["aftersales.ticket.sla"].sudo()
        missing = self.browse()
        for ticket in self:
            targets = ticket._sla_targets()
            lines = ticket.sla_ids.sudo()
            for line in lines:
                if line.reached_date:
                    continue
                if line.target_type not in targets:
                    to_delete |= line
                    continue
                hours, calendar, policy = targets[line.target_type]
                if (
                    line.target_hours != hours
                    or line.calendar_id != calendar
                    or line.policy_id != policy
                ):
                    line.write(
                        {
                            "target_hours": hours,
                            "calendar_id": calendar.id,
                            "policy_id": policy.id,
                            "warning_share": policy.warning_share,
                        }
                    )
                    to_replan |= line
            if set(targets) - set(lines.mapped("target_type")):
                missing |= ticket
        to_delete.unlink()
        to_replan._replan()
        missing._sla_create_lines()

    def _sla_on_outcome_change(self):
        """Solved -> cancelled: what the closing reached is cancelled (the
        case was not resolved); targets met by real events before (an answer,
        an arrival) stay met. Cancelled -> solved: the cancelled targets are
        reached when the case ended."""
        Line = self.env["aftersales.ticket.sla"].sudo()
        to_cancel = Line
        to_reach = defaultdict(lambda: Line)
        for ticket in self:
            lines = ticket.sla_ids.sudo()
            if ticket.outcome == "cancelled":
                to_cancel |= lines.filtered(
                    lambda line, t=ticket: (
                        line.target_type == "resolution"
                        or not line.reached_date
                        or (t.closed_date and line.reached_date >= t.closed_date)
                    )
                )
            else:
                when = ticket.closed_date or fields.Datetime.now()
                to_reach[when] |= lines.filtered(
                    lambda line: line.status == "cancelled"
                )
        to_cancel._cancel()
        for when, lines in to_reach.items():
            lines._reach(when)

    def _sla_reach_targets(self, target_types, when=None):
        when = when or fields.Datetime.now()
        lines = self.sla_ids.sudo().filtered(
            lambda line: line.target_type in target_types and not line.reached_date
        )
        lines._reach(when)

    # ------------------------------------------------------------------
    # Mail: a real answer to the customer meets the first response
    # ------------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if self._sla_is_customer_response(message):
            self._sla_reach_targets({"response"}, message.date)
        return result

    def _sla_is_customer_response(self, message):
        """A public message (written here or an e-mail reply), or a logged
        call, by an after-sales user; never the customer's own message."""
        if not self.sla_ids:
            return False
        is_call = message.mail_activity_type_id.category == "phonecall"
        is_public = message.message_type in ("comment", "email", "email_outgoing") and (
            message.subtype_id and not message.subtype_id.internal
        )
        if not (is_call or is_public):
            return False
        authors = message.author_id.sudo().user_ids.filtered(
            lambda user: not user.share
        )
        return any(
            user.has_group("aftersales_service.group_aftersales_technician")
            for user in authors
        )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_sla_register_arrival(self):
        """The technician is on site: meets the arrival target and, when
        nobody answered yet, the first response."""
        self.check_access("write")
        return self._sla_register_arrival(fields.Datetime.now())

    def _sla_register_arrival(self, when, who=None):
        """Meet the arrival target (and the first response) at ``when`` and
        log who is on site. Shared by the ticket's On Site button and a
        visit's check-in; the caller checked the user's rights."""
        if any(ticket.is_closed for ticket in self):
            raise UserError(_("The ticket is closed: no visit can be recorded."))
        self._sla_reach_targets({"arrival", "response"}, when)
        for ticket in self:
            ticket.message_post(
                body=_(
                    "Technician on site: %(who)s.",
                    # a technician reads employees through their public
                    # profile only: the name, not the whole record
                    who=who or ticket.sudo().technician_id.name or self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_view_sla_lines(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Service Levels"),
            "res_model": "aftersales.ticket.sla",
            "view_mode": "list,form",
            "domain": [("ticket_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Traffic light
    # ------------------------------------------------------------------

    def _traffic_light_snapshot(self):
        return {ticket.id: ticket.traffic_light for ticket in self}

    def _traffic_light_turned_red(self, before):
        """The tickets that turned red since ``before`` (a snapshot), each
        with its manager and the note that says so:
        [(ticket, manager, note)]."""
        turned_red = self.filtered(
            lambda t: t.traffic_light == "red" and before.get(t.id) != "red"
        ).sudo()
        result = []
        for ticket in turned_red:
            manager = ticket._traffic_light_manager()
            note = self.env._(
                "Ticket %(ticket)s turned red: it needs a manager now "
                "(notified: %(manager)s).",
                ticket=ticket.name,
                manager=manager.name or self.env._("nobody"),
            )
            result.append((ticket, manager, note))
        return result

    def _traffic_light_red_alerts(self, before):
        """[(ticket, manager, note, alert)] for the tickets that turned red
        since ``before``; ``alert`` is the manager's activity (None without a
        manager). For callers that notify the managers themselves (the
        deadline job's digest)."""
        today = fields.Date.context_today(self)
        result = []
        for ticket, manager, note in self._traffic_light_turned_red(before):
            alert = None
            if manager:
                summary = self.with_context(lang=manager.lang or self.env.lang).env._(
                    "Red ticket: take it in hand"
                )
                alert = (ticket, manager, summary, False, today)
            result.append((ticket, manager, note, alert))
        return result

    def _traffic_light_notify(self, before, created=False):
        """Tell the manager at once about tickets that turned red: a note on
        each ticket, an activity for its manager and one notification per
        manager for the whole batch (a bounded number of queries).
        ``created``: the tickets were just created."""
        red = self._traffic_light_red_alerts(before)
        if not red:
            return
        tickets = self.browse([ticket.id for ticket, *__ in red]).sudo()
        tickets._message_log_batch(
            bodies={ticket.id: note for ticket, __, note, ___ in red}
        )
        by_manager = defaultdict(lambda: self.browse().sudo())
        alerts = []
        for ticket, manager, __, alert in red:
            if alert:
                by_manager[manager] |= ticket
                alerts.append(alert)
        for manager, manager_tickets in by_manager.items():
            manager_env = self.with_context(lang=manager.lang or self.env.lang).env
            self.env["mail.thread"].sudo().with_context(
                lang=manager.lang or self.env.lang
            ).message_notify(
                partner_ids=manager.partner_id.ids,
                subject=manager_env._("Red after-sales tickets"),
                body=manager_env._(
                    "These tickets turned red and need you now: %(tickets)s",
                    tickets=", ".join(manager_tickets.mapped("name")),
                ),
                model_description=manager_env._("After-Sales Ticket"),
            )
        # notified just above: no second e-mail for the activities
        self._schedule_alerts(alerts, notify=False, created=created)

    def _sla_tracked_snapshot(self):
        """{ticket id: {field: value}} of the tracked fields that the
        deadline job may change: the stored computed ones (it writes none
        itself)."""
        fnames = [
            fname
            for fname in self._track_get_fields()
            if self._fields[fname].store and self._fields[fname].compute
        ]
        return {
            ticket.id: {fname: ticket[fname] for fname in fnames} for ticket in self
        }

    def _sla_log_notes(self, bodies, partners, initial_values):
        """One note per ticket, all created at once: the texts of ``bodies``
        ({ticket id: [text]}) and the changes of the tracked fields since
        ``initial_values`` (see ``_sla_tracked_snapshot``), which Odoo's own
        tracking would otherwise log as a second message. ``partners``
        ({ticket id: [partner id]}) are the people the texts name as
        notified (they are told by the digest, not by this note)."""
        fnames = {fname for values in initial_values.values() for fname in values}
        tracked_fields = (
            self.fields_get(
                list(fnames),
                attributes=("string", "type", "selection", "currency_field"),
            )
            if fnames
            else {}
        )
        values_list = []
        trackings = []
        for ticket in self:
            __, tracking = ticket._mail_track(
                tracked_fields, initial_values.get(ticket.id, {})
            )
            parts = bodies.get(ticket.id) or []
            if not parts and not tracking:
                continue
            values_list.append(
                {
                    "res_id": ticket.id,
                    "body": Markup("").join(
                        Markup("<p>%s</p>") % part for part in parts
                    ),
                    "partner_ids": list(dict.fromkeys(partners.get(ticket.id, []))),
                }
            )
            trackings.append(tracking)
        if not values_list:
            return self.env["mail.message"]
        author_id, email_from = self._message_compute_author(raise_on_email=False)
        base_values = {
            "author_id": author_id,
            "email_from": email_from,
            "model": self._name,
            "record_alias_domain_id": False,
            "record_company_id": False,
            "record_name": False,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "email_add_signature": False,
            "message_id": generate_tracking_message_id("aftersales-sla"),
            "reply_to": self.env["mail.thread"]._notify_get_reply_to(
                default=email_from
            )[False],
        }
        messages = self.sudo()._message_create(
            [dict(base_values, **values) for values in values_list]
        )
        # mail.message creates the tracking values of each message apart:
        # here in one go for the batch
        self.env["mail.tracking.value"].sudo().create(
            [
                dict(command[2], mail_message_id=message.id)
                for message, tracking in zip(messages, trackings, strict=True)
                for command in tracking
            ]
        )
        return messages

    def _sla_close_activities(self):
        """Service-level activities (at risk, escalated, red) are done once
        nothing is at stake any more: the ticket is closed, or none of its
        targets is at risk or failed."""
        if not self:
            return
        activity_type = self.env.ref("aftersales_service.mail_activity_type_sla")
        settled = self.sudo().filtered(
            lambda t: (
                t.is_closed
                or not any(
                    line.status in ("at_risk", "failed") and not line.reached_date
                    for line in t.sla_ids
                )
            )
        )
        activities = settled.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        if activities:
            activities.action_feedback(
                feedback=self.env._("Settled: the service level is no longer at stake.")
            )

    def _traffic_light_manager(self):
        self.ensure_one()
        return self.team_id._first_up("leader_id")
