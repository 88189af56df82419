from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form

from .common import AftersalesCase


class CallbackCase(AftersalesCase):
    """Working hours in Shanghai (UTC+8): Monday-Friday 09:00-12:00 and
    13:00-18:00. Dates in the tests are naive UTC, as stored."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.calendar = env["resource.calendar"].create(
            {
                "name": "Shanghai service hours",
                "tz": "Asia/Shanghai",
                "attendance_ids": [
                    Command.clear(),
                    *(
                        Command.create(
                            {
                                "name": f"{day} {period}",
                                "dayofweek": str(day),
                                "hour_from": start,
                                "hour_to": stop,
                                "day_period": period,
                            }
                        )
                        for day in range(5)
                        for start, stop, period in (
                            (9, 12, "morning"),
                            (13, 18, "afternoon"),
                        )
                    ),
                ],
            }
        )
        cls.team_point.resource_calendar_id = cls.calendar
        cls.team_point.member_ids = [Command.link(cls.user_agent.id)]
        cls.team_point.leader_id = cls.user_team
        cls.team_region.leader_id = cls.user_manager
        cls.stage_cancelled = env.ref("aftersales_service.stage_cancelled")
        cls.rule_standard = env.ref("aftersales_service.callback_rule_standard")
        cls.rule_vip = env.ref("aftersales_service.callback_rule_vip")
        cls.rule_cancelled = env.ref("aftersales_service.callback_rule_cancelled")
        cls.survey = env.ref("aftersales_service.survey_callback_default")
        cls.q_satisfaction = env.ref(
            "aftersales_service.survey_callback_q_satisfaction"
        )
        cls.q_solved = env.ref("aftersales_service.survey_callback_q_solved")
        cls.q_conduct = env.ref("aftersales_service.survey_callback_q_conduct")
        cls.q_nps = env.ref("aftersales_service.survey_callback_q_nps")
        cls.q_comment = env.ref("aftersales_service.survey_callback_q_comment")
        cls.yes = env.ref("aftersales_service.survey_callback_q_solved_yes")
        cls.no = env.ref("aftersales_service.survey_callback_q_solved_no")

    def _closed_ticket(self, user=None, **overrides):
        """A ticket of the agent, technician Li, closed as solved now."""
        env = self.env(user=user or self.user_agent)
        vals = {"technician_id": self.emp_technician.id}
        vals.update(overrides)
        ticket = self._create_ticket(env, **vals)
        ticket.stage_id = self.stage_solved
        return ticket

    def _answer(self, callback, satisfaction, solved, conduct, nps, comment=""):
        """The customer completes the survey of ``callback`` from the link."""
        answer = callback._new_answer(partner=callback.partner_id)
        answer._save_lines(self.q_satisfaction, satisfaction)
        answer._save_lines(self.q_solved, (self.yes if solved else self.no).id)
        answer._save_lines(self.q_conduct, conduct)
        answer._save_lines(self.q_nps, nps)
        answer._save_lines(self.q_comment, comment)
        answer._mark_done()
        return answer


class TestCallbackScheduling(CallbackCase):
    @freeze_time("2025-03-05 02:00:00")  # Wednesday 10:00 in Shanghai
    def test_closing_schedules_next_working_day(self):
        ticket = self._closed_ticket()
        callback = ticket.callback_ids
        self.assertEqual(len(callback), 1)
        self.assertEqual(callback.rule_id, self.rule_standard)
        # Thursday 09:00 Shanghai
        self.assertEqual(callback.due_date, datetime(2025, 3, 6, 1, 0))
        self.assertEqual(callback.state, "todo")
        self.assertEqual(callback.user_id, self.user_agent)  # no agent on the rule
        self.assertEqual(callback.partner_id, self.customer)
        self.assertEqual(callback.technician_id, self.emp_technician)
        self.assertEqual(callback.owner_id, self.user_agent)
        self.assertEqual(ticket.callback_count, 1)

    @freeze_time("2025-03-07 08:00:00")  # Friday 16:00 in Shanghai
    def test_friday_closure_is_called_on_monday(self):
        callback = self._closed_ticket().callback_ids
        self.assertEqual(callback.due_date, datetime(2025, 3, 10, 1, 0))

    @freeze_time("2025-03-07 08:00:00")  # Friday 16:00 in Shanghai
    def test_vip_within_four_working_hours(self):
        ticket = self._closed_ticket(
            partner_id=self.customer_vip_contact.id, team_id=self.team_point.id
        )
        callback = ticket.callback_ids
        self.assertEqual(callback.rule_id, self.rule_vip)
        # Friday 16:00-18:00, then Monday 09:00-11:00 (03:00 UTC)
        self.assertEqual(callback.due_date, datetime(2025, 3, 10, 3, 0))

    def test_no_callback_for_cancelled_tickets(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        ticket.stage_id = self.stage_cancelled
        self.assertFalse(ticket.callback_ids)
        # Even without the shipped rule for the cancelled stage: an unresolved
        # case gets no callback by default.
        self.rule_cancelled.active = False
        other = self._create_ticket(self.env(user=self.user_agent))
        other.stage_id = self.stage_cancelled
        self.assertFalse(other.callback_ids)
        # A rule that names the stage and asks for a callback gets one.
        self.rule_cancelled.write({"active": True, "action": "callback"})
        third = self._create_ticket(self.env(user=self.user_agent))
        third.stage_id = self.stage_cancelled
        self.assertEqual(third.callback_ids.rule_id, self.rule_cancelled)

    def test_rule_assigns_agent_and_team(self):
        self.rule_standard.write(
            {"user_id": self.user_agent2.id, "callback_team_id": self.team_point.id}
        )
        callback = self._closed_ticket().callback_ids
        self.assertEqual(callback.user_id, self.user_agent2)
        self.assertEqual(callback.callback_team_id, self.team_point)

    def test_technician_closing_schedules_the_callback(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), technician_id=self.emp_technician.id
        )
        ticket.with_user(self.user_technician).stage_id = self.stage_solved
        self.assertEqual(len(ticket.callback_ids), 1)

    def test_one_open_callback_per_ticket(self):
        ticket = self._closed_ticket()
        ticket.stage_id = self.stage_diagnosis
        ticket.stage_id = self.stage_solved
        self.assertEqual(len(ticket.callback_ids), 1)

    def test_batch_scheduling_query_count(self):
        def make(count):
            tickets = self.env["aftersales.ticket"].create(
                [self._ticket_vals() for __ in range(count)]
            )
            tickets.stage_id = self.stage_solved  # schedules their callbacks,
            tickets.callback_ids.unlink()  # removed to measure scheduling alone
            self.env.flush_all()
            self.env.invalidate_all()
            return tickets

        warm, few, many, more = make(1), make(2), make(12), make(5)
        warm._callback_schedule()  # warm the caches (rules, calendar)
        queries = []
        for tickets in (few, many):
            before = self.env.cr.sql_log_count
            tickets._callback_schedule()
            self.env.flush_all()
            queries.append(self.env.cr.sql_log_count - before)
        self.assertEqual(queries[0], queries[1], "scheduling must not grow per ticket")
        self.assertEqual(len(many.callback_ids), 12)
        more._callback_schedule()
        self.assertEqual(len(more.callback_ids), 5)


class TestCallbackOutcome(CallbackCase):
    def test_retries_respect_quiet_hours_then_email_fallback(self):
        with freeze_time("2025-03-05 02:00:00"):
            callback = self._closed_ticket().callback_ids
        callback = callback.with_user(self.user_agent)
        with freeze_time("2025-03-06 09:00:00"):  # Thursday 17:00 Shanghai
            wizard = Form(
                self.env["aftersales.callback.outcome.wizard"]
                .with_user(self.user_agent)
                .with_context(default_callback_id=callback.id)
            )
            wizard.outcome = "no_answer"
            wizard.save().action_confirm()
            # 17:00 + 4 h = 21:00, in the quiet hours (20:00-09:00): Friday 09:00
            self.assertEqual(callback.due_date, datetime(2025, 3, 7, 1, 0))
            self.assertEqual(callback.attempt_count, 1)
            self.assertEqual(callback.state, "todo")
        with freeze_time("2025-03-07 02:00:00"):  # Friday 10:00
            callback._record_outcome("no_answer")
            self.assertEqual(callback.due_date, datetime(2025, 3, 7, 6, 0))
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "aftersales.callback"), ("res_id", "=", callback.id)]
            )
        )
        with freeze_time("2025-03-07 06:00:00"):
            callback._record_outcome("no_answer", note="Third try")
        self.assertEqual(callback.attempt_count, 3)
        self.assertEqual(callback.state, "sent")
        answer = callback.sudo().user_input_id
        self.assertEqual(answer.partner_id, self.customer)
        self.assertEqual(answer.survey_id, self.survey)
        mail = self.env["mail.mail"].search(
            [("model", "=", "aftersales.callback"), ("res_id", "=", callback.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn(answer.access_token, mail.body_html)
        self.assertIn(self.survey.access_token, mail.body_html)
        self.assertEqual(callback.attempt_ids.mapped("user_id"), self.user_agent)

    def test_wrong_number_falls_back_at_once(self):
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        callback._record_outcome("wrong_number")
        self.assertEqual(callback.state, "sent")
        self.assertTrue(callback.survey_url)

    def test_no_email_no_fallback(self):
        self.customer.email = False
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        callback._record_outcome("wrong_number")
        self.assertEqual(callback.state, "failed")
        self.assertIn("has no e-mail address", callback.message_ids[0].body)

    def test_refused_closes_the_callback(self):
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        callback._record_outcome("refused")
        self.assertEqual(callback.state, "refused")
        with self.assertRaisesRegex(UserError, "only callbacks still to call"):
            callback._record_outcome("reached")

    @freeze_time("2025-03-06 02:00:00")
    def test_call_back_later_needs_a_time(self):
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        Wizard = self.env["aftersales.callback.outcome.wizard"].with_user(
            self.user_agent
        )
        with self.assertRaisesRegex(
            ValidationError,
            r"^Call back later: say when the customer wants to be called\.$",
        ):
            Wizard.create({"callback_id": callback.id, "outcome": "later"})
        with self.assertRaisesRegex(
            UserError, r"^Call back later: say when the customer wants to be called\.$"
        ):
            callback._record_outcome("later")
        self.assertFalse(callback.attempt_ids, "nothing recorded")
        wizard = Wizard.create(
            {
                "callback_id": callback.id,
                "outcome": "later",
                "callback_date": datetime(2025, 3, 6, 7, 30),
            }
        )
        wizard.action_confirm()
        self.assertEqual(callback.due_date, datetime(2025, 3, 6, 7, 30))
        self.assertEqual(callback.state, "todo")
        self.assertEqual(callback.attempt_count, 0, "not an unanswered call")

    def test_reached_opens_the_survey_for_the_agent(self):
        callback = self._closed_ticket().callback_ids
        wizard = Form(
            self.env["aftersales.callback.outcome.wizard"]
            .with_user(self.user_agent)
            .with_context(default_callback_id=callback.id)
        )
        self.assertEqual(wizard.outcome, "reached")
        action = wizard.save().action_confirm()
        self.assertEqual(callback.state, "reached")
        answer = callback.sudo().user_input_id
        self.assertEqual(answer.partner_id, self.user_agent.partner_id)
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], answer.get_start_url())

    def test_zero_attempt_rule_sends_the_survey_from_the_cron(self):
        self.rule_standard.max_attempts = 0
        with freeze_time("2025-03-05 02:00:00"):
            callback = self._closed_ticket().callback_ids
        Callback = self.env["aftersales.callback"]
        with freeze_time("2025-03-05 12:00:00"):
            Callback._cron_process_callbacks()
            self.assertEqual(callback.state, "todo", "not due yet")
        with freeze_time("2025-03-06 01:00:00"):
            Callback._cron_process_callbacks()
        self.assertEqual(callback.state, "sent")
        self.assertTrue(
            self.env["mail.mail"].search(
                [("model", "=", "aftersales.callback"), ("res_id", "=", callback.id)]
            )
        )

    def test_rule_zero_attempts_without_fallback_is_refused(self):
        with self.assertRaisesRegex(
            ValidationError,
            r"^Rule Silent makes no call \(zero attempts\) and has no fallback: "
            r"the customer would never be asked\. Allow at least one call "
            r"attempt or send the survey by e-mail\.$",
        ):
            self.env["aftersales.callback.rule"].with_user(self.user_manager).create(
                {"name": "Silent", "max_attempts": 0, "fallback": "none"}
            )

    def test_rule_cannot_reopen_in_a_closed_stage(self):
        with self.assertRaisesRegex(ValidationError, "closing stage Solved"):
            self.rule_standard.reopen_stage_id = self.stage_solved


class TestCallbackSurvey(CallbackCase):
    def test_happy_answer_is_copied_once(self):
        ticket = self._closed_ticket()
        callback = ticket.callback_ids
        answer = self._answer(callback, 5, True, 4, 9, "Quick and polite")
        self.assertRecordValues(
            callback,
            [
                {
                    "state": "answered",
                    "has_scores": True,
                    "satisfaction": 5,
                    "solved": "yes",
                    "conduct": 4,
                    "nps_score": 9,
                    "nps_category": "promoter",
                    "comment": "Quick and polite",
                    "is_unhappy": False,
                    "complaint_ticket_id": False,
                }
            ],
        )
        self.assertEqual(answer.state, "done")
        self.assertFalse(ticket.is_complaint)
        self.assertTrue(ticket.is_closed)

    def test_survey_cannot_be_answered_twice(self):
        callback = self._closed_ticket().callback_ids
        answer = self._answer(callback, 5, True, 5, 10)
        with self.assertRaisesRegex(UserError, "already answered for callback"):
            answer._save_lines(self.q_satisfaction, 1)
        with self.assertRaisesRegex(
            UserError, "was already answered on .*; a survey is answered once"
        ):
            answer._mark_done()
        self.assertEqual(callback.satisfaction, 5)
        with self.assertRaisesRegex(UserError, "already answered"):
            callback.with_user(self.user_agent).action_answer_survey()

    def test_older_links_expire_when_a_new_answer_is_made(self):
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        callback._record_outcome("wrong_number")
        emailed = callback.sudo().user_input_id
        callback.action_answer_survey()
        self.assertNotEqual(callback.sudo().user_input_id, emailed)
        self.assertTrue(emailed.deadline, "the e-mailed link expires")

    def test_score_out_of_range_is_refused(self):
        callback = self._closed_ticket().callback_ids
        answer = callback._new_answer(partner=self.customer)
        self.env["survey.user_input.line"].create(
            {
                "user_input_id": answer.id,
                "question_id": self.q_satisfaction.id,
                "answer_type": "scale",
                "value_scale": 9,
            }
        )
        with self.assertRaisesRegex(
            ValidationError,
            r"^Satisfaction must be between 1 and 5 "
            r"\(callback Callback AS\d+ got 9\)\.$",
        ):
            answer._mark_done()

    def test_scores_cannot_be_edited_by_hand(self):
        callback = self._closed_ticket().callback_ids
        self._answer(callback, 4, True, 4, 8)
        with self.assertRaisesRegex(UserError, "cannot be edited by hand"):
            callback.with_user(self.user_agent).satisfaction = 5
        self.assertEqual(callback.satisfaction, 4)

    def test_team_survey_override(self):
        other = self.survey.copy({"title": "Hangzhou survey"})
        self.team_region.callback_survey_id = other
        callback = self._closed_ticket().callback_ids
        answer = callback._new_answer(partner=self.customer)
        self.assertEqual(answer.survey_id, other)


class TestCallbackComplaintLoop(CallbackCase):
    @freeze_time("2025-03-05 02:00:00")  # Wednesday
    def test_detractor_opens_a_red_complaint_for_the_owners_manager(self):
        ticket = self._closed_ticket()
        callback = ticket.callback_ids
        self._answer(callback, 4, True, 4, 6, "Took too long")
        complaint = callback.complaint_ticket_id.sudo()
        self.assertTrue(callback.is_unhappy)
        self.assertEqual(callback.nps_category, "detractor")
        self.assertTrue(complaint)
        self.assertNotEqual(complaint, ticket)
        self.assertRecordValues(
            complaint,
            [
                {
                    "is_complaint": True,
                    "complaint_of_id": ticket.id,
                    "complaint_callback_id": callback.id,
                    "complaint_state": "open",
                    "priority": "2",
                    "partner_id": self.customer.id,
                    "owner_id": self.user_team.id,  # leader of the owner's team
                    "complaint_manager_id": self.user_team.id,
                    "stage_id": self.stage_diagnosis.id,
                }
            ],
        )
        if "traffic_light" in complaint._fields:
            self.assertEqual(complaint.traffic_light, "red")
        activity = complaint.activity_ids.filtered(
            lambda a: (
                a.user_id == self.user_team
                and a.summary == "Complaint: take it in hand"
            )
        )
        self.assertEqual(len(activity), 1)
        # two working days from Wednesday: Thursday
        self.assertEqual(str(activity.date_deadline), "2025-03-06")
        self.assertEqual(complaint.complaint_deadline, activity.date_deadline)
        self.assertIn("Took too long", complaint.symptom)
        # Closing the complaint needs the fault finding.
        complaint = complaint.with_user(self.user_team)
        with self.assertRaisesRegex(UserError, "record the fault finding"):
            complaint.stage_id = self.stage_solved
        complaint.write(
            {"company_at_fault": True, "company_at_fault_note": "Parts were late"}
        )
        complaint.stage_id = self.stage_solved
        self.assertEqual(complaint.complaint_state, "closed")

    def test_not_solved_reopens_vip_ticket(self):
        ticket = self._closed_ticket(
            partner_id=self.customer_vip_contact.id, team_id=self.team_point.id
        )
        callback = ticket.callback_ids
        self.assertEqual(callback.rule_id, self.rule_vip)
        self._answer(callback, 3, False, 5, 8)
        self.assertTrue(callback.is_unhappy)
        self.assertEqual(callback.complaint_ticket_id, ticket)
        self.assertEqual(ticket.stage_id, self.stage_diagnosis)
        self.assertFalse(ticket.is_closed)
        self.assertTrue(ticket.is_complaint)
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.owner_id, self.user_agent, "the owner stays")
        self.assertEqual(ticket.complaint_manager_id, self.user_team)
        self.assertTrue(
            ticket.activity_ids.filtered(
                lambda a: a.user_id == self.user_team and a.date_deadline
            )
        )

    def test_low_satisfaction_goes_to_parent_leader_when_owner_leads(self):
        ticket = self._closed_ticket(user=self.user_team)
        self.assertEqual(ticket.owner_id, self.user_team)
        self._answer(ticket.callback_ids, 2, True, 4, 8)
        complaint = ticket.callback_ids.complaint_ticket_id
        self.assertEqual(complaint.complaint_manager_id, self.user_manager)

    def test_passive_satisfied_solved_is_no_complaint(self):
        callback = self._closed_ticket().callback_ids
        self._answer(callback, 3, True, 3, 7)
        self.assertFalse(callback.is_unhappy)
        self.assertFalse(callback.complaint_ticket_id)


class TestCallbackAccess(CallbackCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._create_ticket(
            cls.env(user=cls.user_agent), technician_id=cls.emp_technician.id
        )
        cls.ticket.stage_id = cls.stage_solved
        cls.callback = cls.ticket.callback_ids

    def test_technician_reads_scores_of_own_tickets_only(self):
        self._answer(self.callback, 5, True, 5, 10)
        as_tech = self.callback.with_user(self.user_technician)
        self.assertEqual(as_tech.satisfaction, 5)
        self.assertEqual(as_tech.ticket_id.callback_ids, self.callback)
        with self.assertRaises(AccessError):
            as_tech.user_id = self.user_technician
        with self.assertRaises(AccessError):
            self.env["aftersales.callback.outcome.wizard"].with_user(
                self.user_technician
            ).create({"callback_id": self.callback.id, "outcome": "reached"})
        with self.assertRaises(AccessError):
            self.callback.with_user(self.user_technician2).read(["satisfaction"])

    def test_agents_work_their_own_queue(self):
        Callback = self.env["aftersales.callback"]
        self.assertEqual(Callback.with_user(self.user_agent).search([]), self.callback)
        self.assertFalse(Callback.with_user(self.user_agent2).search([]))
        with self.assertRaises(AccessError):
            self.callback.with_user(self.user_agent2).read(["due_date"])
        with self.assertRaises(AccessError):
            self.callback.with_user(self.user_plain).read(["due_date"])

    def test_call_attempts_are_visible_with_their_callback(self):
        self.callback.with_user(self.user_agent)._record_outcome("no_answer")
        attempt = self.callback.attempt_ids
        self.assertEqual(len(attempt), 1)
        Attempt = self.env["aftersales.callback.attempt"]
        self.assertEqual(Attempt.with_user(self.user_agent).search([]), attempt)
        self.assertEqual(Attempt.with_user(self.user_technician).search([]), attempt)
        self.assertFalse(Attempt.with_user(self.user_agent2).search([]))
        self.assertFalse(Attempt.with_user(self.user_technician2).search([]))
        with self.assertRaises(AccessError):
            attempt.with_user(self.user_agent2).read(["outcome"])

    def test_team_queue_for_unassigned_callbacks(self):
        self.rule_standard.callback_team_id = self.team_point
        self.rule_standard.user_id = False
        ticket = self._create_ticket(self.env(user=self.user_agent2))
        ticket.stage_id = self.stage_solved
        callback = ticket.callback_ids
        self.assertEqual(callback.callback_team_id, self.team_point)
        self.assertFalse(callback.user_id)
        # Zhang is a member of the callback team; the queue shows it to him.
        self.assertIn(
            callback,
            self.env["aftersales.callback"].with_user(self.user_agent).search([]),
        )

    def test_managers_see_everything_and_edit_rules_and_survey(self):
        Callback = self.env["aftersales.callback"].with_user(self.user_manager)
        self.assertIn(self.callback, Callback.search([]))
        self.rule_standard.with_user(self.user_manager).delay = 2
        self.survey.with_user(self.user_manager).title = "Service satisfaction"
        with self.assertRaises(AccessError):
            self.rule_standard.with_user(self.user_agent).delay = 3
        with self.assertRaises(AccessError):
            self.survey.with_user(self.user_agent).title = "Hacked"

    def test_customers_only_answer_their_own_survey(self):
        self.callback.with_user(self.user_agent)._record_outcome("wrong_number")
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(self.portal_user).search([])
        with self.assertRaises(AccessError):
            self.callback.with_user(self.portal_user).read(["satisfaction"])
