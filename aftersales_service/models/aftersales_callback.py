from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

CALLBACK_STATES = [
    ("todo", "To Call"),
    ("reached", "Reached"),
    ("sent", "Survey Sent"),
    ("answered", "Answered"),
    ("refused", "Refused"),
    ("failed", "Not Reached"),
    ("cancelled", "Cancelled"),
]

OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    ("refused", "Refused"),
    ("later", "Call back later"),
]

NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]

# Scores come from the survey only: written by the survey flow as superuser.
SCORE_FIELDS = {
    "satisfaction",
    "solved",
    "conduct",
    "nps_score",
    "comment",
    "has_scores",
    "answered_date",
}

OPEN_STATES = ("todo", "reached", "sent")


class AftersalesCallback(models.Model):
    _name = "aftersales.callback"
    _description = "After-Sales Callback"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "due_date, id"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False)
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    rule_id = fields.Many2one(
        "aftersales.callback.rule", readonly=True, check_company=True
    )

    # What the callback links (stored for the queue and the analysis)
    partner_id = fields.Many2one(
        related="ticket_id.partner_id", string="Customer", store=True, index=True
    )
    # The agent dials the full number; technicians see it masked.
    partner_phone = fields.Char(
        related="ticket_id.partner_phone",
        string="Phone",
        groups="aftersales_service.group_aftersales_contact_full",
    )
    partner_phone_masked = fields.Char(
        related="ticket_id.partner_phone_masked", string="Masked Phone"
    )
    team_id = fields.Many2one(
        related="ticket_id.team_id", string="Service Team", store=True, index=True
    )
    technician_id = fields.Many2one(related="ticket_id.technician_id", store=True)
    technician_user_id = fields.Many2one(
        related="ticket_id.technician_user_id", store=True, index=True
    )
    owner_id = fields.Many2one(
        related="ticket_id.owner_id", string="Ticket Owner", store=True, index=True
    )
    product_id = fields.Many2one(related="ticket_id.product_id", store=True)
    is_vip = fields.Boolean(related="ticket_id.is_vip", string="VIP", store=True)
    closed_date = fields.Datetime(string="Ticket Closed On", readonly=True)

    # Queue
    user_id = fields.Many2one(
        "res.users",
        string="Callback Agent",
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    callback_team_id = fields.Many2one(
        "aftersales.team",
        index=True,
        tracking=True,
        check_company=True,
    )
    due_date = fields.Datetime(required=True, index=True, tracking=True)
    state = fields.Selection(
        CALLBACK_STATES,
        required=True,
        default="todo",
        index=True,
        tracking=True,
    )
    attempt_ids = fields.One2many(
        "aftersales.callback.attempt", "callback_id", string="Attempts"
    )
    attempt_count = fields.Integer(
        string="Unanswered Calls",
        compute="_compute_attempt_count",
        store=True,
        help="Calls that did not reach the customer; counted against the rule's "
        "number of attempts.",
    )
    last_outcome = fields.Selection(OUTCOMES, readonly=True, tracking=True)

    # Survey
    survey_id = fields.Many2one("survey.survey", readonly=True)
    user_input_id = fields.Many2one(
        "survey.user_input", string="Survey Answer", readonly=True, copy=False
    )
    survey_url = fields.Char(
        string="Survey Link", compute="_compute_survey_url", compute_sudo=True
    )

    # Scores, copied once from the survey answer
    has_scores = fields.Boolean(string="Answered", readonly=True, copy=False)
    answered_date = fields.Datetime(readonly=True, copy=False)
    satisfaction = fields.Integer(readonly=True, aggregator="avg", copy=False)
    solved = fields.Selection(
        [("yes", "Yes"), ("no", "No")],
        string="Problem Solved",
        readonly=True,
        copy=False,
    )
    conduct = fields.Integer(
        string="Technician Conduct", readonly=True, aggregator="avg", copy=False
    )
    nps_score = fields.Integer(
        string="Recommend (0-10)", readonly=True, aggregator="avg", copy=False
    )
    nps_category = fields.Selection(
        NPS_CATEGORIES,
        string="NPS Category",
        compute="_compute_nps_category",
        store=True,
    )
    comment = fields.Text(readonly=True, copy=False)
    is_unhappy = fields.Boolean(
        string="Unhappy",
        compute="_compute_is_unhappy",
        store=True,
        help="Detractor, satisfaction of 2 or less, or problem not solved.",
    )
    complaint_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Follow-up Ticket",
        readonly=True,
        copy=False,
        help="The reopened ticket or the complaint opened by this answer.",
    )

    # What the user may do
    can_record_outcome = fields.Boolean(compute="_compute_can")
    can_answer = fields.Boolean(compute="_compute_can")
    can_send_survey = fields.Boolean(compute="_compute_can")
    can_cancel = fields.Boolean(compute="_compute_can")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("attempt_ids.outcome")
    def _compute_attempt_count(self):
        for callback in self:
            callback.attempt_count = len(
                callback.attempt_ids.filtered(lambda a: a.outcome == "no_answer")
            )

    @api.depends("user_input_id.access_token", "survey_id")
    def _compute_survey_url(self):
        for callback in self:
            answer = callback.user_input_id
            callback.survey_url = (
                f"{callback.get_base_url()}{answer.get_start_url()}"
                if answer and answer.state != "done"
                else False
            )

    @api.depends("has_scores", "nps_score")
    def _compute_nps_category(self):
        for callback in self:
            if not callback.has_scores:
                callback.nps_category = False
            elif callback.nps_score >= 9:
                callback.nps_category = "promoter"
            elif callback.nps_score >= 7:
                callback.nps_category = "passive"
            else:
                callback.nps_category = "detractor"

    @api.depends("has_scores", "nps_category", "satisfaction", "solved")
    def _compute_is_unhappy(self):
        for callback in self:
            callback.is_unhappy = callback.has_scores and (
                callback.nps_category == "detractor"
                or (callback.satisfaction and callback.satisfaction <= 2)
                or callback.solved == "no"
            )

    @api.depends("state", "has_scores")
    @api.depends_context("uid")
    def _compute_can(self):
        is_agent = self.env.user.has_group(
            "aftersales_service.group_aftersales_user_own"
        )
        for callback in self:
            callback.can_record_outcome = is_agent and callback.state == "todo"
            callback.can_answer = (
                is_agent
                and callback.state in ("todo", "reached", "sent")
                and not callback.has_scores
            )
            callback.can_send_survey = (
                is_agent
                and callback.state in ("todo", "reached", "failed", "sent")
                and not callback.has_scores
            )
            callback.can_cancel = is_agent and callback.state in OPEN_STATES

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("satisfaction", "conduct", "nps_score", "has_scores")
    def _check_scores(self):
        for callback in self:
            if not callback.has_scores:
                continue
            for fname, low, high in (
                ("satisfaction", 1, 5),
                ("conduct", 1, 5),
                ("nps_score", 0, 10),
            ):
                value = callback[fname]
                if fname != "nps_score" and not value:
                    continue  # not asked by this survey
                if not low <= value <= high:
                    raise ValidationError(
                        _(
                            "%(score)s must be between %(low)s and %(high)s "
                            "(callback %(callback)s got %(value)s).",
                            score=self._fields[fname]._description_string(self.env),
                            low=low,
                            high=high,
                            callback=callback.name,
                            value=value,
                        )
                    )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        # Rights first: who may not write is refused as such.
        self.check_access("write")
        if SCORE_FIELDS & set(vals) and not self.env.su:
            raise UserError(
                _(
                    "Scores come from the customer's survey answers; they cannot "
                    "be edited by hand."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_record_outcome(self):
        self.ensure_one()
        self._ensure_can("can_record_outcome")
        return {
            "type": "ir.actions.act_window",
            "name": _("Record Call Outcome"),
            "res_model": "aftersales.callback.outcome.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_callback_id": self.id},
        }

    def action_answer_survey(self):
        """Open the survey for the agent to fill during the call."""
        self.ensure_one()
        self._ensure_can("can_answer")
        answer = self._get_agent_answer()
        return {
            "type": "ir.actions.act_url",
            "name": _("Survey"),
            "target": "new",
            "url": answer.get_start_url(),
        }

    def action_send_survey(self):
        self._ensure_can("can_send_survey")
        self._send_survey()

    def action_cancel(self):
        self._ensure_can("can_cancel")
        self.write({"state": "cancelled"})

    def _cancel(self, reason):
        """Cancel callbacks the system no longer wants made, saying why (one
        note each, logged in one batch)."""
        self.write({"state": "cancelled"})
        body = self.env._("Cancelled: %(reason)s.", reason=reason)
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    def action_view_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.ticket_id.id,
            "view_mode": "form",
        }

    def action_view_answer(self):
        self.ensure_one()
        return self.user_input_id.sudo().action_print_answers()

    # ------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------

    def _ensure_can(self, flag):
        messages = {
            "can_record_outcome": _(
                "Callback %(callback)s is %(state)s: only callbacks still to "
                "call take a call outcome."
            ),
            "can_answer": _(
                "Callback %(callback)s is %(state)s: its survey cannot be "
                "answered any more."
            ),
            "can_send_survey": _(
                "Callback %(callback)s is %(state)s: its survey cannot be sent."
            ),
            "can_cancel": _(
                "Callback %(callback)s is %(state)s: it cannot be cancelled."
            ),
        }
        for callback in self:
            if not callback[flag]:
                state = dict(self._fields["state"]._description_selection(self.env))
                label = (
                    _("already answered")
                    if callback.has_scores
                    else state[callback.state]
                )
                raise UserError(
                    messages[flag] % {"callback": callback.name, "state": label}
                )

    # ------------------------------------------------------------------
    # Call outcomes
    # ------------------------------------------------------------------

    def _record_outcome(self, outcome, callback_date=False, note=False):
        """Log a call on each callback and move it on: retry, fall back to the
        survey by e-mail, or close it."""
        self._ensure_can("can_record_outcome")
        if outcome == "later" and not callback_date:
            raise UserError(
                _("Call back later: say when the customer wants to be called.")
            )
        now = fields.Datetime.now()
        if outcome == "later" and callback_date < now:
            raise UserError(_("Call back later: the time must be in the future."))
        self.env["aftersales.callback.attempt"].create(
            [
                {
                    "callback_id": callback.id,
                    "date": now,
                    "outcome": outcome,
                    "callback_date": callback_date if outcome == "later" else False,
                    "note": note,
                    "user_id": self.env.user.id,
                }
                for callback in self
            ]
        )
        self.last_outcome = outcome
        to_fallback = self.browse()
        if outcome == "reached":
            self.state = "reached"
        elif outcome == "refused":
            self.state = "refused"
        elif outcome == "later":
            self.due_date = callback_date
        elif outcome == "wrong_number":
            to_fallback = self
        else:  # no answer
            for callback in self:
                rule = callback.rule_id
                if callback.attempt_count >= (rule.max_attempts if rule else 1):
                    to_fallback |= callback
                else:
                    callback.due_date = rule._next_call_time(now, callback._calendar())
        if to_fallback:
            to_fallback._fallback()

    def _calendar(self):
        self.ensure_one()
        return (
            self.rule_id.resource_calendar_id
            or self.ticket_id.team_id._service_calendar(self.company_id)
        )

    def _fallback(self):
        """Calls are exhausted: send the survey by e-mail, or give up."""
        by_email = self.filtered(
            lambda c: not c.rule_id or c.rule_id.fallback == "email"
        )
        (self - by_email).write({"state": "failed"})
        by_email._send_survey()

    # ------------------------------------------------------------------
    # Survey
    # ------------------------------------------------------------------

    def _get_survey(self):
        self.ensure_one()
        return (
            self.survey_id
            or self.rule_id.survey_id
            or self.ticket_id.team_id._get_callback_survey()
        )

    def _new_answer(self, partner=None, user=None):
        """A fresh survey answer for this callback; earlier open answers of the
        callback expire, so only one can be completed."""
        self.ensure_one()
        survey = self._get_survey().sudo()
        if not survey:
            raise UserError(
                _("Callback %(callback)s: no survey to ask.", callback=self.name)
            )
        self._expire_open_answers()
        answer = survey._create_answer(
            user=user or False,
            partner=partner or False,
            check_attempts=False,
            aftersales_callback_id=self.id,
        )
        self.sudo().write({"survey_id": survey.id, "user_input_id": answer.id})
        return answer

    def _expire_open_answers(self):
        answers = (
            self.env["survey.user_input"]
            .sudo()
            .search(
                [
                    ("aftersales_callback_id", "in", self.ids),
                    ("state", "!=", "done"),
                ]
            )
        )
        answers.write({"deadline": fields.Datetime.now()})

    def _get_agent_answer(self):
        """The survey answer the current agent fills during the call: the
        survey page only lets the answer's own contact in."""
        self.ensure_one()
        answer = self.user_input_id.sudo()
        if (
            answer
            and answer.state != "done"
            and answer.partner_id == self.env.user.partner_id
            and not answer.deadline
        ):
            return answer
        return self._new_answer(user=self.env.user)

    def _send_survey(self):
        """Send the survey link to the customer by e-mail."""
        template = self.env.ref("aftersales_service.mail_template_callback_survey")
        for callback in self:
            partner = callback.partner_id
            if not partner.email:
                callback.state = "failed"
                callback.message_post(
                    body=_(
                        "The survey could not be sent: %(customer)s has no e-mail "
                        "address.",
                        customer=partner.display_name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            callback._new_answer(partner=partner)
            callback.state = "sent"
            template.sudo().send_mail(
                callback.id, email_layout_xmlid="mail.mail_notification_light"
            )
            callback.message_post(
                body=_(
                    "Survey sent by e-mail to %(customer)s.",
                    customer=partner.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _apply_survey_answers(self, answer):
        """Copy the scores of a completed survey answer onto the callback,
        once, then close the loop when the customer is unhappy."""
        self.ensure_one()
        if self.has_scores:
            raise UserError(
                _(
                    "Callback %(callback)s was already answered on %(date)s; a "
                    "survey is answered once.",
                    callback=self.name,
                    date=self.answered_date,
                )
            )
        vals = {
            "has_scores": True,
            "answered_date": fields.Datetime.now(),
            "state": "answered",
            "satisfaction": 0,
            "conduct": 0,
            "nps_score": 0,
            "solved": False,
            "comment": False,
        }
        for line in answer.user_input_line_ids.filtered(lambda ln: not ln.skipped):
            score = line.question_id.aftersales_score
            if score in ("satisfaction", "conduct", "nps_score"):
                value = (
                    line.value_scale
                    if line.answer_type == "scale"
                    else line.value_numerical_box
                )
                vals[score] = int(value)
            elif score == "solved" and line.suggested_answer_id:
                vals["solved"] = "yes" if line.suggested_answer_id.is_correct else "no"
            elif score == "comment":
                vals["comment"] = line.value_text_box or line.value_char_box
        # Copied by the survey flow, never typed in: written as superuser.
        self.sudo().write(vals)
        self._expire_open_answers()
        if self.is_unhappy:
            self.sudo()._close_the_loop()

    def _close_the_loop(self):
        for callback in self:
            rule = callback.rule_id
            ticket = callback.ticket_id
            if rule.unhappy_action == "reopen":
                follow_up = ticket._callback_reopen(callback)
            else:
                follow_up = ticket._callback_open_complaint(callback)
            callback.complaint_ticket_id = follow_up

    # ------------------------------------------------------------------
    # Scheduled job
    # ------------------------------------------------------------------

    @api.model
    def _cron_process_callbacks(self):
        """Send the survey for due callbacks that are not to be called (zero
        attempts) or whose attempts are spent."""
        due = self.search(
            [("state", "=", "todo"), ("due_date", "<=", fields.Datetime.now())]
        )
        spent = due.filtered(
            lambda c: c.rule_id and c.attempt_count >= c.rule_id.max_attempts
        )
        spent._fallback()
