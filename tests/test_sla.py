from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import users

from odoo.addons.resource.models.resource_calendar import ResourceCalendar

from .test_sla_common import SlaCase, at


class TestSlaPolicy(SlaCase):
    def test_default_policies_reproduce_documented_promises(self):
        agent_env = self.env(user=self.user_agent)
        normal = self._sla_ticket(at(0, 9), agent_env, complexity="simple")
        urgent = self._sla_ticket(at(0, 9), agent_env, priority="1")
        critical = self._sla_ticket(
            at(0, 9), agent_env, priority="2", complexity="complex"
        )
        self.assertEqual(normal.sla_policy_id, self.policy_normal)
        self.assertEqual(urgent.sla_policy_id, self.policy_urgent)
        self.assertEqual(critical.sla_policy_id, self.policy_critical)
        hours = {
            ticket: {line.target_type: line.target_hours for line in ticket.sla_ids}
            for ticket in normal | urgent | critical
        }
        self.assertEqual(hours[normal], {"response": 24.0, "resolution": 4.0})
        self.assertEqual(
            hours[urgent], {"response": 2.0, "arrival": 24.0, "resolution": 24.0}
        )
        self.assertEqual(
            hours[critical], {"response": 0.5, "arrival": 2.0, "resolution": 72.0}
        )
        # Critical runs 24/7: answered within 30 minutes, even at night.
        self.assertEqual(self._line(critical, "response").deadline, at(0, 9, 30))

    def test_vip_is_faster(self):
        ticket = self._sla_ticket(
            at(0, 9),
            self.env(user=self.user_agent),
            partner_id=self.customer_vip_contact.id,
        )
        self.assertEqual(ticket.sla_policy_id, self.policy_vip)
        # VIP: first contact within 2 working hours (normal: 24), resolution
        # of a general case within 12 (normal: 24).
        self.assertEqual(self._line(ticket, "response").target_hours, 2.0)
        self.assertEqual(self._line(ticket, "response").deadline, at(0, 11))
        self.assertEqual(self._line(ticket, "resolution").target_hours, 12.0)

    def test_most_specific_policy_wins(self):
        Policy = self.env["aftersales.sla.policy"]
        categ = self.env["product.category"].create({"name": "Cooling"})
        sub_categ = self.env["product.category"].create(
            {"name": "Split units", "parent_id": categ.id}
        )
        self.product_ac.categ_id = sub_categ
        by_categ = Policy.create({"name": "Cooling", "product_categ_id": categ.id})
        by_sub_categ = Policy.create(
            {"name": "Split", "product_categ_id": sub_categ.id, "sequence": 99}
        )
        by_team = Policy.create({"name": "Hangzhou", "team_id": self.team_point.id})
        by_team_priority = Policy.create(
            {"name": "Hangzhou normal", "team_id": self.team_point.id, "priority": "0"}
        )
        vals = {"product_id": self.product_ac.id}
        # Two criteria (team + priority) beat one.
        ticket = self._sla_ticket(at(0, 9), **vals)
        self.assertEqual(ticket.sla_policy_id, by_team_priority)
        # One criterion each: team beats product category beats priority.
        by_team_priority.active = False
        ticket = self._sla_ticket(at(0, 9), **vals)
        self.assertEqual(ticket.sla_policy_id, by_team)
        by_team.active = False
        ticket = self._sla_ticket(at(0, 9), **vals)
        # ...and the deeper category beats its parent, whatever the sequence.
        self.assertEqual(ticket.sla_policy_id, by_sub_categ)
        by_sub_categ.active = False
        ticket = self._sla_ticket(at(0, 9), **vals)
        self.assertEqual(ticket.sla_policy_id, by_categ)
        by_categ.active = False
        ticket = self._sla_ticket(at(0, 9), **vals)
        self.assertEqual(ticket.sla_policy_id, self.policy_normal)

    def test_warranty_status_matches_unknown_until_known(self):
        """Three policies that differ only by the warranty status: each
        ticket gets the one of its unit's status, and a ticket whose serial
        becomes known later moves from 'unknown' to it."""
        Policy = self.env["aftersales.sla.policy"]
        by_status = {
            status: Policy.create(
                {
                    "name": f"Warranty {status}",
                    "warranty_state": status,
                    "sequence": 1,
                    "response_hours": hours,
                }
            )
            for status, hours in (("unknown", 6.0), ("in", 3.0), ("out", 12.0))
        }
        term = self.env.ref("aftersales_service.warranty_term_default")  # 1 year
        Warranty = self.env["aftersales.warranty"]
        for lot, delivered in (
            (self.lot_ac1, "2026-01-10"),
            (self.lot_ac2, "2024-06-01"),
        ):
            Warranty.create(
                {
                    "partner_id": self.customer.id,
                    "product_id": self.product_ac.id,
                    "lot_id": lot.id,
                    "term_id": term.id,
                    "delivery_date": delivered,
                }
            )
        unknown = self._sla_ticket(at(0, 9))
        in_warranty = self._sla_ticket(
            at(0, 9), product_id=self.product_ac.id, lot_id=self.lot_ac1.id
        )
        out_of_warranty = self._sla_ticket(
            at(0, 9), product_id=self.product_ac.id, lot_id=self.lot_ac2.id
        )
        self.assertEqual(
            [
                (
                    t.warranty_status,
                    t.sla_policy_id,
                    self._line(t, "response").target_hours,
                )
                for t in (unknown, in_warranty, out_of_warranty)
            ],
            [
                ("unknown", by_status["unknown"], 6.0),
                ("in", by_status["in"], 3.0),
                ("out", by_status["out"], 12.0),
            ],
        )
        # 09:00 + 3 working hours
        self.assertEqual(self._line(in_warranty, "response").deadline, at(0, 12))
        with freeze_time(at(0, 10)):
            unknown.write({"product_id": self.product_ac.id, "lot_id": self.lot_ac1.id})
        self.assertEqual(unknown.warranty_status, "in")
        self.assertEqual(unknown.sla_policy_id, by_status["in"])
        self.assertEqual(self._line(unknown, "response").target_hours, 3.0)

    def test_bad_targets_are_refused(self):
        Policy = self.env["aftersales.sla.policy"]
        with self.assertRaises(ValidationError) as error:
            Policy.create({"name": "Zero", "response_hours": 0})
        self.assertEqual(
            str(error.exception),
            "Policy Zero: the target First Response (hh:mm) must be more than 0 hours.",
        )
        with self.assertRaises(ValidationError) as error:
            Policy.create({"name": "Negative", "resolution_complex_hours": -4})
        self.assertEqual(
            str(error.exception),
            "Policy Negative: the target Resolution, Complex (hh:mm) must be more "
            "than 0 hours.",
        )
        with self.assertRaises(ValidationError) as error:
            Policy.create({"name": "Back in time", "arrival_hours": -1})
        self.assertEqual(
            str(error.exception),
            "Policy Back in time: the on-site arrival target cannot be negative "
            "(use 0 for no arrival target).",
        )
        empty = self.env["resource.calendar"].create(
            {"name": "Never", "attendance_ids": [Command.clear()]}
        )
        with self.assertRaises(ValidationError) as error:
            Policy.create({"name": "Never", "resource_calendar_id": empty.id})
        self.assertEqual(
            str(error.exception),
            "Policy Never: the working hours Never have no working time; "
            "deadlines cannot be planned on them.",
        )
        self.assertFalse(Policy.search([("name", "in", ["Zero", "Never"])]))

    @users("as_agent")
    def test_agent_cannot_change_policies(self):
        policy = self.policy_normal.with_user(self.env.user)
        self.assertEqual(policy.response_hours, 24.0)
        with self.assertRaises(AccessError):
            policy.response_hours = 48
        with self.assertRaises(AccessError):
            self.env["aftersales.sla.policy"].create({"name": "Mine"})


