"""Field visits: the skeleton of a visit's life as the real roles."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import AftersalesCase


class TestVisitBasics(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._create_ticket(
            technician_id=cls.emp_technician.id, lot_id=cls.lot_ac1.id
        )
        cls.start = cls._working_window()[0]

    def _visit(self, env=None, **vals):
        env = env or self.env(user=self.user_team)
        values = {
            "ticket_id": self.ticket.id,
            "technician_id": self.emp_technician.id,
            "planned_start": self.start,
            "planned_stop": self.start + timedelta(hours=2),
        }
        values.update(vals)
        return env["aftersales.visit"].create(values)

    def test_reference_team_and_count(self):
        visit = self._visit()
        self.assertTrue(visit.name.startswith("FV"))
        self.assertEqual(visit.team_id, self.ticket.team_id)
        self.assertEqual(visit.company_id, self.ticket.company_id)
        self.assertEqual(self.ticket.visit_count, 1)

    def test_technician_checks_in_and_out(self):
        visit = self._visit()
        tech_visit = visit.with_user(self.user_technician)
        tech_visit.action_check_in()
        self.assertEqual(visit.state, "on_site")
        self.assertTrue(visit.check_in_date)
        tech_visit.action_check_out()
        self.assertTrue(visit.check_out_date)
        self.assertGreaterEqual(visit.duration, 0.0)

    def test_check_out_before_check_in_refused(self):
        visit = self._visit()
        with self.assertRaisesRegex(UserError, "check in on site before checking out"):
            visit.with_user(self.user_technician).action_check_out()
        self.assertFalse(visit.check_out_date)

    def test_window_end_before_start_refused(self):
        with self.assertRaisesRegex(ValidationError, "end of the window"):
            self._visit(planned_stop=self.start - timedelta(hours=1))

    def test_technician_cannot_plan_or_see_others(self):
        with self.assertRaises(AccessError):
            self._visit(env=self.env(user=self.user_technician))
        other = self._visit(env=self.env, technician_id=self.emp_technician2.id)
        with self.assertRaises(AccessError):
            other.with_user(self.user_technician).check_access("read")

    def test_portal_sees_only_own_visits(self):
        own = self._visit()
        other_ticket = self._create_ticket(partner_id=self.customer_other.id)
        other = self._visit(
            ticket_id=other_ticket.id,
            planned_start=self.start + timedelta(hours=3),
            planned_stop=self.start + timedelta(hours=5),
        )
        Visit = self.env(user=self.portal_user)["aftersales.visit"]
        self.assertEqual(Visit.search([]), own)
        with self.assertRaises(AccessError):
            other.with_user(self.portal_user).check_access("read")

    def test_closed_ticket_refuses_new_visit(self):
        self.ticket.stage_id = self.stage_solved
        with self.assertRaisesRegex(UserError, "ticket is closed"):
            self._visit()
