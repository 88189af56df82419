"""Performance scorecards: indicators against hand-computed values, weights,
locking and visibility as the real roles."""

from contextlib import contextmanager
from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import AftersalesCase

OCT = date(2025, 10, 1)
SEP = date(2025, 9, 1)


class PerformanceCase(AftersalesCase):
    """Tickets, SLA lines, callbacks, complaints and parts of October 2025.

    Agent A (``user_agent``) owns t1-t4, agent B (``user_agent2``) owns the
    repeat t5 and the complaints t6, t7; ``emp_technician`` works t1-t4; the
    manager leads the East region (and its points, where all tickets are).
    Values are written with SQL where the other capabilities' workflows would
    otherwise decide them (statuses, dates, scores), so each indicator can be
    computed by hand.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.profile_agent = env.ref("aftersales_service.performance_profile_agent")
        cls.profile_tech = env.ref("aftersales_service.performance_profile_technician")
        cls.profile_manager = env.ref("aftersales_service.performance_profile_manager")
        cls.user_hr = new_test_user(
            env, login="as_hr", name="Hu HR Officer", groups="hr.group_hr_user"
        )
        Employee = env["hr.employee"]
        cls.emp_agent = Employee.create(
            {
                "name": "Zhang Agent",
                "user_id": cls.user_agent.id,
                "aftersales_profile_id": cls.profile_agent.id,
            }
        )
        cls.emp_agent2 = Employee.create(
            {
                "name": "Chen Agent",
                "user_id": cls.user_agent2.id,
                "aftersales_profile_id": cls.profile_agent.id,
            }
        )
        cls.emp_technician.aftersales_profile_id = cls.profile_tech
        cls.emp_manager = Employee.create(
            {
                "name": "Sun Manager",
                "user_id": cls.user_manager.id,
                "aftersales_profile_id": cls.profile_manager.id,
            }
        )
        cls.team_region.leader_id = cls.user_manager
        cls.employees = (
            cls.emp_agent | cls.emp_agent2 | cls.emp_technician | cls.emp_manager
        )

        def ticket(owner, received, **extra):
            return cls._create_ticket(
                owner_id=owner.id,
                team_id=cls.team_point.id,
                received_date=received,
                **extra,
            )

        tech = {"technician_id": cls.emp_technician.id}
        cls.t1 = ticket(cls.user_agent, datetime(2025, 10, 5, 9), **tech)
        cls.t2 = ticket(cls.user_agent, datetime(2025, 10, 5, 10), **tech)
        cls.t3 = ticket(cls.user_agent, datetime(2025, 10, 6, 9), **tech)
        cls.t4 = ticket(cls.user_agent, datetime(2025, 10, 7, 9), **tech)
        cls.t5 = ticket(cls.user_agent2, datetime(2025, 10, 20, 9))
        cls.t6 = ticket(cls.user_agent2, datetime(2025, 10, 21, 9))
        cls.t7 = ticket(cls.user_agent2, datetime(2025, 10, 22, 9))
        cls.t_sep = ticket(cls.user_agent, datetime(2025, 9, 10, 9))
        cls.tickets = cls.t1 | cls.t2 | cls.t3 | cls.t4 | cls.t5 | cls.t6 | cls.t7
        all_tickets = cls.tickets | cls.t_sep
        env.flush_all()
        cr = env.cr
        cr.execute(
            "DELETE FROM aftersales_ticket_sla WHERE ticket_id = ANY(%s)",
            [all_tickets.ids],
        )
        cr.execute(
            "DELETE FROM aftersales_callback WHERE ticket_id = ANY(%s)",
            [all_tickets.ids],
        )
        # Closed: t1-t3 on Oct 10th, complaint t6 on Oct 22nd (deadline 25th)
        cr.execute(
            """UPDATE aftersales_ticket SET stage_id = %s, is_closed = TRUE,
                      outcome = 'solved', closed_date = '2025-10-10 12:00'
                WHERE id = ANY(%s)""",
            [cls.stage_solved.id, (cls.t1 | cls.t2 | cls.t3).ids],
        )
        cr.execute(
            "UPDATE aftersales_ticket SET repeat_of_id = %s, is_repeat = TRUE "
            "WHERE id = %s",
            [cls.t1.id, cls.t5.id],
        )
        cr.execute(
            """UPDATE aftersales_ticket SET is_complaint = TRUE,
                      complaint_of_id = %s, company_at_fault = TRUE,
                      complaint_state = 'closed', stage_id = %s, is_closed = TRUE,
                      outcome = 'solved', closed_date = '2025-10-22 12:00',
                      complaint_deadline = '2025-10-25'
                WHERE id = %s""",
            [cls.t2.id, cls.stage_solved.id, cls.t6.id],
        )
        cr.execute(
            """UPDATE aftersales_ticket SET is_complaint = TRUE,
                      complaint_of_id = %s, company_at_fault = FALSE,
                      complaint_state = 'open', complaint_deadline = '2025-10-29'
                WHERE id = %s""",
            [cls.t3.id, cls.t7.id],
        )
        # SLA lines: (ticket, target, status, elapsed hours)
        sla = [
            (cls.t1, "response", "met", 1.0),
            (cls.t1, "resolution", "met", 20.0),
            (cls.t2, "response", "met", 3.0),
            (cls.t2, "resolution", "late", 50.0),
            (cls.t3, "response", "late", 5.0),
            (cls.t3, "arrival", "met", 10.0),
            (cls.t4, "response", "failed", 0.0),
            (cls.t4, "arrival", "met", 12.0),
            (cls.t4, "resolution", "on_time", 0.0),
            (cls.t_sep, "response", "failed", 0.0),
        ]
        for t, target, status, hours in sla:
            cr.execute(
                """INSERT INTO aftersales_ticket_sla
                       (ticket_id, company_id, target_type, target_hours,
                        start_date, deadline, status, elapsed_hours, reached_date,
                        paused_hours, warning_share)
                   SELECT id, company_id, %s, 24.0, received_date,
                          received_date + interval '24 hours', %s, %s,
                          CASE WHEN %s IN ('met', 'late') THEN received_date END,
                          0, 75
                     FROM aftersales_ticket WHERE id = %s""",
                [target, status, hours, status, t.id],
            )
        # Callbacks: (ticket, satisfaction, conduct, nps, answered)
        answers = [
            (cls.t1, 5, 4, 10, datetime(2025, 10, 15)),
            (cls.t2, 4, 5, 8, datetime(2025, 10, 16)),
            (cls.t3, 2, 3, 3, datetime(2025, 10, 17)),
            (cls.t4, 1, 1, 0, datetime(2025, 11, 2)),  # next month
        ]
        callbacks = env["aftersales.callback"].create(
            [
                {"name": f"CB-{t.id}", "ticket_id": t.id, "due_date": when}
                for t, *_rest, when in answers
            ]
            + [{"name": "CB-unanswered", "ticket_id": cls.t1.id, "due_date": OCT}]
        )
        env.flush_all()
        for callback, (_t, sat, conduct, nps, when) in zip(
            callbacks, answers, strict=False
        ):
            category = (
                "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
            )
            cr.execute(
                """UPDATE aftersales_callback SET has_scores = TRUE, state = 'answered',
                          satisfaction = %s, conduct = %s, nps_score = %s,
                          nps_category = %s, answered_date = %s
                    WHERE id = %s""",
                [sat, conduct, nps, category, when, callback.id],
            )
        # Parts: t1 consumed in October (2 of 2 boards, 1 of 4 filters), t2 draft
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        warehouse._aftersales_parts_setup()
        Product = env["product.product"]
        cls.part_board = Product.create(
            {"name": "Board P", "is_storable": True, "standard_price": 50.0}
        )
        cls.part_filter = Product.create(
            {"name": "Filter P", "is_storable": True, "standard_price": 8.0}
        )
        Reservation = env["aftersales.part.reservation"]
        cls.res1 = Reservation.create(
            {
                "ticket_id": cls.t1.id,
                "line_ids": [
                    Command.create({"product_id": cls.part_board.id, "product_qty": 2}),
                    Command.create(
                        {"product_id": cls.part_filter.id, "product_qty": 4}
                    ),
                ],
            }
        )
        cls.res2 = Reservation.create(
            {
                "ticket_id": cls.t2.id,
                "line_ids": [
                    Command.create({"product_id": cls.part_board.id, "product_qty": 3})
                ],
            }
        )
        env.flush_all()
        cr.execute(
            """UPDATE aftersales_part_reservation SET state = 'done',
                      date_consumed = '2025-10-12 10:00', warranty_cost = 100
                WHERE id = %s""",
            [cls.res1.id],
        )
        board, filt = cls.res1.line_ids.sorted("product_qty")
        for line, consumed, cost in ((board, 2, 100.0), (filt, 1, 0.0)):
            cr.execute(
                """UPDATE aftersales_part_reservation_line SET state = 'done',
                          date_consumed = '2025-10-12 10:00', qty_consumed = %s,
                          consumed_product_qty = %s, warranty_cost = %s
                    WHERE id = %s""",
                [consumed, consumed, cost, line.id],
            )
        env.invalidate_all()
        cls.Score = env["aftersales.performance.score"]

    @contextmanager
    def assertRaisesText(self, exception, pattern):
        """assertRaises (rolled back to a savepoint) and check the message."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertRegex(str(caught.exception), pattern)

    def _build(self, start=OCT, employees=None, user=None):
        Score = self.Score.with_user(user) if user else self.Score
        return Score._build_scores("month", start, employees=employees)

    def _score(self, employee, start=OCT):
        return self.Score.search(
            [("employee_id", "=", employee.id), ("date_start", "=", start)]
        )

    def _values(self, score):
        return {
            line.code: (
                round(line.raw_value, 2),
                line.sample_size,
                round(line.score, 2),
            )
            for line in score.line_ids
        }


