from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .aftersales_callback import OPEN_STATES


class AftersalesTicket(models.Model):
    """Callbacks after closure, and complaints opened by unhappy answers."""

    _inherit = "aftersales.ticket"

    callback_ids = fields.One2many(
        "aftersales.callback", "ticket_id", string="Callbacks"
    )
    callback_count = fields.Integer(compute="_compute_callback_count")

    # Complaint (closed loop)
    is_complaint = fields.Boolean(
        string="Complaint",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
        help="Opened or reopened by an unhappy callback answer.",
    )
    complaint_of_id = fields.Many2one(
        "aftersales.ticket",
        string="Complaint About",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    complaint_callback_id = fields.Many2one(
        "aftersales.callback",
        string="Complaint From Callback",
        readonly=True,
        copy=False,
    )
    complaint_manager_id = fields.Many2one("res.users", readonly=True, copy=False)
    complaint_deadline = fields.Date(readonly=True, copy=False, tracking=True)
    complaint_state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        compute="_compute_complaint_state",
        store=True,
        precompute=True,
        index="btree_not_null",
    )
    company_at_fault = fields.Boolean(
        tracking=True,
        copy=False,
        help="The complaint was found to be the company's fault; it counts in "
        "the performance scores.",
    )
    company_at_fault_note = fields.Text(
        string="Fault Finding",
        copy=False,
        help="What the investigation found, whoever was at fault.",
    )

    @api.depends("callback_ids")
    def _compute_callback_count(self):
        counts = {}
        if self.ids:
            counts = {
                ticket.id: count
                for ticket, count in self.env["aftersales.callback"]._read_group(
                    [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
                )
            }
        for ticket in self:
            ticket.callback_count = counts.get(ticket.id, 0)

    @api.depends("is_complaint", "stage_id.is_closed")
    def _compute_complaint_state(self):
        for ticket in self:
            if not ticket.is_complaint:
                ticket.complaint_state = False
            else:
                closed = ticket.stage_id.is_closed
                ticket.complaint_state = "closed" if closed else "open"

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _on_created(self):
        res = super()._on_created()
        self.filtered("is_closed").sudo()._callback_schedule()
        return res

    def _on_transition(self, kind, previous):
        """Closing schedules the callback its rule asks for (an unresolved
        case only when a rule names its stage); a solved ticket turned
        cancelled drops the callbacks not yet made."""
        res = super()._on_transition(kind, previous)
        if kind not in ("closed", "reclosed"):
            return res
        if kind == "reclosed":
            self.filtered(
                lambda t: t.outcome != "solved"
            ).sudo()._callback_cancel_pending()
        self.sudo()._callback_schedule()
        return res

    def _check_can_close(self, stage):
        res = super()._check_can_close(stage)
        self._check_complaint_closable()
        return res

    def _check_complaint_closable(self):
        for ticket in self:
            if ticket.is_complaint and not (ticket.company_at_fault_note or "").strip():
                raise UserError(
                    _(
                        "Complaint %(ticket)s: record the fault finding (was "
                        "the company at fault, and why) before closing it.",
                        ticket=ticket.name,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_callbacks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_callback_action"
        )
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Scheduling
    # ------------------------------------------------------------------

    def _callback_schedule(self):
        """Schedule a callback for each newly closed ticket by the first
        matching rule. Due dates are planned once per (rule, calendar,
        closing time)."""
        Callback = self.env["aftersales.callback"]
        busy = {
            ticket.id
            for [ticket] in Callback._read_group(
                [("ticket_id", "in", self.ids), ("state", "in", OPEN_STATES)],
                ["ticket_id"],
            )
        }
        tickets = self.filtered(lambda t: t.id not in busy)
        rules = self.env["aftersales.callback.rule"]._find_for_tickets(tickets)
        now = fields.Datetime.now()
        planned = {}
        vals_list = []
        for ticket in tickets:
            rule = rules.get(ticket.id)
            if not rule or rule.action != "callback":
                continue
            calendar = rule.resource_calendar_id or ticket.team_id._service_calendar(
                ticket.company_id
            )
            closed = ticket.closed_date or now
            key = (rule.id, calendar.id, closed)
            if key not in planned:
                planned[key] = rule._plan_due(calendar, closed)
            vals_list.append(ticket._prepare_callback_vals(rule, planned[key]))
        return Callback.create(vals_list)

    def _callback_cancel_pending(self):
        """A case that ended unresolved is not a service to rate: callbacks
        not yet made are cancelled."""
        callbacks = self.env["aftersales.callback"].search(
            [("ticket_id", "in", self.ids), ("state", "in", OPEN_STATES)]
        )
        if callbacks:
            callbacks._cancel(self.env._("the ticket was cancelled"))

    def _prepare_callback_vals(self, rule, due_date):
        self.ensure_one()
        user = rule.user_id
        team = rule.callback_team_id
        if not user and not team:
            user = self.owner_id
        return {
            "name": _("Callback %(ticket)s", ticket=self.name),
            "ticket_id": self.id,
            "company_id": self.company_id.id,
            "rule_id": rule.id,
            "user_id": user.id,
            "callback_team_id": team.id,
            "due_date": due_date,
            "closed_date": self.closed_date,
        }

    # ------------------------------------------------------------------
    # Closing the loop
    # ------------------------------------------------------------------

    def _callback_manager(self):
        """The owner's manager: the leader of the owner's team, or of the
        team above when the owner leads it; the ticket team's leaders
        otherwise."""
        self.ensure_one()
        owner = self.owner_id.sudo()
        for team in owner.aftersales_team_ids | self.team_id.sudo():
            leader = team._first_up("leader_id", lambda t: t.leader_id != owner)
            if leader:
                return leader
        return self.env["res.users"]

    def _complaint_vals(self, callback, manager):
        deadline = self._complaint_deadline(callback.rule_id)
        vals = {
            "is_complaint": True,
            "complaint_callback_id": callback.id,
            "complaint_manager_id": manager.id,
            "complaint_deadline": deadline,
            "priority": "2",
        }
        return vals

    def _complaint_deadline(self, rule):
        self.ensure_one()
        days = rule.complaint_deadline_days or 1
        calendar = self.team_id._service_calendar(self.company_id)
        now = fields.Datetime.now()
        due = calendar.plan_days(days, now, compute_leaves=True) if calendar else False
        return (due or now + timedelta(days=days)).date()

    def _callback_reopen(self, callback):
        """Move the ticket back to the rule's open stage, red, with a
        deadline for the owner's manager."""
        self.ensure_one()
        manager = self._callback_manager()
        vals = self._complaint_vals(callback, manager)
        vals["stage_id"] = callback.rule_id.reopen_stage_id.id
        self.write(vals)
        self._callback_notify_manager(callback, manager)
        return self

    def _callback_open_complaint(self, callback):
        """Open a complaint ticket linked to this one, owned by the owner's
        manager."""
        self.ensure_one()
        manager = self._callback_manager()
        vals = {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "product_id": self.product_id.id,
            "lot_id": self.lot_id.id,
            "team_id": self.team_id.id,
            "technician_id": self.technician_id.id,
            "channel_id": self.channel_id.id,
            "owner_id": (manager or self.owner_id).id,
            "complaint_of_id": self.id,
            "symptom": _(
                "Complaint after the callback on %(ticket)s: %(comment)s",
                ticket=self.name,
                comment=callback.comment or _("customer unhappy"),
            ),
        }
        if callback.rule_id.reopen_stage_id:
            vals["stage_id"] = callback.rule_id.reopen_stage_id.id
        complaint = self.create(vals)
        complaint.write(complaint._complaint_vals(callback, manager))
        complaint._callback_notify_manager(callback, manager)
        self.message_post(
            body=_(
                "Complaint %(complaint)s opened after an unhappy callback.",
                complaint=complaint.name,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return complaint

    def _callback_notify_manager(self, callback, manager):
        self.ensure_one()
        summary = _("Complaint: take it in hand")
        note = _(
            "Unhappy callback %(callback)s: satisfaction %(satisfaction)s, "
            "solved: %(solved)s, recommend %(nps)s/10. %(comment)s",
            callback=callback.name,
            satisfaction=callback.satisfaction or "-",
            solved=dict(
                callback._fields["solved"]._description_selection(self.env)
            ).get(callback.solved, "-"),
            nps=callback.nps_score,
            comment=callback.comment or "",
        )
        self.message_post(body=note, subtype_xmlid="mail.mt_note")
        if manager:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.complaint_deadline,
                summary=summary,
                note=note,
                user_id=manager.id,
            )
