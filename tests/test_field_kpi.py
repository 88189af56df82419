"""Field KPIs: share resolved remotely, first-time fix by visits, visits per
ticket, on-site arrival compliance, no-show rate and registration-to-signed-
report time, against a small case computed by hand, in the KPI report, the
workbook and the technician's scorecard.

The case (October 2025, times in UTC; every ticket is solved):

=====  ==========  ================================================  ===========
ticket received    visits (technician: A = Li, B = Wang)              SLA arrival
=====  ==========  ================================================  ===========
T1     06th 01:00  V1 A in 04:00, signed 05:00                        by 05:00
T2     07th 01:00  V2 A no-show; V3 A (8th) in 03:00, signed 05:00    by 05:00
T3     08th 06:00  V4 B in 08:00, signed 09:00; V5 A (9th) window     by 10:00
                   06:00-08:00, in 08:30, signed 09:30
T4     09th 01:00  remote support; V6 A cancelled                     none
=====  ==========  ================================================  ===========

The first arrival of a ticket is measured against its SLA arrival target,
later ones against the end of their window: V1 on time, V3 late (a day after
the target), V4 on time, V5 late (after its window).
"""

import io
from datetime import date, datetime, timedelta

import openpyxl

from odoo import Command
from odoo.tests import Form

from .common import AftersalesCase

OCT = date(2025, 10, 1)


def dt(day, hour, minute=0):
    return datetime(2025, 10, day, hour, minute)


class FieldKpiCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.profile_tech = env.ref("aftersales_service.performance_profile_technician")
        (
            cls.emp_technician | cls.emp_technician2
        ).aftersales_profile_id = cls.profile_tech
        cls.team_point.technician_ids = [Command.link(cls.emp_technician2.id)]
        cls.tech_a, cls.tech_b = cls.emp_technician, cls.emp_technician2

        def ticket(received, mode):
            return cls._create_ticket(
                team_id=cls.team_point.id,
                technician_id=cls.tech_a.id,
                received_date=received,
                resolution_mode=mode,
            )

        cls.t1 = ticket(dt(6, 1), "onsite")
        cls.t2 = ticket(dt(7, 1), "onsite")
        cls.t3 = ticket(dt(8, 6), "onsite")
        cls.t4 = ticket(dt(9, 1), "remote")
        cls.tickets = cls.t1 | cls.t2 | cls.t3 | cls.t4
        env.flush_all()
        # The service levels' on-site arrival targets: 4 hours for T1-T3.
        env.cr.execute(
            "DELETE FROM aftersales_ticket_sla WHERE ticket_id = ANY(%s)",
            [cls.tickets.ids],
        )
        env.cr.execute(
            """INSERT INTO aftersales_ticket_sla
                   (ticket_id, company_id, target_type, target_hours, start_date,
                    deadline, status, elapsed_hours, paused_hours, warning_share)
               SELECT id, company_id, 'arrival', 4.0, received_date,
                      received_date + interval '4 hours', 'on_time', 0, 0, 75
                 FROM aftersales_ticket WHERE id = ANY(%s)""",
            [(cls.t1 | cls.t2 | cls.t3).ids],
        )
        env.invalidate_all()

        def visit(ticket, tech, start, hours=2):
            return env["aftersales.visit"].create(
                {
                    "ticket_id": ticket.id,
                    "technician_id": tech.id,
                    "planned_start": start,
                    "planned_stop": start + timedelta(hours=hours),
                    "outside_hours_confirmed": True,
                }
            )

        cls.v1 = visit(cls.t1, cls.tech_a, dt(6, 3))
        cls.v2 = visit(cls.t2, cls.tech_a, dt(7, 2))
        cls.v3 = visit(cls.t2, cls.tech_a, dt(8, 2))
        cls.v4 = visit(cls.t3, cls.tech_b, dt(8, 7))
        cls.v5 = visit(cls.t3, cls.tech_a, dt(9, 6))
        cls.v6 = visit(cls.t4, cls.tech_a, dt(10, 2))
        cls.visits = cls.v1 | cls.v2 | cls.v3 | cls.v4 | cls.v5 | cls.v6

        def made(visit, check_in, signed):
            visit.write({"state": "on_site", "check_in_date": check_in})
            visit.write(
                {
                    "state": "done",
                    "check_out_date": signed,
                    "signed_on": signed,
                    "signed_by": "Wu Customer",
                }
            )

        made(cls.v1, dt(6, 4), dt(6, 5))
        cls.v2.write({"state": "no_show", "cancel_reason": "Nobody at home."})
        made(cls.v3, dt(8, 3), dt(8, 5))
        made(cls.v4, dt(8, 8), dt(8, 9))
        made(cls.v5, dt(9, 8, 30), dt(9, 9, 30))
        cls.v6.write({"state": "cancelled", "cancel_reason": "Fixed remotely."})
        cls.tickets.write({"stage_id": cls.stage_solved.id})
        for ticket, closed in zip(
            cls.tickets, (dt(6, 6), dt(8, 6), dt(9, 10), dt(9, 3)), strict=True
        ):
            ticket.closed_date = closed
        env.flush_all()


