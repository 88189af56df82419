"""Property-based tests (hypothesis) of deadline planning and warranty
dates, on real records: the service calendar of the SLA tests (Monday to
Friday 9-12 and 13-18, a public holiday on Tuesday 3 March 2026), tickets
with their service-level lines, warranty terms and warranties. Each example
runs in a savepoint rolled back at its end. Examples are drawn from a fixed
seed (``derandomize``), so a run is reproducible."""

from contextlib import closing
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import Command

from .test_sla_common import SlaCase, at

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)

# a ticket with its lines per example: fewer
PAUSE_EXAMPLES = settings(EXAMPLES, max_examples=30)

# Received from the Monday before the test week to three weeks later, to
# the minute: nights, weekends and the holiday included.
FIRST = at(0, 0) - timedelta(days=7)
starts = st.integers(min_value=0, max_value=28 * 24 * 60).map(
    lambda minutes: FIRST + timedelta(minutes=minutes)
)
# Working hours in quarters of an hour, up to two and a half weeks of work.
work_hours = st.integers(min_value=1, max_value=400).map(lambda q: q / 4)
# A whole day, from the first day above to eight weeks later.
days = st.integers(min_value=0, max_value=56)

DURATION = st.tuples(
    st.integers(min_value=1, max_value=60),
    st.sampled_from(["day", "month", "year"]),
)
deliveries = st.integers(min_value=0, max_value=4 * 366).map(
    lambda n: date(2024, 1, 1) + timedelta(days=n)
)