class TestPerformanceIndicators(PerformanceCase):
    def test_agent_indicators(self):
        self._build(employees=self.employees)
        score = self._score(self.emp_agent)
        values = self._values(score)
        # Response lines of t1-t4: met, met, late, failed -> 2 / 4
        self.assertEqual(values["response_timeliness"], (50.0, 4, 55.56))
        # t1 repeated by t5, t2 drew a complaint at fault -> 2 / 4
        self.assertEqual(values["information_accuracy"], (50.0, 4, 52.63))
        # (5 + 4 + 2) / 3 answered in October; t4's answer is in November
        self.assertEqual(values["satisfaction"], (3.67, 3, 81.48))
        # 0.3 * 55.56 + 0.2 * 52.63 + 0.5 * 81.48
        self.assertAlmostEqual(score.total_score, 67.9)
        self.assertTrue(score.below_target)
        self.assertIn("first-response", score.line_ids[0].method.lower())

    def test_agent_without_data_is_reweighted(self):
        self._build(employees=self.employees)
        score = self._score(self.emp_agent2)
        values = self._values(score)
        # t5, t6, t7: none repeated or complained about
        self.assertEqual(values["information_accuracy"], (100.0, 3, 100.0))
        self.assertEqual(values["response_timeliness"], (0.0, 0, 0.0))
        self.assertFalse(
            score.line_ids.filtered(lambda line: line.code == "satisfaction").has_data
        )
        self.assertEqual(score.total_score, 100.0)

    def test_technician_indicators(self):
        self._build(employees=self.employees)
        score = self._score(self.emp_technician)
        values = self._values(score)
        # Closed in October: t1, t2, t3; t1 repeated -> 2 / 3
        self.assertEqual(values["resolution_success"], (66.67, 3, 74.07))
        # Arrival/resolution decided: met, late, met, met (t4's on-time excluded)
        self.assertEqual(values["timeliness"], (75.0, 4, 83.33))
        # (2 + 1) consumed / (2 + 4) reserved; the draft reservation is ignored
        self.assertEqual(values["parts_usage"], (50.0, 2, 55.56))
        # Conduct (4 + 5 + 3) / 3
        self.assertEqual(values["customer_rating"], (4.0, 3, 88.89))
        # From the line scores rounded to 2 decimals: 76.85
        self.assertAlmostEqual(score.total_score, 76.85, delta=0.05)

    def test_manager_indicators(self):
        self._build(employees=self.employees)
        score = self._score(self.emp_manager)
        values = self._values(score)
        # All decided lines of the region's tickets: 5 met of 8
        self.assertEqual(values["team_target"], (62.5, 8, 69.44))
        # Complaints t6 (closed by its deadline) and t7 (open) -> 1 / 2
        self.assertEqual(values["complaint_handling"], (50.0, 2, 52.63))
        # 100 warranty cost / 4 tickets closed (t1, t2, t3, t6); budget 200
        self.assertEqual(values["cost_control"], (25.0, 4, 100.0))
        self.assertAlmostEqual(score.total_score, 73.6)
        self.assertEqual(score.team_id, self.team_region)

    def test_cancelled_tickets_are_left_out_of_resolution(self):
        """t3 was cancelled, not solved: only t1 (repeated) and t2 count."""
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET stage_id = %s, outcome = 'cancelled' "
            "WHERE id = %s",
            [self.env.ref("aftersales_service.stage_cancelled").id, self.t3.id],
        )
        self.env.invalidate_all()
        self._build(employees=self.emp_technician)
        values = self._values(self._score(self.emp_technician))
        # 1 / 2, score 50 / 90 target
        self.assertEqual(values["resolution_success"], (50.0, 2, 55.56))

    def test_reopened_complaint_at_fault_counts_against_accuracy(self):
        """t4 reopened by an unhappy answer and found at fault: with t1
        (repeated) and t2 (complaint at fault), 1 of agent A's 4 tickets is
        accurate."""
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET is_complaint = TRUE, "
            "company_at_fault = TRUE WHERE id = %s",
            [self.t4.id],
        )
        self.env.invalidate_all()
        self._build(employees=self.emp_agent)
        values = self._values(self._score(self.emp_agent))
        # 25 / 95 target
        self.assertEqual(values["information_accuracy"], (25.0, 4, 26.32))

    def test_reopen_rate_indicator(self):
        """Wang's tickets of October: ta solved, reopened by the technician
        and solved again; tb solved once; tc cancelled (left out). Reopen
        rate 1 / 2 = 50 % against a 5 % target: score 5 / 50 = 10."""
        profile = self.env["aftersales.performance.profile"].create(
            {
                "name": "Technician with reopens",
                "role": "technician",
                "indicator_ids": [
                    Command.create({"code": "resolution_success", "weight": 50.0}),
                    Command.create({"code": "reopen_rate", "weight": 50.0}),
                ],
            }
        )
        reopen = profile.indicator_ids.filtered(lambda i: i.code == "reopen_rate")
        self.assertEqual((reopen.target, reopen.direction), (5.0, "lower"))
        self.emp_technician2.aftersales_profile_id = profile
        tech = self.user_technician2
        cancelled = self.env.ref("aftersales_service.stage_cancelled")

        def ticket(day):
            with freeze_time(datetime(2025, 10, day, 9)):
                return self._create_ticket(
                    self.env(user=self.user_agent),
                    technician_id=self.emp_technician2.id,
                    team_id=self.team_point.id,
                )

        ta, tb, tc = ticket(3), ticket(3), ticket(3)
        with freeze_time(datetime(2025, 10, 4, 9)):
            (ta | tb).with_user(tech).write({"stage_id": self.stage_solved.id})
            tc.with_user(self.user_agent).write({"stage_id": cancelled.id})
        with freeze_time(datetime(2025, 10, 5, 9)):
            ta.with_user(tech).write({"stage_id": self.stage_diagnosis.id})
        with freeze_time(datetime(2025, 10, 6, 9)):
            ta.with_user(tech).write({"stage_id": self.stage_solved.id})
        self.assertEqual(
            [(t.outcome, t.reopen_count) for t in (ta, tb, tc)],
            [("solved", 1), ("solved", 0), ("cancelled", 0)],
        )
        self._build(employees=self.emp_technician2)
        score = self._score(self.emp_technician2)
        values = self._values(score)
        self.assertEqual(values["reopen_rate"], (50.0, 2, 10.0))
        self.assertEqual(values["resolution_success"], (100.0, 2, 100.0))
        self.assertAlmostEqual(score.total_score, 55.0)

    def test_quarter_is_derived_from_the_dates(self):
        scores = self.Score._build_scores(
            "quarter", date(2025, 11, 15), employees=self.emp_agent
        )
        self.assertEqual(scores.date_start, date(2025, 10, 1))
        self.assertEqual(scores.date_end, date(2025, 12, 31))
        self.assertEqual(scores.period_label, "2025-Q4")
        self.assertEqual(self._values(scores)["response_timeliness"][:2], (50.0, 4))

    def test_ranking_star_and_training(self):
        self._build(SEP, employees=self.employees)
        self.assertTrue(self._score(self.emp_agent, SEP).below_target)
        self._build(employees=self.employees)
        agent, agent2 = self._score(self.emp_agent), self._score(self.emp_agent2)
        self.assertEqual((agent2.team_rank, agent.team_rank), (1, 2))
        self.assertEqual(agent.team_size, 2)
        self.assertTrue(agent2.is_service_star)
        self.assertFalse(agent.is_service_star)
        # Below target in September (0) and in October (67.9)
        self.assertTrue(agent.needs_training)
        self.assertFalse(agent2.needs_training)
        self.assertTrue(self.emp_agent.aftersales_needs_training)
        self.assertEqual(self.emp_agent.aftersales_score_count, 2)
        self.assertAlmostEqual(self.emp_agent.aftersales_last_score, 67.9)
        self.assertIn(
            self.emp_agent,
            self.env["hr.employee"].search([("aftersales_needs_training", "=", True)]),
        )

    def test_cron_builds_last_month(self):
        """On 3 November the job builds October, for every employee with a
        profile, with the values computed by hand in the tests above."""
        with freeze_time("2025-11-03 02:00:00"):
            self.Score._cron_build_last_period()
        scores = self.Score.search([("employee_id", "in", self.employees.ids)])
        self.assertEqual(scores.employee_id, self.employees)
        self.assertEqual(
            {(s.period_type, s.date_start, s.date_end, s.state) for s in scores},
            {("month", OCT, date(2025, 10, 31), "draft")},
        )
        totals = {s.employee_id: s.total_score for s in scores}
        self.assertAlmostEqual(totals[self.emp_agent], 67.9)
        self.assertAlmostEqual(totals[self.emp_agent2], 100.0)
        self.assertAlmostEqual(totals[self.emp_technician], 76.85, delta=0.05)
        self.assertAlmostEqual(totals[self.emp_manager], 73.6)

    def test_build_is_bounded_in_queries(self):
        """Query count does not depend on the number of tickets or employees."""
        self._build(employees=self.emp_agent)  # warm caches
        self.env.invalidate_all()
        # 53: one aggregate per indicator (four of them for the field), not per
        # ticket
        with self.assertQueryCount(54):
            self._build(employees=self.employees)