class TestSlaDeadlines(SlaCase):
    def test_deadlines_on_working_hours_skip_the_holiday(self):
        # Monday 16:00: 2 h left on Monday, Tuesday is a public holiday.
        ticket = self._sla_ticket(at(0, 16), complexity="simple")
        response = self._line(ticket, "response")
        resolution = self._line(ticket, "resolution")
        self.assertEqual(response.calendar_id, self.calendar)
        # 24 working hours: Mon 2 + Wed 8 + Thu 8 + Fri 6 -> Friday 16:00
        self.assertEqual(response.deadline, at(4, 16))
        # 4 working hours: Mon 2 + Wed 2 -> Wednesday 11:00
        self.assertEqual(resolution.deadline, at(2, 11))
        # at risk at 75%: 3 h -> Wednesday 10:00
        self.assertEqual(resolution.at_risk_date, at(2, 10))
        self.assertEqual(resolution.next_check, at(2, 10))
        self.assertEqual(ticket.sla_deadline, at(2, 11))
        self.assertEqual(ticket.sla_status, "on_time")

    def test_calendar_hours_policy_ignores_working_time(self):
        self.policy_normal.time_basis = "calendar"
        ticket = self._sla_ticket(at(0, 16))
        self.assertFalse(self._line(ticket, "response").calendar_id)
        self.assertEqual(self._line(ticket, "response").deadline, at(1, 16))

    def test_batch_reads_the_calendar_once_for_all_received_dates(self):
        """Each ticket with its own received date (as in real intake): the
        calendar's work intervals are read once for the batch (once per
        4-week period the deadlines span), not once per start, and no
        deadline is planned through plan_hours. The next creates (a batch,
        a ticket from the screen) read nothing: the periods are cached."""
        reads = []
        plans = []
        original_read = ResourceCalendar._work_intervals_batch
        original_plan = ResourceCalendar.plan_hours

        def counting_read(calendar, start_dt, end_dt, *args, **kwargs):
            reads.append((calendar.id, start_dt, end_dt))
            return original_read(calendar, start_dt, end_dt, *args, **kwargs)

        def counting_plan(calendar, *args, **kwargs):
            plans.append(calendar.id)
            return original_plan(calendar, *args, **kwargs)

        vals_list = [
            self._ticket_vals(
                complexity=("simple", "general", "complex")[i % 3],
                received_date=at(0, 8) + timedelta(minutes=97 * i),
            )
            for i in range(30)
        ]
        # the calendar was set up in this transaction: as after its commit
        self.env["resource.calendar"]._aftersales_work_time_settled()
        with (
            patch.object(ResourceCalendar, "_work_intervals_batch", counting_read),
            patch.object(ResourceCalendar, "plan_hours", counting_plan),
            freeze_time(at(0, 10)),
        ):
            tickets = self.env["aftersales.ticket"].create(vals_list)
        self.assertEqual(len(tickets.sla_ids), 60)
        self.assertEqual(len(set(tickets.sla_ids.mapped("start_date"))), 30)
        # the deadlines span at most two 4-week periods: one read each
        self.assertIn(len(reads), (1, 2))
        self.assertEqual({calendar for calendar, *__ in reads}, {self.calendar.id})
        self.assertEqual(len({(start, end) for __, start, end in reads}), len(reads))
        for __, start, end in reads:
            self.assertEqual(end - start, timedelta(days=28))
        self.assertFalse(plans)
        reads.clear()
        with (
            patch.object(ResourceCalendar, "_work_intervals_batch", counting_read),
            patch.object(ResourceCalendar, "plan_hours", counting_plan),
            freeze_time(at(0, 10)),
        ):
            again = self.env["aftersales.ticket"].create(vals_list[1:])
            one = self.env["aftersales.ticket"].create(vals_list[0])
        self.assertEqual(len(again.sla_ids) + len(one.sla_ids), 60)
        self.assertFalse(reads, "the work intervals are cached between creates")
        self.assertFalse(plans)
        self._assert_planned_as_one_by_one(tickets | again | one)

    def test_cached_working_time_follows_calendar_changes(self):
        """The cached work intervals are forgotten when a public holiday is
        added or removed or when working hours change: the next ticket's
        deadline moves at once. A change rolled back (a savepoint) leaves
        nothing behind in the cache."""
        Calendar = self.env["resource.calendar"]

        def response_deadline():
            ticket = self._sla_ticket(at(0, 10), complexity="simple")
            deadline = self._line(ticket, "response").deadline
            # as after the commit of the change: cached again
            Calendar._aftersales_work_time_settled()
            self.assertEqual(
                self._line(
                    self._sla_ticket(at(0, 10), complexity="simple"), "response"
                ).deadline,
                deadline,
            )
            return deadline

        # 24 working hours: Mon 7, (Tue holiday), Wed 8, Thu 8, Fri 1
        self.assertEqual(response_deadline(), at(4, 10))
        wednesday = self.env["resource.calendar.leaves"].create(
            {
                "name": "Second holiday",
                "calendar_id": self.calendar.id,
                "date_from": at(2, 0),
                "date_to": at(2, 23, 59),
                "time_type": "leave",
            }
        )
        # Mon 7, Thu 8, Fri 8, next Monday 1
        self.assertEqual(response_deadline(), at(7, 10))
        thursday_afternoon = self.calendar.attendance_ids.filtered(
            lambda a: a.dayofweek == "3" and a.day_period == "afternoon"
        )
        thursday_afternoon.hour_to = 17
        # Mon 7, Thu 7, Fri 8, next Monday 2
        self.assertEqual(response_deadline(), at(7, 11))
        wednesday.unlink()
        # Mon 7, Wed 8, Thu 7, Fri 2
        self.assertEqual(response_deadline(), at(4, 11))
        # a holiday added then rolled back (savepoint) is not remembered
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Rolled back",
                    "calendar_id": self.calendar.id,
                    "date_from": at(2, 0),
                    "date_to": at(2, 23, 59),
                    "time_type": "leave",
                }
            )
            self.assertEqual(
                self._line(
                    self._sla_ticket(at(0, 10), complexity="simple"), "response"
                ).deadline,
                at(7, 11),
            )
            raise ValidationError("rolled back")
        self.assertEqual(response_deadline(), at(4, 11))

    def _assert_planned_as_one_by_one(self, tickets):
        """Every line's deadline and at-risk point are what Odoo's
        plan_hours gives for that line alone."""
        for line in tickets.sla_ids:
            calendar = line.calendar_id
            self.assertTrue(calendar)
            expected = calendar.plan_hours(
                line.target_hours, line.start_date, compute_leaves=True
            )
            expected_risk = calendar.plan_hours(
                line.target_hours * line.warning_share / 100.0,
                line.start_date,
                compute_leaves=True,
            )
            self.assertEqual(
                (line.deadline, line.at_risk_date),
                (expected, expected_risk),
                f"{line.target_type} received {line.start_date}",
            )

    def test_batch_planned_deadlines_equal_one_by_one(self):
        # received from Friday before the test week to Wednesday after the
        # holiday (Tuesday), at odd minutes, seconds and microseconds: in
        # and out of working hours, on the weekend, on the holiday
        friday = at(0, 0) - timedelta(days=3)
        received = [
            friday + timedelta(hours=7 * i + 0.37 * i, seconds=13 * i)
            for i in range(24)
        ] + [at(1, 12), at(0, 18), at(0, 17, 59), at(2, 9) - timedelta(microseconds=1)]
        vals_list = [
            self._ticket_vals(
                complexity=("simple", "general", "complex")[i % 3],
                priority=("0", "1")[i % 2],
                received_date=when,
            )
            for i, when in enumerate(received)
        ]
        with freeze_time(friday - timedelta(days=1)):
            tickets = self.env["aftersales.ticket"].create(vals_list)
            one = self.env["aftersales.ticket"].create(vals_list[5])
        self.assertEqual(len(set(tickets.sla_ids.mapped("start_date"))), len(received))
        self._assert_planned_as_one_by_one(tickets | one)
        # a batch and a single create agree
        line_of = {
            (line.target_type, line.start_date): line.deadline
            for line in tickets.sla_ids
        }
        for line in one.sla_ids:
            self.assertEqual(line.deadline, line_of[line.target_type, line.start_date])
        # replanned (calendar changed), still the same as one by one
        wednesday_morning = self.calendar.attendance_ids.filtered(
            lambda a: a.dayofweek == "2" and a.day_period == "morning"
        )
        self.calendar.write(
            {
                "attendance_ids": [
                    Command.update(wednesday_morning.id, {"hour_from": 10.5})
                ]
            }
        )
        self.env.flush_all()
        self._assert_planned_as_one_by_one(tickets)

    def test_work_timeline_equals_odoo_planning_across_dst_and_holidays(self):
        """The timeline that plans batches gives exactly Odoo's plan_hours
        and get_work_hours_count, also on a calendar in a time zone with a
        daylight saving change, a lunch break and a holiday."""
        calendar = self.env["resource.calendar"].create(
            {"name": "Paris 8-12 13:30-17", "tz": "Europe/Paris"}
        )
        calendar.attendance_ids.filtered(
            lambda a: a.day_period == "afternoon"
        ).hour_from = 13.5
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Easter Monday",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 4, 5, 22, 0),
                "date_to": datetime(2026, 4, 6, 21, 59, 59),
            }
        )
        # Europe moves to summer time on Sunday 29 March 2026
        first = datetime(2026, 3, 26, 6, 17, 3)
        starts = [first + timedelta(hours=5.3 * i) for i in range(40)]
        timeline = calendar._aftersales_timeline(first)
        for i, start in enumerate(starts):
            for hours in (0.0, 0.25, 1.1, 2.75, 7.0, 24.0, 72.0, 120.5):
                self.assertEqual(
                    timeline.plan_hours(hours, start),
                    calendar.plan_hours(hours, start, compute_leaves=True),
                    f"{hours} h from {start}",
                )
            stop = start + timedelta(hours=3.7 * i + 0.5)
            self.assertEqual(
                timeline.hours_between(start, stop),
                calendar.get_work_hours_count(start, stop, compute_leaves=True),
                f"{start} to {stop}",
            )

    def _count_create_queries(self, count):
        # each ticket received at its own time, as in real intake
        vals_list = [
            self._ticket_vals(received_date=at(0, 8) + timedelta(minutes=53 * i))
            for i in range(count)
        ]
        self.env.invalidate_all()
        self.env.flush_all()
        before = self.cr.sql_log_count
        with freeze_time(at(0, 10)):
            tickets = self.env["aftersales.ticket"].create(vals_list)
            self.env.flush_all()
        self.assertEqual(len(tickets.sla_ids), 2 * count)
        return self.cr.sql_log_count - before

    def test_batch_create_query_count_does_not_grow_with_tickets(self):
        self._count_create_queries(3)  # warm the caches
        small = self._count_create_queries(5)
        large = self._count_create_queries(60)
        # Same number of queries for 5 and for 60 tickets (all rows fit in
        # one INSERT batch), each received at another time: no query per
        # ticket, the calendar read once for all start times.
        self.assertLessEqual(large, small + 2)

    def test_sla_line_creation_query_count(self):
        with freeze_time(at(0, 10)):
            tickets = self.env["aftersales.ticket"].create(
                [self._ticket_vals() for __ in range(50)]
            )
            tickets.sla_ids.unlink()
            self.env.flush_all()
            self.env.invalidate_all()
            # a fixed number for 50 tickets: lines, policies, calendars and
            # levels read once, each distinct deadline planned once, one
            # INSERT, the summary on the tickets, the contract tier the
            # policies may match (one entitlement lookup for the batch)
            with self.assertQueryCount(__system__=13):
                tickets._sla_create_lines()
                self.env.flush_all()
        self.assertEqual(len(tickets.sla_ids), 100)

    def test_priority_and_complexity_changes_replan(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        response = self._line(ticket, "response")
        # Mon 7 h, (Tue holiday), Wed 8, Thu 8, Fri 1 -> Friday 10:00
        self.assertEqual(response.deadline, at(4, 10))
        with freeze_time(at(0, 11)):
            ticket.priority = "1"
        self.assertEqual(ticket.sla_policy_id, self.policy_urgent)
        # The clock still starts when the customer called, Monday 10:00
        self.assertEqual(response.target_hours, 2.0)
        self.assertEqual(response.deadline, at(0, 12))
        self.assertTrue(self._line(ticket, "arrival"), "urgent adds an arrival")
        with freeze_time(at(0, 11)):
            ticket.complexity = "complex"
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.target_hours, 72.0)

    def test_pause_adds_paused_time_back(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.deadline, at(0, 15))
        with freeze_time(at(0, 11)):
            ticket.stage_id = self.stage_waiting
        self.assertTrue(resolution.pause_start)
        self.assertFalse(resolution.next_check, "a paused line is not checked")
        self.assertFalse(ticket.sla_deadline)
        # Back on Wednesday 11:00: Mon 11-12 + 13-18, (Tue holiday), Wed 9-11
        with freeze_time(at(2, 11)):
            ticket.stage_id = self.stage_in_repair
        self.assertEqual(resolution.paused_hours, 8.0)
        # 4 h from Monday 10:00 plus the 8 paused hours
        self.assertEqual(resolution.deadline, at(2, 15))
        self.assertEqual(ticket.sla_deadline, at(2, 15))

    def test_ticket_created_in_a_pausing_stage_waits(self):
        ticket = self._sla_ticket(at(0, 10), stage_id=self.stage_waiting.id)
        self.assertTrue(all(ticket.sla_ids.mapped("pause_start")))
        self.assertFalse(any(ticket.sla_ids.mapped("next_check")))