class TestProperties(SlaCase):
    def _rolled_back(self):
        return closing(self.env.cr.savepoint())

    def _plan(self, start, hours):
        Line = self.env["aftersales.ticket.sla"]
        return Line._plan_batch([(self.calendar, start, hours)])[
            (self.calendar.id, start, hours)
        ]

    def _holidays(self):
        return self.env["resource.calendar.leaves"].search(
            [("calendar_id", "=", self.calendar.id), ("resource_id", "=", False)]
        )

    def _assert_not_in_holidays(self, deadline):
        for leave in self._holidays():
            self.assertFalse(
                leave.date_from < deadline < leave.date_to,
                f"{deadline} falls in the holiday {leave.name}",
            )

    @EXAMPLES
    @given(start=starts, hours=work_hours, more=work_hours)
    def test_adding_working_hours_never_moves_the_deadline_earlier(
        self, start, hours, more
    ):
        deadline = self._plan(start, hours)
        later = self._plan(start, hours + more)
        self.assertLess(deadline, later)
        self.assertGreater(deadline, start)
        # the batch planner is Odoo's planning
        self.assertEqual(
            deadline, self.calendar.plan_hours(hours, start, compute_leaves=True)
        )

    @EXAMPLES
    @given(start=starts, hours=work_hours, holiday=days)
    def test_holidays_never_hold_a_deadline(self, start, hours, holiday):
        deadline = self._plan(start, hours)
        self._assert_not_in_holidays(deadline)
        with self._rolled_back():
            day = FIRST + timedelta(days=holiday)
            self.env["resource.calendar.leaves"].create(
                {
                    "name": "Extra holiday",
                    "calendar_id": self.calendar.id,
                    "date_from": day,
                    "date_to": day + timedelta(hours=23, minutes=59, seconds=59),
                    "time_type": "leave",
                }
            )
            with_holiday = self._plan(start, hours)
            self.assertGreaterEqual(with_holiday, deadline)
            self._assert_not_in_holidays(with_holiday)
            # it moves only if the holiday takes working time before it
            if with_holiday > deadline:
                self.assertLess(day, deadline)

    @PAUSE_EXAMPLES
    @given(
        start=starts,
        pauses=st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=5 * 24 * 60),
                st.integers(min_value=1, max_value=5 * 24 * 60),
            ),
            min_size=1,
            max_size=3,
        ),
        complexity=st.sampled_from(["simple", "general", "complex"]),
    )
    def test_pauses_never_shorten_a_deadline(self, start, pauses, complexity):
        with self._rolled_back():
            ticket = self._sla_ticket(start, complexity=complexity, received_date=start)
            lines = ticket.sla_ids
            self.assertTrue(lines)
            before = {line.id: line.deadline for line in lines}
            when = start
            for gap, duration in pauses:
                when += timedelta(minutes=gap)
                lines._pause(when)
                when += timedelta(minutes=duration)
                lines._resume(when)
                for line in lines:
                    self.assertGreaterEqual(line.paused_hours, 0.0)
                    self.assertGreaterEqual(line.deadline, before[line.id])
                    before[line.id] = line.deadline
            # and each deadline is Odoo's planning of the target plus pauses
            for line in lines:
                self.assertEqual(
                    line.deadline,
                    self.calendar.plan_hours(
                        line.target_hours + line.paused_hours,
                        line.start_date,
                        compute_leaves=True,
                    ),
                )

    # ------------------------------------------------------------------
    # Warranty dates (same class: the fixtures are built once)
    # ------------------------------------------------------------------

    def _months(self, duration):
        return self.env["aftersales.warranty.term"]._months(*duration)

    @EXAMPLES
    @given(
        unit=DURATION,
        components=st.lists(DURATION, min_size=1, max_size=3),
        delivery=deliveries,
        installed_after=st.integers(min_value=0, max_value=90),
        rule=st.sampled_from(["delivery", "installation"]),
    )
    def test_components_end_after_the_unit_only_when_the_term_says_so(
        self, unit, components, delivery, installed_after, rule
    ):
        with closing(self.env.cr.savepoint()):
            term = self.env["aftersales.warranty.term"].create(
                {
                    "name": "Property term",
                    "duration": unit[0],
                    "duration_unit": unit[1],
                    "start_rule": rule,
                    "component_ids": [
                        Command.create(
                            {
                                "name": f"Component {index}",
                                "duration": duration,
                                "duration_unit": duration_unit,
                            }
                        )
                        for index, (duration, duration_unit) in enumerate(components)
                    ],
                }
            )
            warranty = self.env["aftersales.warranty"].create(
                {
                    "partner_id": self.customer.id,
                    "lot_id": self.lot_washer1.id,
                    "term_id": term.id,
                    "delivery_date": delivery,
                    "installation_date": delivery + timedelta(days=installed_after),
                }
            )
            self.assertEqual(len(warranty.component_ids), len(components))
            for line, duration in zip(
                warranty.component_ids.sorted("id"), components, strict=True
            ):
                self.assertEqual(line.start_date, warranty.start_date)
                self.assertLessEqual(line.start_date, line.end_date)
                if self._months(duration) <= self._months(unit) and (
                    duration[1] == unit[1] or "day" not in (duration[1], unit[1])
                ):
                    # not longer by the term: never ends after the unit
                    self.assertLessEqual(line.end_date, warranty.base_end_date)

    @EXAMPLES
    @given(
        return_days=st.integers(min_value=0, max_value=30),
        extra_exchange=st.integers(min_value=0, max_value=30),
        unit=DURATION,
        delivery=deliveries,
        today_after=st.integers(min_value=0, max_value=60),
    )
    def test_three_guarantee_windows_in_order(
        self, return_days, extra_exchange, unit, delivery, today_after
    ):
        with closing(self.env.cr.savepoint()):
            term = self.env["aftersales.warranty.term"].create(
                {
                    "name": "Property three guarantees",
                    "duration": unit[0],
                    "duration_unit": unit[1],
                    "three_guarantee": True,
                    "return_days": return_days,
                    "exchange_days": return_days + extra_exchange,
                }
            )
            warranty = self.env["aftersales.warranty"].create(
                {
                    "partner_id": self.customer.id,
                    "lot_id": self.lot_washer1.id,
                    "term_id": term.id,
                    "delivery_date": delivery,
                }
            )
            today = delivery + timedelta(days=today_after)
            rights = dict(warranty._open_three_guarantee_rights(today))
            windows = [
                rights.get(label)
                for label in (self.env._("Return"), self.env._("Exchange"))
            ]
            return_end, exchange_end = windows
            # a right still open is open until its last day, not before today
            for last_day in filter(None, windows):
                self.assertGreaterEqual(last_day, today)
            # return <= exchange: the return right never outlives the exchange
            if return_end:
                self.assertTrue(exchange_end or not term.exchange_days)
                if exchange_end:
                    self.assertLessEqual(return_end, exchange_end)
            # exchange <= repair: after the exchange window, the unit is
            # still repaired under the warranty as long as it runs
            self.assertLessEqual(warranty.start_date, warranty.end_date)
            if exchange_end and exchange_end <= warranty.end_date:
                self.assertEqual(
                    warranty._status_at(exchange_end, reason=False)[0], "in"
                )