class TestFieldKpiFields(FieldKpiCase):
    def test_visits_arrival_against_sla_then_window(self):
        self.assertEqual(
            self.visits.mapped("arrival_status"),
            ["on_time", False, "late", "on_time", "late", False],
        )
        # first arrivals: the SLA target; a later visit: its window's end
        self.assertEqual(self.v1.arrival_target_date, dt(6, 5))
        self.assertEqual(self.v3.arrival_target_date, dt(7, 5))
        self.assertEqual(self.v4.arrival_target_date, dt(8, 10))
        self.assertEqual(self.v5.arrival_target_date, dt(9, 8))

    def test_tickets_visits_made_first_time_fix_remote(self):
        self.assertEqual(self.tickets.mapped("field_visit_count"), [1, 2, 2, 0])
        self.assertEqual(
            self.tickets.mapped("visit_first_time_fix"), [True, False, False, False]
        )
        self.assertEqual(
            self.tickets.mapped("resolved_remotely"), [False, False, False, True]
        )
        self.assertEqual(
            [round(h, 2) for h in self.tickets.mapped("report_signed_hours")],
            [4.0, 28.0, 3.0, 0.0],
        )

    def test_an_earlier_arrival_moves_the_sla_measure(self):
        """An open ticket (SLA arrival by 05:00): its first visit, in at
        04:30, is on time against the SLA; another visit checked in earlier
        (01:30) becomes the first arrival, and the 04:30 one is measured
        against its own window (02:00-04:00): late."""
        ticket = self._create_ticket(
            team_id=self.team_point.id, received_date=dt(10, 1), priority="1"
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE aftersales_ticket_sla SET deadline = %s "
            "WHERE ticket_id = %s AND target_type = 'arrival'",
            [dt(10, 5), ticket.id],
        )
        self.env.invalidate_all()
        Visit = self.env["aftersales.visit"]
        second = Visit.create(
            {
                "ticket_id": ticket.id,
                "technician_id": self.tech_b.id,
                "planned_start": dt(10, 2),
                "planned_stop": dt(10, 4),
                "outside_hours_confirmed": True,
            }
        )
        second.write({"state": "on_site", "check_in_date": dt(10, 4, 30)})
        self.assertEqual(second.arrival_target_date, dt(10, 5))
        self.assertEqual(second.arrival_status, "on_time")
        first = Visit.create(
            {
                "ticket_id": ticket.id,
                "technician_id": self.tech_a.id,
                "planned_start": dt(10, 1),
                "planned_stop": dt(10, 2),
                "outside_hours_confirmed": True,
            }
        )
        first.write({"state": "on_site", "check_in_date": dt(10, 1, 30)})
        self.assertEqual(first.arrival_target_date, dt(10, 5))
        self.assertEqual(first.arrival_status, "on_time")
        self.assertEqual(second.arrival_target_date, dt(10, 4))
        self.assertEqual(second.arrival_status, "late")
        self.assertEqual(ticket.field_visit_count, 2)

    def test_flow_check_in_meets_the_arrival_target(self):
        """Through the technician's own check-in: the ticket's SLA arrival
        target (urgent policy: 24 hours) is met, the visit is on time."""
        ticket = self._create_ticket(
            technician_id=self.tech_a.id, team_id=self.team_point.id, priority="1"
        )
        arrival = ticket.sla_ids.filtered(lambda line: line.target_type == "arrival")
        self.assertTrue(arrival.deadline)
        start = datetime.now().replace(microsecond=0) - timedelta(hours=1)
        stop = start + timedelta(hours=2)
        visit = self.env["aftersales.visit"].create(
            {
                "ticket_id": ticket.id,
                "technician_id": self.tech_a.id,
                "planned_start": start,
                "planned_stop": stop,
                "outside_hours_confirmed": True,
            }
        )
        self.assertFalse(visit.arrival_status)
        visit.with_user(self.user_technician).action_check_in()
        self.assertEqual(visit.arrival_target_date, arrival.deadline)
        self.assertEqual(visit.arrival_status, "on_time")
        self.assertEqual(ticket.field_visit_count, 1)
        self.assertFalse(ticket.visit_first_time_fix, "not solved yet")

    def test_field_kpis_computed_in_bounded_queries(self):
        """The ticket and visit KPIs are computed for a batch with the same
        number of queries whatever its size (one aggregate each)."""

        def recompute(tickets):
            visits = tickets.visit_ids
            for fname in ("field_visit_count", "visit_first_time_fix"):
                self.env.add_to_compute(tickets._fields[fname], tickets)
            for fname in ("arrival_status", "arrival_target_date"):
                self.env.add_to_compute(visits._fields[fname], visits)
            before = self.cr.sql_log_count
            self.env.flush_all()
            return self.cr.sql_log_count - before

        self.env.invalidate_all()
        small = recompute(self.t1 | self.t4)
        self.env.invalidate_all()
        big = recompute(self.tickets)
        self.assertEqual(small, big)
        self.env.invalidate_all()
        with self.assertQueryCount(8):
            recompute(self.tickets)