class TestSlaEvents(SlaCase):
    def test_public_reply_by_agent_meets_first_response(self):
        ticket = self._sla_ticket(at(0, 10), self.env(user=self.user_agent))
        response = self._line(ticket, "response")
        with freeze_time(at(0, 11)):
            ticket.stage_id = self.stage_diagnosis
            ticket.message_post(body="Internal note", subtype_xmlid="mail.mt_note")
            ticket.with_user(self.user_portal_like()).sudo().message_post(
                body="Any news?",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                author_id=self.customer.id,
            )
        self.assertFalse(response.reached_date, "stage, note, customer: no answer")
        with freeze_time(at(0, 12)):
            ticket.message_post(
                body="We will come tomorrow",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(response.reached_date, at(0, 12))
        self.assertEqual(response.status, "met")
        self.assertEqual(response.elapsed_hours, 2.0)

    def user_portal_like(self):
        return self.portal_user

    def test_logged_call_meets_first_response(self):
        ticket = self._sla_ticket(at(0, 10), self.env(user=self.user_agent))
        with freeze_time(at(0, 10, 30)):
            activity = ticket.activity_schedule(
                "mail.mail_activity_data_call", user_id=self.user_agent.id
            )
            activity.with_user(self.user_agent).action_feedback("Called back")
        self.assertEqual(self._line(ticket, "response").reached_date, at(0, 10, 30))

    def test_closing_meets_resolution_and_reopening_restarts_it(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        resolution = self._line(ticket, "resolution")
        with freeze_time(at(2, 12)):  # after the 15:00 Monday deadline
            ticket.stage_id = self.stage_solved
        self.assertEqual(resolution.reached_date, at(2, 12))
        self.assertEqual(resolution.status, "late")
        self.assertFalse(ticket.sla_deadline)
        with freeze_time(at(2, 13)):
            ticket.stage_id = self.stage_diagnosis
        self.assertFalse(resolution.reached_date)
        self.assertEqual(resolution.status, "failed")

    def test_technician_visit_meets_arrival_and_response(self):
        ticket = self._sla_ticket(at(0, 10), priority="1")
        with freeze_time(at(0, 11)):
            ticket.with_user(self.user_technician).action_sla_register_arrival()
        self.assertEqual(self._line(ticket, "arrival").status, "met")
        self.assertEqual(self._line(ticket, "response").status, "met")
        with self.assertRaises(AccessError):
            ticket.with_user(self.user_technician2).action_sla_register_arrival()

    def test_technician_sees_lines_of_own_tickets_only(self):
        mine = self._sla_ticket(at(0, 10))
        other = self._sla_ticket(at(0, 10), technician_id=self.emp_technician2.id)
        Line = self.Line.with_user(self.user_technician)
        self.assertEqual(Line.search([]).ticket_id, mine)
        with self.assertRaises(AccessError):
            other.sla_ids.with_user(self.user_technician).read(["deadline"])
        with self.assertRaises(AccessError):
            mine.sla_ids.with_user(self.user_technician).write({"deadline": False})


class TestSlaCron(SlaCase):
    def test_nothing_due_reads_two_indexed_queries(self):
        # the due lines (index on next_check) and the digest notices an
        # interrupted run may have left (an empty table)
        self._sla_ticket(at(0, 10))
        self.env.flush_all()
        with freeze_time(at(0, 10, 5)), self.assertQueryCount(2):
            self.Line._cron_check_deadlines()

    def test_warning_then_escalation_ladder_once_each(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        resolution = self._line(ticket, "resolution")
        Activity = self.env["mail.activity"]
        domain = [("res_model", "=", "aftersales.ticket"), ("res_id", "=", ticket.id)]
        # 75% of 4 working hours: Monday 14:00 (lunch 12-13 not counted)
        self._run_cron(at(0, 13, 59))
        self.assertEqual(resolution.status, "on_time")
        self._run_cron(at(0, 14))
        self.assertEqual(resolution.status, "at_risk")
        self.assertEqual(ticket.sla_status, "at_risk")
        self.assertEqual(ticket.traffic_light, "yellow")
        warned = Activity.search(domain)
        self.assertEqual(
            warned.user_id, ticket.owner_id | self.user_technician, "owner + tech"
        )
        self._run_cron(at(0, 14, 30))
        self.assertEqual(Activity.search(domain), warned, "idempotent")

        # Deadline Monday 15:00: failed, team leader (level 1, no delay)
        self._run_cron(at(0, 15))
        self.assertEqual(resolution.status, "failed")
        self.assertEqual(ticket.traffic_light, "red")
        self.assertEqual(
            resolution.escalation_level_id,
            self.env.ref("aftersales_service.escalation_sla_team_leader"),
        )
        self.assertIn(self.user_team, Activity.search(domain).user_id)
        count = Activity.search_count(domain)
        messages = len(ticket.message_ids)
        self._run_cron(at(0, 15, 10))
        self.assertEqual(Activity.search_count(domain), count, "no double notice")
        self.assertEqual(len(ticket.message_ids), messages)
        # +4 h: regional manager; +24 h: head of service (HQ leader)
        self._run_cron(at(0, 19))
        self.assertEqual(
            resolution.escalation_level_id,
            self.env.ref("aftersales_service.escalation_sla_regional_manager"),
        )
        self.assertIn(self.user_regional, Activity.search(domain).user_id)
        self._run_cron(at(1, 15))
        self.assertEqual(
            resolution.escalation_level_id,
            self.env.ref("aftersales_service.escalation_sla_head_of_service"),
        )
        self.assertIn(self.user_manager, Activity.search(domain).user_id)
        self.assertFalse(resolution.next_check, "ladder done")
        steps = ticket.message_ids.filtered(lambda m: "Escalation to" in m.body)
        self.assertEqual(len(steps), 3)
        self.assertIn(self.user_manager.partner_id, steps.partner_ids)


class TestTrafficLight(SlaCase):
    def test_vip_critical_is_red_and_notifies_the_manager_at_once(self):
        self.customer_vip.state_id = self.state_zj
        ticket = self._sla_ticket(
            at(0, 10),
            self.env(user=self.user_agent),
            partner_id=self.customer_vip_contact.id,
            priority="2",
        )
        self.assertEqual(ticket.traffic_light, "red")
        notice = ticket.message_ids.filtered(lambda m: "turned red" in m.body)
        self.assertEqual(len(notice), 1)
        inbox = self.env["mail.message"].search(
            [("partner_ids", "in", self.user_team.partner_id.ids)]
        )
        self.assertTrue(any(ticket.name in message.body for message in inbox))
        self.assertIn(self.user_team, ticket.activity_ids.user_id)

    def test_colour_changes_are_tracked(self):
        ticket = self._sla_ticket(at(0, 10))
        self.assertEqual(ticket.traffic_light, "green")
        self.env.flush_all()
        self.env.cr.precommit.run()  # the creation's transaction ends
        with freeze_time(at(0, 10, 30)):
            ticket.priority = "2"
            ticket.partner_id = self.customer_vip_contact
            self.env.flush_all()
            self.env.cr.precommit.run()
        self.assertEqual(ticket.traffic_light, "red")
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "aftersales.ticket"),
                ("mail_message_id.res_id", "=", ticket.id),
                ("field_id.name", "=", "traffic_light"),
            ]
        )
        self.assertEqual(tracked.old_value_char, "Green")
        self.assertEqual(tracked.new_value_char, "Red")

    def test_open_complaint_is_red_until_closed(self):
        ticket = self._sla_ticket(at(0, 10))
        self.assertEqual(ticket.traffic_light, "green")
        ticket.sudo().is_complaint = True
        self.assertEqual(ticket.complaint_state, "open")
        self.assertEqual(ticket.traffic_light, "red")
        ticket.company_at_fault_note = "Spare part delivered late by our depot"
        with freeze_time(at(0, 11)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(ticket.complaint_state, "closed")
        self.assertEqual(ticket.traffic_light, "green")

    def test_other_department_is_yellow(self):
        self.team_region.member_ids = [Command.link(self.user_agent.id)]
        ticket = self._sla_ticket(at(0, 10), self.env(user=self.user_agent))
        self.assertEqual(ticket.traffic_light, "green", "point is under region")
        hq_technical = self.env["aftersales.team"].create(
            {"name": "HQ Technical", "level": "region", "parent_id": self.team_hq.id}
        )
        with freeze_time(at(0, 10, 30)):
            ticket.sudo().team_id = hq_technical
            self.assertEqual(ticket.traffic_light, "yellow")
            self.policy_normal.yellow_on_other_team = False
            self.assertEqual(ticket.traffic_light, "green")


class TestSlaCalendarChanges(SlaCase):
    def test_new_public_holiday_moves_open_deadlines(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.deadline, at(0, 15))  # 10-12, 13-15
        done = self._sla_ticket(at(0, 10), complexity="simple")
        with freeze_time(at(0, 11)):
            done.stage_id = self.stage_solved
        reached = self._line(done, "resolution")
        reached_deadline = reached.deadline
        # Monday afternoon closed: 10-12 on Monday, Tuesday is a holiday,
        # then 9-11 on Wednesday.
        closure = self.env["resource.calendar.leaves"].create(
            {
                "name": "Afternoon closure",
                "calendar_id": self.calendar.id,
                "date_from": at(0, 13),
                "date_to": at(0, 18),
                "time_type": "leave",
            }
        )
        self.assertEqual(resolution.deadline, at(2, 11))
        self.assertEqual(reached.deadline, reached_deadline, "reached: unchanged")
        closure.unlink()
        self.assertEqual(resolution.deadline, at(0, 15))

    def test_new_working_hours_move_open_deadlines(self):
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        resolution = self._line(ticket, "resolution")
        monday_afternoon = self.calendar.attendance_ids.filtered(
            lambda a: a.dayofweek == "0" and a.hour_from == 13
        )
        self.calendar.write({"attendance_ids": [Command.unlink(monday_afternoon.id)]})
        self.assertEqual(resolution.deadline, at(2, 11))


class TestSlaReport(SlaCase):
    def test_compliance_by_team(self):
        late = self._sla_ticket(at(0, 10), complexity="simple")
        on_time = self._sla_ticket(at(0, 10), complexity="simple")
        with freeze_time(at(0, 11)):
            on_time.stage_id = self.stage_solved
        with freeze_time(at(0, 16)):
            late.stage_id = self.stage_solved
        self.env.flush_all()
        Report = self.env["aftersales.sla.report"].with_user(self.user_manager)
        groups = Report._read_group(
            [
                ("ticket_id", "in", (late | on_time).ids),
                ("target_type", "=", "resolution"),
            ],
            ["team_id"],
            ["compliance:avg", "elapsed_hours:avg", "__count"],
        )
        # took 1 h (on time) and 5 h (late: 10-12, 13-16)
        self.assertEqual(groups, [(self.team_point, 50.0, 3.0, 2)])
        with self.assertRaises(AccessError):
            self.env["aftersales.sla.report"].with_user(self.user_agent).search([])

    def test_median_and_90th_percentile_in_working_hours(self):
        # resolution reached after 1, 2, 3, 4 and 5 working hours
        tickets = self.env["aftersales.ticket"]
        for hour in (11, 12, 14, 15, 16):  # 12:00-13:00 is lunch
            ticket = self._sla_ticket(at(0, 10), complexity="simple")
            with freeze_time(at(0, hour)):
                ticket.stage_id = self.stage_solved
            tickets |= ticket
        self.env.flush_all()
        Report = self.env["aftersales.sla.report"].with_user(self.user_manager)
        domain = [
            ("ticket_id", "in", tickets.ids),
            ("target_type", "=", "resolution"),
        ]
        measures = ["elapsed_hours:avg", "median_hours:avg", "p90_hours:avg"]
        [(avg, median, p90)] = Report._read_group(domain, [], measures)
        self.assertEqual((avg, median), (3.0, 3.0))
        self.assertAlmostEqual(p90, 4.6)  # 4 + 0.6 * (5 - 4), linear interpolation
        # Computed over the rows of each group, not averaged from sub-groups:
        # one group per ticket gives each ticket's own time.
        per_ticket = Report._read_group(domain, ["ticket_id"], ["p90_hours:avg"])
        self.assertEqual(sorted(p for __, p in per_ticket), [1.0, 2.0, 3.0, 4.0, 5.0])
