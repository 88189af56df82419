"""The deadline job at scale: batched notes and alerts, one digest per person
per run, chunks committed with the cron progress API, bad tickets isolated,
and a run that dies half-way resumed without notifying twice."""

from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo.tools import mute_logger

from .test_sla_common import SlaCase, at

SLA_LOGGER = "odoo.addons.aftersales_service.models.aftersales_ticket_sla"


class TestSlaJob(SlaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_env = cls.env(user=cls.user_agent)
        cls.cron = cls.env.ref("aftersales_service.ir_cron_aftersales_sla_check")
        cls.Notice = cls.env["aftersales.sla.notice"]

    def _due_tickets(self, count):
        """``count`` simple tickets taken by the agent on Monday 10:00: the
        resolution (4 working hours) is at risk from 14:00, fails at 15:00,
        the point's leader (Zhao Dispatcher) is the first escalation level
        and the red-light manager."""
        with freeze_time(at(0, 10)):
            tickets = self.agent_env["aftersales.ticket"].create(
                [
                    self._ticket_vals(
                        complexity="simple", technician_id=self.emp_technician.id
                    )
                    for __ in range(count)
                ]
            )
        self.env.flush_all()
        self.last_intake_message = self.env["mail.message"].search(
            [], order="id desc", limit=1
        )
        return tickets

    def _job_messages(self, tickets):
        return self.env["mail.message"].search(
            [
                ("model", "=", "aftersales.ticket"),
                ("res_id", "in", tickets.ids),
                ("id", ">", self.last_intake_message.id),
            ]
        )

    def _digests(self, user):
        return self.env["mail.message"].search(
            [
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", user.partner_id.ids),
                ("subject", "=like", "Service-level alerts:%"),
            ]
        )

    def _alerts(self, tickets):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "aftersales.ticket"),
                ("res_id", "in", tickets.ids),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("aftersales_service.mail_activity_type_sla").id,
                ),
            ]
        )

    def _run(self, when, **kwargs):
        with freeze_time(when):
            self.Line._cron_check_deadlines(**kwargs)
            self.env.flush_all()
        self.env.invalidate_all()

    def _assert_failed_once(self, tickets, digest):
        """Each ticket failed, escalated to the leader and turned red exactly
        once: one note each (with the colour's tracking), one alert each for
        the leader, and ``digest`` lists each ticket once."""
        leader_level = self.env.ref("aftersales_service.escalation_sla_team_leader")
        for ticket in tickets:
            line = self._line(ticket, "resolution")
            self.assertEqual(line.status, "failed")
            self.assertEqual(line.escalation_level_id, leader_level)
            self.assertEqual(ticket.traffic_light, "red")
            [note] = self._job_messages(ticket)
            self.assertIn("Service level failed: Resolution was due on", note.body)
            self.assertIn("Escalation to Team Leader", note.body)
            self.assertIn("turned red", note.body)
            self.assertEqual(
                note.tracking_value_ids.mapped(
                    lambda t: (t.field_id.name, t.old_value_char, t.new_value_char)
                ),
                [("traffic_light", "Green", "Red")],
            )
            self.assertEqual(note.partner_ids, self.user_team.partner_id)
            self.assertEqual(digest.body.count(f">{ticket.name}</a>"), 1)
        leader_alerts = self._alerts(tickets).filtered(
            lambda a: a.user_id == self.user_team
        )
        self.assertEqual(sorted(leader_alerts.mapped("res_id")), sorted(tickets.ids))
        self.assertEqual(
            set(leader_alerts.mapped("summary")), {"Red ticket: take it in hand"}
        )
        self.assertFalse(self.Notice.search([]), "every notice was sent")

    def test_one_note_per_ticket_and_one_digest_per_person(self):
        tickets = self._due_tickets(3)
        self._run(at(0, 15))
        [digest] = self._digests(self.user_team)
        self.assertEqual(digest.subject, "Service-level alerts: 3 ticket(s) need you")
        self._assert_failed_once(tickets, digest)
        self.assertIn("Resolution failed (due", digest.body)
        self.assertIn("escalated to you (Team Leader)", digest.body)
        self.assertIn("Turned red: it needs a manager now.", digest.body)
        # nobody else is told by e-mail or inbox: no activity assignment
        # messages, no per-ticket escalation message
        self.assertFalse(
            self.env["mail.message"].search(
                [
                    ("message_type", "=", "user_notification"),
                    ("id", ">", self.last_intake_message.id),
                    ("id", "!=", digest.id),
                ]
            )
        )

    def test_at_risk_warnings_are_digested_per_person(self):
        tickets = self._due_tickets(2)
        self._run(at(0, 14))
        for user in (self.user_agent, self.user_technician):
            [digest] = self._digests(user)
            self.assertIn("Resolution at risk, due", digest.body)
            for ticket in tickets:
                self.assertIn(f">{ticket.name}</a>", digest.body)
            self.assertEqual(
                sorted(
                    self._alerts(tickets)
                    .filtered(lambda a, u=user: a.user_id == u)
                    .mapped("res_id")
                ),
                sorted(tickets.ids),
            )
        # the colour turned yellow: tracked in one note per ticket
        for ticket in tickets:
            [note] = self._job_messages(ticket)
            self.assertEqual(
                (
                    note.tracking_value_ids.old_value_char,
                    note.tracking_value_ids.new_value_char,
                ),
                ("Green", "Yellow"),
            )

    def test_rerun_notifies_nothing_twice(self):
        tickets = self._due_tickets(3)
        self._run(at(0, 15))
        messages = self.env["mail.message"].search_count([])
        alerts = self._alerts(tickets)
        alert_values = alerts.read(["summary", "note", "date_deadline"])
        for when in (at(0, 15), at(0, 15, 10), at(0, 18, 59)):
            self._run(when)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)
        self.assertEqual(self._alerts(tickets), alerts)
        self.assertEqual(
            alerts.read(["summary", "note", "date_deadline"]), alert_values
        )
        self.assertEqual(len(self._digests(self.user_team)), 1)
        # the next level is due at 19:00: the regional manager, once
        self._run(at(0, 19))
        self._run(at(0, 19, 5))
        self.assertEqual(len(self._digests(self.user_regional)), 1)
        self.assertEqual(len(self._digests(self.user_team)), 1)

    def test_bad_ticket_does_not_stop_the_others(self):
        """A line whose target type no longer exists (left by an uninstalled
        extension) makes its ticket fail; the chunk is retried ticket by
        ticket: the others are handled, the bad one is logged, left as it
        was and looked at again an hour later."""
        first, bad, last = self._due_tickets(3)
        bad_line = self._line(bad, "resolution")
        self.env.flush_all()
        self.cr.execute(
            "UPDATE aftersales_ticket_sla SET target_type = 'removed_target' "
            "WHERE id = %s",
            [bad_line.id],
        )
        self.env.invalidate_all()
        with self.assertLogs(SLA_LOGGER, level="ERROR") as logs:
            self._run(at(0, 15, 30))
        self.assertEqual(len(logs.records), 1)
        self.assertIn(f"failed for ticket {bad.id}", logs.output[0])
        self.assertIn("KeyError: 'removed_target'", logs.output[0])
        [digest] = self._digests(self.user_team)
        self._assert_failed_once(first | last, digest)
        self.assertNotIn(f">{bad.name}</a>", digest.body)
        self.assertEqual(bad_line.status, "on_time", "nothing half written")
        self.assertFalse(bad_line.escalation_level_id)
        self.assertEqual(bad.traffic_light, "green")
        self.assertFalse(self._job_messages(bad))
        self.assertEqual(bad_line.next_check, at(0, 16, 30), "looked at again later")

    def _count_job_queries(self, count):
        tickets = self._due_tickets(count)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        self._run(at(0, 15))
        queries = self.cr.sql_log_count - before
        self.assertEqual(
            set(tickets.sla_ids.mapped(lambda line: (line.target_type, line.status))),
            {("response", "on_time"), ("resolution", "failed")},
        )
        return queries

    def test_queries_per_due_ticket(self):
        """Each due ticket fails, escalates, turns red, gets its note and
        alert and is listed in the digest: the job's queries grow by at most
        one per extra due ticket (they are all batched; what grows is the
        rows, not the statements). The issue's target is 5; measured: 1
        (67 -> 77 queries from 2 to 12 due tickets)."""
        self._count_job_queries(1)  # caches, digest of the first run
        small = self._count_job_queries(2)
        large = self._count_job_queries(12)
        self.assertLessEqual((large - small) / 10, 1, f"{small} -> {large} queries")

    def test_crash_mid_run_resumes_without_double_notice(self):
        """The real cron runner (``ir.cron._process_job``), chunks of two
        tickets committed with the progress API; the connection dies in the
        middle of the second chunk (after its work, before its commit). Odoo
        runs the job again at once (partially done): the first chunk is not
        notified again, the second and third are notified once, nothing is
        skipped, and the digest goes out once with every ticket."""
        tickets = self._due_tickets(5)
        self.cron.code = "model._cron_check_deadlines(chunk_size=2, auto_commit=True)"
        Line = type(self.Line)
        original = Line._process_due
        calls = []

        def process_due_then_die(lines, now, levels_by_company):
            result = original(lines, now, levels_by_company)
            calls.append(lines.ticket_id.ids)
            if len(calls) == 2:
                raise psycopg2.OperationalError(
                    "terminating connection due to administrator command"
                )
            return result

        Progress = self.env["ir.cron.progress"]
        progress_before = Progress.search([("cron_id", "=", self.cron.id)])
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            with (
                freeze_time(at(0, 15)),
                patch.object(Line, "_process_due", process_due_then_die),
                mute_logger("odoo.addons.base.models.ir_cron"),
            ):
                self.registry["ir.cron"]._process_job(
                    self.registry.db_name,
                    self.registry.cursor(),
                    {
                        **self.cron.read(load=None)[0],
                        "done": 0,
                        "remaining": 0,
                        "timed_out_counter": 0,
                    },
                )
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()
        # run 1: chunk 1 committed, chunk 2 died; run 2: the three left
        self.assertEqual(
            calls,
            [tickets[:2].ids, tickets[2:4].ids, tickets[2:4].ids, tickets[4:].ids],
        )
        progress = Progress.search([("cron_id", "=", self.cron.id)]) - progress_before
        self.assertEqual(
            progress.sorted("id").mapped(lambda p: (p.done, p.remaining)),
            [(2, 3), (3, 0)],
        )
        [digest] = self._digests(self.user_team)
        self._assert_failed_once(tickets, digest)