class TestFieldKpiReport(FieldKpiCase):
    MEASURES = [
        "ticket_count:sum",
        "resolved_remotely:avg",
        "visit_first_time_fix:avg",
        "visit_count:sum",
        "visits_per_ticket:avg",
        "arrival_count:sum",
        "arrival_on_time_count:sum",
        "arrival_compliance:avg",
        "no_show_count:sum",
        "no_show_rate:avg",
        "report_signed_hours:avg",
    ]

    def test_kpi_report(self):
        [row] = self.env["aftersales.kpi.report"]._read_group(
            [("ticket_id", "in", self.tickets.ids)], [], self.MEASURES
        )
        kpis = dict(zip(self.MEASURES, row, strict=True))
        expected = {
            "ticket_count:sum": 4,
            "resolved_remotely:avg": 25.0,  # T4 of 4 solved
            "visit_first_time_fix:avg": 100.0 / 3,  # T1 of T1-T3 (visited)
            "visit_count:sum": 5,  # V6 cancelled is not a visit made
            "visits_per_ticket:avg": 5.0 / 3,  # 1, 2, 2
            "arrival_count:sum": 4,
            "arrival_on_time_count:sum": 2,  # V1, V4
            "arrival_compliance:avg": 50.0,  # T1 100, T2 0, T3 50
            "no_show_count:sum": 1,
            "no_show_rate:avg": 50.0 / 3,  # T1 0, T2 50, T3 0
            "report_signed_hours:avg": 35.0 / 3,  # 4, 28, 3 (T4: none)
        }
        for measure, value in expected.items():
            self.assertAlmostEqual(kpis[measure], value, places=2, msg=measure)

    def test_kpi_report_by_technician(self):
        """The ticket's technician is A for all four: grouped the same."""
        rows = self.env["aftersales.kpi.report"]._read_group(
            [("ticket_id", "in", self.tickets.ids)],
            ["technician_id"],
            ["visit_first_time_fix:avg", "resolved_remotely:avg"],
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], self.tech_a)
        self.assertAlmostEqual(rows[0][1], 100.0 / 3)

    def test_workbook_field_sheet_and_summary(self):
        form = Form(self.env(user=self.user_manager)["aftersales.kpi.workbook.wizard"])
        form.date_from = OCT
        form.date_to = date(2025, 10, 31)
        form.team_id = self.team_point
        wizard = form.save()
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(wizard.attachment_id.raw))
        self.assertIn("Field Service", book.sheetnames)
        summary = {
            row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)
        }
        self.assertAlmostEqual(summary["Resolved remotely"], 0.25)
        self.assertAlmostEqual(summary["First-time fix by visits"], 1 / 3)
        self.assertAlmostEqual(summary["Visits per ticket"], 5 / 3)
        self.assertAlmostEqual(summary["On-site arrival compliance"], 0.5)
        self.assertAlmostEqual(summary["No-show rate"], 1 / 6)
        # hours shown as [h]:mm: Excel days
        self.assertAlmostEqual(
            summary["Registration to signed report (hh:mm)"],
            timedelta(hours=35 / 3),
            delta=timedelta(seconds=1),
        )
        rows = [list(r) for r in book["Field Service"].iter_rows(values_only=True)]
        self.assertEqual(rows[0][:3], ["Technician", "Visits made", "Arrivals on site"])
        by_tech = {row[0]: row[1:] for row in rows[1:]}
        # A: V1, V2 (no-show), V3, V5; on time V1; 1 h + 2 h + 1 h on site;
        # first signed reports: T1 (4 h) and T2 (28 h)
        a = by_tech["Li Technician"]
        self.assertEqual(a[:3], [4, 3, 1])
        self.assertAlmostEqual(a[3], 1 / 3)  # arrival compliance
        self.assertEqual(a[4:6], [1, 0.25])  # no-shows, no-show rate
        self.assertEqual(a[6], timedelta(hours=4))
        self.assertEqual(a[7], 2)
        self.assertAlmostEqual(a[8], timedelta(hours=16), delta=timedelta(seconds=1))
        b = by_tech["Wang Technician"]
        self.assertEqual(b[:6], [1, 1, 1, 1, 0, 0])
        self.assertEqual(b[7:], [1, timedelta(hours=3)])
        # per ticket: visits made, fixed in one visit, arrival compliance
        tickets = {
            row[0]: row[15:19]
            for row in book["Tickets and SLA"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(tickets[self.t1.name], (1, 1, 1, timedelta(hours=4)))
        self.assertEqual(tickets[self.t3.name][:3], (2, 0, 0.5))
        self.assertEqual(tickets[self.t4.name], (0, None, None, None))


class TestFieldKpiScorecard(FieldKpiCase):
    def _values(self, employee):
        score = self.env["aftersales.performance.score"].search(
            [("employee_id", "=", employee.id), ("date_start", "=", OCT)]
        )
        return score, {
            line.code: (
                round(line.raw_value, 2),
                line.sample_size,
                round(line.score, 2),
            )
            for line in score.line_ids
        }

    def test_technician_scorecard(self):
        self.env["aftersales.performance.score"]._build_scores(
            "month", OCT, employees=self.tech_a | self.tech_b
        )
        score, values = self._values(self.tech_a)
        # V1 on time, V3 and V5 late: 1 / 3 against a 95 % target
        self.assertEqual(values["arrival_compliance"], (33.33, 3, 35.09))
        # V2 no-show of V1, V2, V3, V5; lower is better, target 5 %
        self.assertEqual(values["no_show_rate"], (25.0, 4, 20.0))
        # T1, T2, T3 solved with A on site; T1 with one visit; target 85 %
        self.assertEqual(values["visit_first_time_fix"], (33.33, 3, 39.22))
        # first signed reports on A's visits: T1 4 h, T2 28 h; target 24 h
        self.assertEqual(values["report_signed_time"], (16.0, 2, 100.0))
        # shown on the scorecard, weighted 0: the total is the other lines'
        self.assertFalse(
            score.line_ids.filtered(
                lambda line: line.code == "arrival_compliance"
            ).weight
        )
        _score_b, values_b = self._values(self.tech_b)
        self.assertEqual(values_b["arrival_compliance"], (100.0, 1, 100.0))
        self.assertEqual(values_b["no_show_rate"], (0.0, 1, 100.0))
        self.assertEqual(values_b["visit_first_time_fix"], (0.0, 1, 0.0))
        self.assertEqual(values_b["report_signed_time"], (3.0, 1, 100.0))

    def test_weight_zero_indicator_alone_does_not_score(self):
        """A technician with visits only (no solved ticket of their own, no
        SLA line, part or callback): the field lines have data but weigh 0,
        so the total is not 0-and-below-target."""
        self.env["aftersales.performance.score"]._build_scores(
            "month", OCT, employees=self.tech_b
        )
        score, values = self._values(self.tech_b)
        self.assertEqual(values["arrival_compliance"][1], 1)
        self.assertFalse(score.below_target)
        self.assertEqual(score.total_score, 0.0)

    def test_weighted_field_indicator_counts(self):
        """Given a weight, a field indicator scores like any other."""
        profile = self.profile_tech.copy({"name": "Field Technician"})
        weights = {"resolution_success": 0, "arrival_compliance": 40}
        profile.write(
            {
                "indicator_ids": [
                    Command.update(i.id, {"weight": weights[i.code]})
                    for i in profile.indicator_ids
                    if i.code in weights
                ]
            }
        )
        self.tech_b.aftersales_profile_id = profile
        self.env["aftersales.performance.score"]._build_scores(
            "month", OCT, employees=self.tech_b
        )
        score, _values = self._values(self.tech_b)
        self.assertEqual(score.total_score, 100.0)
