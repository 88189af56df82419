from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .aftersales_sla_policy import COMPLEXITIES
from .aftersales_ticket_sla import SLA_STATUSES, STATUS_SEVERITY

# Fields a policy matches on, or that decide a target's hours or calendar:
# writing one of them re-plans the open service-level lines.
SLA_RELEVANT_FIELDS = {
    "priority",
    "complexity",
    "team_id",
    "channel_id",
    "partner_id",
    "product_id",
    "company_id",
    "lot_id",
    "sale_order_id",
    "purchase_date",
    "warranty_state",
    "warranty_status",
    "warranty_id",
}

# The warranty capability may name the ticket's status either way; the
# policy matches on whichever exists (and on "unknown" when none does).
WARRANTY_FIELDS = ("warranty_state", "warranty_status")

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
    received_date = fields.Datetime(
        string="Received On",
        required=True,
        index=True,
        copy=False,
        default=fields.Datetime.now,
        help="When the customer's request came in: the service-level clocks "
        "start here and batch failures are counted from it.",
    )
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

    def _sla_policy_depends(self):
        depends = [
            "priority",
            "is_vip",
            "product_id.categ_id",
            "team_id",
            "channel_id",
            "company_id",
        ]
        warranty_field = self._sla_warranty_field()
        if warranty_field:
            depends.append(warranty_field)
        return depends

    def _sla_warranty_field(self):
        return next((f for f in WARRANTY_FIELDS if f in self._fields), None)

    def _sla_policy_facts(self):
        self.ensure_one()
        warranty = "unknown"
        warranty_field = self._sla_warranty_field()
        if warranty_field:
            # "partly in warranty" is in warranty for the covered parts
            value = self[warranty_field] or "unknown"
            warranty = "in" if value == "partly" else value
        return {
            "company_id": (self.company_id or self.env.company).id,
            "priority": self.priority,
            "warranty_state": warranty,
            "customer_tier": "vip" if self.is_vip else "standard",
            "team_id": self.team_id.id,
            "channel_id": self.channel_id.id,
            "categ_path": self.product_id.categ_id.parent_path,
        }

    @api.depends(lambda self: self._sla_policy_depends())
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
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._sla_create_lines()
        tickets._traffic_light_notify({})
        self.env["aftersales.incident"].sudo()._register_tickets(tickets)
        return tickets

    def write(self, vals):
        stage_before = {}
        if "stage_id" in vals:
            stage_before = {
                ticket.id: (ticket.stage_id.pause_sla, ticket.is_closed)
                for ticket in self
            }
        colours = self._traffic_light_snapshot()
        result = super().write(vals)
        if stage_before:
            self._sla_on_stage_change(stage_before)
        if SLA_RELEVANT_FIELDS & set(vals):
            self._sla_sync()
        self._traffic_light_notify(colours)
        return result

    # ------------------------------------------------------------------
    # Service-level lines
    # ------------------------------------------------------------------

    def _sla_calendar(self, policy):
        self.ensure_one()
        if not policy or policy.time_basis == "calendar":
            return self.env["resource.calendar"]
        return (
            policy.resource_calendar_id
            or self.team_id.resource_calendar_id
            or self.company_id.resource_calendar_id
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
        if closed:
            closed._reach(now)
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

    def _sla_on_stage_change(self, before):
        now = fields.Datetime.now()
        lines = self.env["aftersales.ticket.sla"].sudo()
        resume, pause, reach, reopen = lines, lines, lines, lines
        for ticket in self:
            was_paused, was_closed = before[ticket.id]
            ticket_lines = ticket.sla_ids.sudo()
            if was_paused and not ticket.stage_id.pause_sla:
                resume |= ticket_lines
            if ticket.is_closed and not was_closed:
                reach |= ticket_lines
            elif was_closed and not ticket.is_closed:
                reopen |= ticket_lines.filtered(
                    lambda line: line.target_type == "resolution"
                )
            if ticket.stage_id.pause_sla and not was_paused and not ticket.is_closed:
                pause |= ticket_lines
        resume._resume(now)
        reopen._reopen(now)
        reach._reach(now)
        pause._pause(now)

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
        """A public message, or a logged call, by an after-sales user."""
        if not self.sla_ids:
            return False
        is_call = message.mail_activity_type_id.category == "phonecall"
        is_public = message.message_type in ("comment", "email_outgoing") and (
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
        if any(ticket.is_closed for ticket in self):
            raise UserError(_("The ticket is closed: no visit can be recorded."))
        now = fields.Datetime.now()
        self._sla_reach_targets({"arrival", "response"}, now)
        for ticket in self:
            ticket.message_post(
                body=_(
                    "Technician on site: %(who)s.",
                    who=ticket.technician_id.name or self.env.user.name,
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

    def _traffic_light_notify(self, before):
        """Tell the manager at once about tickets that turned red: a note on
        each ticket, an activity for its manager and one notification per
        manager for the whole batch (a bounded number of queries)."""
        turned_red = self.filtered(
            lambda t: t.traffic_light == "red" and before.get(t.id) != "red"
        ).sudo()
        if not turned_red:
            return
        by_manager = defaultdict(lambda: self.browse().sudo())
        for ticket in turned_red:
            by_manager[ticket._traffic_light_manager()] |= ticket
        turned_red._message_log_batch(
            bodies={
                ticket.id: self.env._(
                    "Ticket %(ticket)s turned red: it needs a manager now "
                    "(notified: %(manager)s).",
                    ticket=ticket.name,
                    manager=ticket._traffic_light_manager().name or _("nobody"),
                )
                for ticket in turned_red
            }
        )
        today = fields.Date.context_today(self)
        todo = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        summary = _("Red ticket: take it in hand")
        activity_vals = []
        for manager, tickets in by_manager.items():
            if not manager:
                continue
            activity_vals += [
                {
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "activity_type_id": todo.id,
                    "summary": summary,
                    "user_id": manager.id,
                    "date_deadline": today,
                }
                for ticket in tickets
            ]
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=manager.partner_id.ids,
                subject=_("Red after-sales tickets"),
                body=_(
                    "These tickets turned red and need you now: %(tickets)s",
                    tickets=", ".join(tickets.mapped("name")),
                ),
                model_description=_("After-Sales Ticket"),
            )
        if activity_vals:
            self.env["mail.activity"].sudo().with_context(
                mail_activity_quick_update=True
            ).create(activity_vals)

    def _traffic_light_manager(self):
        self.ensure_one()
        team = self.team_id.sudo()
        while team:
            if team.leader_id:
                return team.leader_id
            team = team.parent_id
        return self.env["res.users"]
