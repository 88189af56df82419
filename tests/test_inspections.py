"""Periodic inspections: a scheduled job plans inspection visits ahead of
time from the warranty term, through the generic planner maintenance
contracts will reuse; a rerun (after a crash) never plans a due date twice."""

from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import mute_logger

from .common import AftersalesCase

WARRANTY_LOGGER = (
    "odoo.addons.aftersales_service.models.aftersales_inspection_plan_mixin"
)


class TestInspections(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.today = fields.Date.context_today(env["aftersales.warranty"])
        Term = env["aftersales.warranty.term"]
        cls.term = Term.create(
            {
                "name": "2 years, inspected twice a year",
                "duration": 2,
                "duration_unit": "year",
                "inspection_interval": 6,
                "inspection_lead_days": 30,
            }
        )
        cls.term_plain = Term.create({"name": "1 year", "duration": 1})
        cls.channel = env.ref("aftersales_service.channel_inspection")
        Lot = env["stock.lot"]
        cls.lots = Lot.create(
            [
                {"name": f"AC-INSP-{i}", "product_id": cls.product_ac.id}
                for i in range(6)
            ]
        )
        # Started 6 months minus 10 days ago: first inspection in about 10 days.
        cls.start_soon = cls.today - relativedelta(months=6) + timedelta(days=10)
        # Started 6 months minus 40 days ago: first inspection in about 40 days.
        cls.start_later = cls.today - relativedelta(months=6) + timedelta(days=40)
        Warranty = env["aftersales.warranty"]
        cls.w_soon = Warranty.create(cls._warranty_vals(cls.lots[0], cls.start_soon))
        cls.w_later = Warranty.create(cls._warranty_vals(cls.lots[1], cls.start_later))
        cls.w_plain = Warranty.create(
            cls._warranty_vals(cls.lots[2], cls.start_soon, term=cls.term_plain)
        )
        cls.w_void = Warranty.create(cls._warranty_vals(cls.lots[3], cls.start_soon))
        cls.w_void.write({"state": "void", "void_reason": "Returned"})
        # Inspected every 6 months but covered 180 days only: it ends a few
        # days before its first inspection, due in 10 days.
        cls.w_ending = Warranty.create(
            cls._warranty_vals(
                cls.lots[4],
                cls.start_soon,
                term=cls.term.copy(
                    {"name": "180 days", "duration": 180, "duration_unit": "day"}
                ),
            )
        )

    @classmethod
    def _warranty_vals(cls, lot, start, term=None):
        return {
            "partner_id": cls.customer.id,
            "lot_id": lot.id,
            "term_id": (term or cls.term).id,
            "delivery_date": start,
        }

    def _visits(self, warranties=None):
        domain = [("plan_res_model", "=", "aftersales.warranty")]
        if warranties:
            domain.append(("plan_res_id", "in", warranties.ids))
        return self.env["aftersales.visit"].search(domain, order="plan_due_date, id")

    def test_job_plans_the_due_inspections_ahead(self):
        created = self.env["aftersales.warranty"]._cron_generate_inspections()
        # Only the warranty whose inspection is due within 30 days, during
        # the warranty: w_soon in 10 days. Not w_later (in 40 days), not the
        # term without inspections, not the void one, not the one ending in
        # 5 days (before its inspection in 10).
        self.assertEqual(self.w_ending.end_date, self.start_soon + timedelta(days=179))
        self.assertLess(self.w_ending.end_date, self.today + timedelta(days=10))
        self.assertEqual(self.w_ending.state, "active")
        self.assertEqual(created, 1)
        visit = self._visits()
        self.assertEqual(visit.plan_res_id, self.w_soon.id)
        due = self.start_soon + relativedelta(months=6)
        self.assertTrue(self.today < due <= self.today + timedelta(days=30))
        self.assertEqual(visit.plan_due_date, due)
        self.assertEqual(visit.visit_type, "inspection")
        self.assertEqual(visit.state, "planned")
        self.assertFalse(visit.technician_id)
        self.assertEqual(visit.plan_source_name, self.w_soon.display_name)
        # The window: 9:00-11:00 on the due date, in the team's time zone.
        ticket = visit.ticket_id
        tz = pytz.timezone(ticket.team_id.resource_calendar_id.tz or "UTC")
        start = (
            tz.localize(datetime.combine(due, time(9)))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )
        self.assertEqual(
            (visit.planned_start, visit.planned_stop),
            (start, start + timedelta(hours=2)),
        )
        # Its ticket: the customer's unit on the inspection channel, planned
        # work: no service-level targets, no "we received your request"
        # e-mail, not a batch failure.
        self.assertEqual(ticket.channel_id, self.channel)
        self.assertTrue(ticket.is_planned_work)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.lot_id, self.lots[0])
        self.assertEqual(ticket.warranty_id, self.w_soon)
        self.assertEqual(ticket.team_id, self.team_point)
        self.assertIn("AC-INSP-0", ticket.subject)
        self.assertFalse(ticket.sla_ids)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "aftersales.ticket"), ("res_id", "=", ticket.id)]
            )
        )
        self.assertEqual(self.w_soon.inspection_visit_count, 1)

    def test_a_year_ahead_hand_computed(self):
        # Two tickets of a product in a week would open a batch-failure
        # incident; planned inspections are not failures.
        self.env.ref("aftersales_service.incident_level_1").min_ticket_count = 2
        created = self.env["aftersales.warranty"]._cron_generate_inspections(
            batch_size=2, horizon_days=365
        )
        # w_soon: due in 10 days and in 6 months + 10 days (the next, at 18
        # months, is beyond a year); w_later: in 40 days and 6 months + 40
        # days. Nothing else.
        expected = sorted(
            [
                (self.w_soon.id, self.start_soon + relativedelta(months=6)),
                (self.w_soon.id, self.start_soon + relativedelta(months=12)),
                (self.w_later.id, self.start_later + relativedelta(months=6)),
                (self.w_later.id, self.start_later + relativedelta(months=12)),
            ],
            key=lambda key: (key[1], key[0]),
        )
        visits = self._visits()
        self.assertEqual(created, 4)
        self.assertEqual(
            [(v.plan_res_id, v.plan_due_date) for v in visits],
            expected,
        )
        # One ticket per warranty and due date.
        self.assertEqual(len(visits.ticket_id), 4)
        self.assertFalse(self.env["aftersales.incident"].search([]))
        # Two inspections of one serial are not a repeat contact (which
        # would turn them red and call the manager), nor is the customer's
        # own call about the unit a repeat of an inspection.
        self.assertFalse(visits.ticket_id.filtered("is_repeat"))
        self.assertNotIn("red", visits.ticket_id.mapped("traffic_light"))
        call = self._create_ticket(lot_id=self.lots[0].id)
        self.assertFalse(call.is_repeat)
        again = self._create_ticket(lot_id=self.lots[0].id)
        self.assertEqual(again.repeat_of_id, call)

    def test_rerun_plans_nothing_twice(self):
        Warranty = self.env["aftersales.warranty"]
        self.assertEqual(Warranty._cron_generate_inspections(horizon_days=365), 4)
        tickets = self.env["aftersales.ticket"].search_count([])
        self.assertEqual(Warranty._cron_generate_inspections(horizon_days=365), 0)
        self.assertEqual(Warranty._cron_generate_inspections(), 0)
        self.assertEqual(len(self._visits()), 4)
        self.assertEqual(self.env["aftersales.ticket"].search_count([]), tickets)
        # The unique key holds even for a visit written by hand.
        visit = self._visits()[0]
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            visit.copy(
                {
                    "plan_res_model": visit.plan_res_model,
                    "plan_res_id": visit.plan_res_id,
                    "plan_due_date": visit.plan_due_date,
                }
            )
            self.env.flush_all()

    def test_interrupted_run_loses_nothing(self):
        """A run stopped after its first batch (a crash after the commit, or
        the cron's time budget) keeps that batch; the next run plans the
        rest, and the cron's progress says what remains."""
        cron = self.env.ref("aftersales_service.ir_cron_aftersales_inspections")
        cron, progress = cron._add_progress()
        Warranty = self.env["aftersales.warranty"].with_context(cron.env.context)
        self.assertEqual(
            Warranty._cron_generate_inspections(
                batch_size=1, limit=1, horizon_days=365
            ),
            1,
        )
        self.assertEqual((progress.done, progress.remaining), (1, 3))
        self.assertEqual(len(self._visits()), 1)
        cron, progress = cron._add_progress()
        Warranty = Warranty.with_context(cron.env.context)
        self.assertEqual(Warranty._cron_generate_inspections(horizon_days=365), 3)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
        visits = self._visits()
        self.assertEqual(len(visits), 4)
        self.assertEqual(
            len({(v.plan_res_id, v.plan_due_date) for v in visits}), len(visits)
        )

    def test_bad_warranty_does_not_hold_up_the_others(self):
        # A warranty imported with the wrong product for its serial: its
        # ticket is refused, the others are planned.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE aftersales_warranty SET product_id = %s WHERE id = %s",
            [self.product_washer.id, self.w_soon.id],
        )
        self.env.invalidate_all()
        with self.assertLogs(WARRANTY_LOGGER, level="WARNING") as logs:
            created = self.env["aftersales.warranty"]._cron_generate_inspections(
                horizon_days=365
            )
        self.assertEqual(created, 2)
        self.assertEqual(self._visits().mapped("plan_res_id"), [self.w_later.id] * 2)
        self.assertIn(self.w_soon.name, logs.output[0])

    def test_planner_is_generic_and_batched(self):
        """What a maintenance contract will call: any source record, several
        due dates, one ticket and one visit create per batch."""
        Visit = self.env["aftersales.visit"]
        contract = self.customer_vip  # stands for a contract record
        due = self.today + timedelta(days=20)

        def plans(lots):
            return [
                {
                    "source": contract,
                    "partner": self.customer_vip_contact,
                    "lot": lot,
                    "product": lot.product_id,
                    "due_dates": [due, due + relativedelta(months=3), due],
                    "visit_vals": {"note": "Yearly maintenance"},
                }
                for lot in lots
            ]

        visits = Visit._plan_periodic_visits(plans(self.lots[5]), self.channel)
        self.assertEqual(len(visits), 2)  # the repeated due date counts once
        self.assertEqual(visits.mapped("plan_res_model"), ["res.partner"] * 2)
        self.assertEqual(visits.mapped("note"), ["Yearly maintenance"] * 2)
        self.assertEqual(visits.ticket_id.partner_id, self.customer_vip_contact)
        self.assertFalse(Visit._plan_periodic_visits(plans(self.lots[5]), self.channel))
        # Query count does not grow with the number of plans (same customer).
        lots = self.env["stock.lot"].create(
            [
                {"name": f"AC-MORE-{i}", "product_id": self.product_ac.id}
                for i in range(8)
            ]
        )

        def queries(lots):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Visit._plan_periodic_visits(plans(lots), self.channel)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(lots[:2]), queries(lots[2:]))

    def test_roles_on_planned_inspections(self):
        self.env["aftersales.warranty"]._cron_generate_inspections(horizon_days=365)
        visits = self._visits()
        # The dispatcher sees the team's inspections and assigns them.
        Visit = self.env(user=self.user_team)["aftersales.visit"]
        self.assertEqual(Visit.search([("id", "in", visits.ids)]), visits)
        visits[0].with_user(self.user_team).technician_id = self.emp_technician
        # The technician sees only the inspection assigned to them.
        Visit = self.env(user=self.user_technician)["aftersales.visit"]
        self.assertEqual(Visit.search([("id", "in", visits.ids)]), visits[0])
        # An agent owns none of these tickets: they see none.
        Visit = self.env(user=self.user_agent)["aftersales.visit"]
        self.assertFalse(Visit.search([("id", "in", visits.ids)]))

    def test_term_inspection_settings(self):
        term = self.term.with_user(self.user_manager)
        with (
            self.assertRaisesRegex(ValidationError, "cannot be negative"),
            self.env.cr.savepoint(),
        ):
            term.inspection_interval = -6
        self.assertEqual(self.term.inspection_interval, 6)
        with self.assertRaises(AccessError):
            self.term.with_user(self.user_team).inspection_interval = 3