class TestPerformanceRules(PerformanceCase):
    def test_weights_must_sum_to_100(self):
        indicator = self.profile_agent.indicator_ids[0]
        with self.assertRaisesText(ValidationError, "must sum to 100%"):
            indicator.weight = 40.0
            self.env.flush_all()  # checked once the whole change is written
        self.env.invalidate_all()
        self.assertEqual(self.profile_agent.indicator_ids[0].weight, 30.0)
        with self.assertRaisesText(ValidationError, "must sum to 100%"):
            self.env["aftersales.performance.profile"].create(
                {
                    "name": "Half",
                    "role": "agent",
                    "indicator_ids": [
                        Command.create({"code": "satisfaction", "weight": 50.0})
                    ],
                }
            )
        # Moving weight between indicators in one save is fine
        first, second = self.profile_agent.indicator_ids[:2]
        self.profile_agent.write(
            {
                "indicator_ids": [
                    Command.update(first.id, {"weight": 40.0}),
                    Command.update(second.id, {"weight": 10.0}),
                ]
            }
        )
        self.assertEqual(self.profile_agent.total_weight, 100.0)

    def test_period_end_before_start(self):
        with self.assertRaisesText(ValidationError, "ends .* before it starts"):
            self.Score._build_scores("month", OCT, date_end=date(2025, 9, 30))
        self.assertFalse(self.Score.search([("date_start", "=", OCT)]))

    def test_locked_period_never_changes(self):
        scores = self._build(employees=self.employees, user=self.user_manager)
        scores.with_user(self.user_manager).action_lock()
        self.assertEqual(set(scores.mapped("state")), {"locked"})
        totals = scores.mapped("total_score")
        with self.assertRaisesText(UserError, "is locked"):
            self._build(employees=self.employees, user=self.user_manager)
        with self.assertRaisesText(UserError, "is locked"):
            scores.with_user(self.user_manager).action_recompute()
        with self.assertRaisesText(UserError, "locked period cannot be changed"):
            scores[0].with_user(self.user_manager).total_score = 1.0
        with self.assertRaises(UserError):
            scores.line_ids[0].with_user(self.user_manager).raw_value = 1.0
        with self.assertRaisesText(UserError, "cannot be deleted"):
            scores.with_user(self.user_manager).unlink()
        self.assertEqual(scores.mapped("total_score"), totals)
        # The cron leaves a locked period alone
        self.Score._cron_build_last_period()
        self.assertEqual(scores.exists(), scores)

    def test_hr_officer_sees_all_but_cannot_change(self):
        self._build(employees=self.employees)
        Score = self.Score.with_user(self.user_hr)
        seen = Score.search([("date_start", "=", OCT)])
        self.assertEqual(seen.employee_id, self.employees)
        with self.assertRaises(AccessError):
            seen[0].write({"target_score": 10.0})
        with self.assertRaises(AccessError):
            Score._build_scores("month", OCT)
        with self.assertRaises(AccessError):
            self.profile_agent.with_user(self.user_hr).target_score = 10.0

    def test_employee_sees_only_own(self):
        self._build(employees=self.employees)
        Score = self.Score.with_user(self.user_agent)
        own = Score.search([])
        self.assertEqual(own.employee_id, self.emp_agent)
        self.assertTrue(own.line_ids)
        other = self._score(self.emp_agent2).with_user(self.user_agent)
        with self.assertRaises(AccessError):
            other.read(["total_score"])
        with self.assertRaises(AccessError):
            own.write({"target_score": 10.0})
        with self.assertRaises(AccessError):
            own.action_lock()
        # Weights and targets are manager configuration
        with self.assertRaises(AccessError):
            self.profile_agent.indicator_ids[0].with_user(self.user_agent).target = 1

    def test_manager_recomputes_a_draft_period(self):
        scores = self._build(employees=self.employees, user=self.user_manager)
        self.env.cr.execute(
            "UPDATE aftersales_ticket_sla SET status = 'met' WHERE ticket_id = %s",
            [self.t4.id],
        )
        self.env.invalidate_all()
        scores.with_user(self.user_manager).action_recompute()
        score = self._score(self.emp_agent)
        self.assertEqual(self._values(score)["response_timeliness"][0], 75.0)
