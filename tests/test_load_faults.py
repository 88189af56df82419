"""Faults of a multi-server deployment, on committed data.

The test class's own cursor never commits: each scenario runs in separate
cursors from ``self.registry.cursor()`` (as Odoo's workers and cron do),
commits its own data and removes it in a cleanup.

- The escalation job's database connection is terminated
  (``pg_terminate_backend``) after its first committed chunk; the job runs
  again: every due ticket is handled, none is notified twice.
- Two users save the same ticket at the same moment: the second save waits,
  fails with a serialization error, is retried by Odoo and succeeds; the
  ticket ends with one user's values, never a mix.
"""

import functools
import threading
import time
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import retrying
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import AftersalesCase, AftersalesCaseMixin

LOCK_TIMEOUT = "SET LOCAL lock_timeout = '20s'"
DUE_TICKETS = 5
CHUNK = 2


class TestLoadFaults(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        # Skip the shared fixtures: rows the test cursor writes and never
        # commits would block the committed cursors.
        super(AftersalesCaseMixin, cls).setUpClass()

    def _setup_committed(self, count):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = [
                new_test_user(
                    env,
                    login=f"load_fault_agent{index}",
                    name=f"Load Fault Agent {index}",
                    groups="aftersales_service.group_aftersales_user_team",
                )
                for index in (1, 2)
            ]
            user = users[0]
            partner = env["res.partner"].create({"name": "Load Fault Customer"})
            team = env["aftersales.team"].create(
                {
                    "name": "Load Fault Team",
                    "leader_id": user.id,
                    "member_ids": [Command.set([u.id for u in users])],
                }
            )
            tickets = env["aftersales.ticket"].create(
                [
                    {
                        "partner_id": partner.id,
                        "team_id": team.id,
                        "symptom": f"Load fault {index}",
                    }
                    for index in range(count)
                ]
            )
            ids = {
                "user": user.id,
                "users": [u.id for u in users],
                "partner": partner.id,
                "team": team.id,
                "tickets": tickets.ids,
            }
            cr.commit()
        with self.registry.cursor() as cr:
            cr.execute("SELECT coalesce(max(id), 0) FROM mail_message")
            ids["last_message"] = cr.fetchone()[0]
        self.addCleanup(self._cleanup_committed, ids)
        return ids

    def _cleanup_committed(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(LOCK_TIMEOUT)
            env = api.Environment(cr, SUPERUSER_ID, {})
            tickets = tuple(ids["tickets"])
            cr.execute(
                """
                DELETE FROM mail_message
                 WHERE model = 'aftersales.ticket' AND res_id IN %(tickets)s;
                DELETE FROM mail_activity
                 WHERE res_model = 'aftersales.ticket' AND res_id IN %(tickets)s;
                DELETE FROM aftersales_sla_notice WHERE ticket_id IN %(tickets)s;
                DELETE FROM mail_message
                 WHERE message_type = 'user_notification' AND id > %(last)s;
                """,
                {"tickets": tickets, "last": ids["last_message"]},
            )
            env["aftersales.ticket"].browse(ids["tickets"]).unlink()
            env["aftersales.team"].browse(ids["team"]).unlink()
            users = env["res.users"].browse(ids["users"])
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            env["res.partner"].browse(ids["partner"]).unlink()
            cr.commit()

    def _make_due(self, ticket_ids):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                UPDATE aftersales_ticket_sla
                   SET next_check = (now() at time zone 'UTC') - interval '1 minute',
                       deadline = (now() at time zone 'UTC') - interval '1 minute',
                       at_risk_date = (now() at time zone 'UTC') - interval '2 hours'
                 WHERE ticket_id = ANY(%s) AND reached_date IS NULL
                   AND pause_start IS NULL
                """,
                [ticket_ids],
            )
            self.assertTrue(cr.rowcount, "the tickets have no open SLA line")
            cr.commit()

    def _job_messages(self, ids):
        """{ticket id: [bodies]} of the messages posted after the setup."""
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT res_id, body FROM mail_message
                 WHERE model = 'aftersales.ticket' AND res_id = ANY(%s)
                   AND id > %s
                """,
                [ids["tickets"], ids["last_message"]],
            )
            result = {ticket_id: [] for ticket_id in ids["tickets"]}
            for res_id, body in cr.fetchall():
                result[res_id].append(body)
            return result

    def _still_due(self, ticket_ids):
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT count(DISTINCT ticket_id) FROM aftersales_ticket_sla
                 WHERE ticket_id = ANY(%s)
                   AND next_check <= now() at time zone 'UTC'
                """,
                [ticket_ids],
            )
            return cr.fetchone()[0]

    def _wait_until_blocked(self, pid, timeout=20.0):
        """Wait until the backend ``pid`` waits on a lock."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                    [pid],
                )
                row = cr.fetchone()
                if row and row[0] == "Lock":
                    return True
                cr.rollback()
                time.sleep(0.05)
        return False

    def _run_job_in_cron_thread(self):
        """Run the escalation job as Odoo's cron worker does: in its own
        thread and cursor, with a progress record (chunks are committed)."""
        outcome = {}

        def run():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    cron = env.ref("aftersales_service.ir_cron_aftersales_sla_check")
                    progress = env["ir.cron.progress"].create({"cron_id": cron.id})
                    env["aftersales.ticket.sla"].with_context(
                        ir_cron_progress_id=progress.id
                    )._cron_check_deadlines(chunk_size=CHUNK)
                outcome["result"] = "done"
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                outcome["result"] = "connection lost"
                outcome["error"] = str(error)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(120)
        self.assertFalse(thread.is_alive())
        return outcome

    def test_job_connection_terminated_then_rerun(self):
        ids = self._setup_committed(DUE_TICKETS)
        self._make_due(ids["tickets"])
        IrCron = type(self.env["ir.cron"])
        original = IrCron._notify_progress
        calls = []

        def notify_then_terminate(cron, *, done, remaining, deactivate=False):
            """The first chunk is committed after the first call; at the
            second, the job's connection is terminated before its commit."""
            calls.append(done)
            original(cron, done=done, remaining=remaining, deactivate=deactivate)
            if len(calls) == 2:
                pid = cron.env.cr._cnx.get_backend_pid()
                with self.registry.cursor() as cr:
                    cr.execute("SELECT pg_terminate_backend(%s)", [pid])
                time.sleep(0.2)

        with (
            patch.object(IrCron, "_notify_progress", notify_then_terminate),
            mute_logger("odoo.sql_db", "odoo.addons.aftersales_service"),
        ):
            first = self._run_job_in_cron_thread()
        self.assertEqual(first["result"], "connection lost", first)
        self.assertEqual(calls[:2], [CHUNK, 2 * CHUNK])
        # The first chunk is kept; the second chunk's work is lost with the
        # connection; the third never ran.
        handled = [t for t, bodies in self._job_messages(ids).items() if bodies]
        self.assertEqual(len(handled), CHUNK)
        self.assertEqual(self._still_due(ids["tickets"]), DUE_TICKETS - CHUNK)

        second = self._run_job_in_cron_thread()
        self.assertEqual(second["result"], "done", second)
        self.assertEqual(self._still_due(ids["tickets"]), 0)
        messages = self._job_messages(ids)
        # every due ticket handled, once: the same notes on each ticket, none
        # repeated on the tickets the interrupted run had finished
        self.assertTrue(all(messages.values()), messages)
        for ticket_id, bodies in messages.items():
            self.assertEqual(len(bodies), len(set(bodies)), ticket_id)
        self.assertEqual(len({len(bodies) for bodies in messages.values()}), 1)
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT count(*) FROM (
                    SELECT 1 FROM aftersales_sla_notice WHERE ticket_id = ANY(%s)
                     GROUP BY user_id, ticket_id, sla_id, kind, level_id
                    HAVING count(*) > 1) d
                """,
                [ids["tickets"]],
            )
            self.assertEqual(cr.fetchone()[0], 0, "a notice was stored twice")
            cr.execute(
                """
                SELECT count(*) FROM (
                    SELECT 1 FROM mail_activity
                     WHERE res_model = 'aftersales.ticket' AND res_id = ANY(%s)
                     GROUP BY res_id, activity_type_id, user_id, summary
                    HAVING count(*) > 1) d
                """,
                [ids["tickets"]],
            )
            self.assertEqual(cr.fetchone()[0], 0, "an activity was created twice")

    def test_two_users_save_the_same_ticket(self):
        ids = self._setup_committed(1)
        ticket_id = ids["tickets"][0]
        first_flushed = threading.Event()
        release_first = threading.Event()
        second_started = threading.Event()
        outcome = {}

        def save(name, user_id, values, hold=False):
            def write(env):
                outcome[f"{name} tries"] = outcome.get(f"{name} tries", 0) + 1
                env["aftersales.ticket"].browse(ticket_id).write(values)
                env.flush_all()
                if hold:  # keeps the row until the other save waits on it
                    first_flushed.set()
                    release_first.wait(30)

            try:
                with self.registry.cursor() as cr:
                    cr.execute("SELECT pg_backend_pid()")  # snapshot taken
                    outcome[f"{name} pid"] = cr.fetchone()[0]
                    second_started.set()
                    env = api.Environment(cr, user_id, {})
                    retrying(functools.partial(write, env), env)
                outcome[name] = "saved"
            except Exception as error:  # noqa: BLE001 - reported below
                outcome[name] = repr(error)

        first_values = {"subject": "First user's subject", "environment": "first"}
        second_values = {"subject": "Second user's subject", "environment": "second"}
        user1, user2 = ids["users"]
        first = threading.Thread(target=save, args=("first", user1, first_values, True))
        second = threading.Thread(target=save, args=("second", user2, second_values))
        with mute_logger("odoo.service.model"):
            first.start()
            self.assertTrue(first_flushed.wait(30), outcome)
            second_started.clear()
            second.start()
            self.assertTrue(second_started.wait(30), outcome)
            blocked = self._wait_until_blocked(outcome["second pid"])
            release_first.set()
            first.join(60)
            second.join(60)
        self.assertTrue(blocked, "the second save did not wait for the first")
        self.assertEqual(outcome.get("first"), "saved", outcome)
        self.assertEqual(outcome.get("second"), "saved", outcome)
        # the second save met the first one's change and was tried again
        self.assertGreaterEqual(outcome["second tries"], 2, outcome)
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT subject, environment FROM aftersales_ticket WHERE id = %s",
                [ticket_id],
            )
            self.assertEqual(cr.fetchone(), ("Second user's subject", "second"))
            # both saves are in the history, once each
            cr.execute(
                """
                SELECT v.new_value_char FROM mail_tracking_value v
                  JOIN mail_message m ON m.id = v.mail_message_id
                  JOIN ir_model_fields f ON f.id = v.field_id
                 WHERE m.model = 'aftersales.ticket' AND m.res_id = %s
                   AND f.name = 'subject'
                 ORDER BY v.id
                """,
                [ticket_id],
            )
            self.assertEqual(
                [row[0] for row in cr.fetchall()][-2:],
                ["First user's subject", "Second user's subject"],
            )
