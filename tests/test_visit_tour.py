from datetime import datetime, time, timedelta

import pytz

from odoo import fields

from .common import AftersalesHttpCase


class VisitTourCase(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write(
            {"street": "88 Canal Street", "city": "Hangzhou", "tz": "Asia/Shanghai"}
        )
        cls.user_technician.tz = "Asia/Shanghai"
        cls.ticket = cls._create_ticket(
            technician_id=cls.emp_technician.id, lot_id=cls.lot_ac1.id
        )
        # today 10:00-12:00 in Shanghai
        shanghai = pytz.timezone("Asia/Shanghai")
        today = fields.Date.context_today(cls.customer.with_context(tz="Asia/Shanghai"))
        start = shanghai.localize(datetime.combine(today, time(10, 0)))
        start = start.astimezone(pytz.utc).replace(tzinfo=None)
        cls.visit = cls.env(user=cls.user_team)["aftersales.visit"].create(
            {
                "ticket_id": cls.ticket.id,
                "technician_id": cls.emp_technician.id,
                "planned_start": start,
                "planned_stop": start + timedelta(hours=2),
                # today may be a weekend day for the technician's calendar
                "outside_hours_confirmed": True,
            }
        )
        cls.visit.action_confirm()
        cls.visit.with_user(cls.user_technician).action_check_in()


class TestVisitSignTour(VisitTourCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_technician_has_the_report_signed_on_the_phone(self):
        action = self.env.ref("aftersales_service.aftersales_visit_action")
        self.start_tour(
            f"/odoo/action-{action.id}", "aftersales_visit_sign_tour", login="as_tech"
        )
        self.assertEqual(self.visit.state, "done")
        self.assertEqual(self.visit.signed_by, "Wu Customer Portal")
        self.assertTrue(self.visit.signature)
        self.assertIn("Replaced the start capacitor", self.visit.work_done)
        self.assertTrue(self.visit.report_attachment_id)


class TestVisitPortalSignTour(VisitTourCase):
    def test_customer_signs_the_report_on_the_portal(self):
        self.visit.with_user(self.user_technician).write(
            {"work_done": "<p>Replaced the start capacitor.</p>"}
        )
        self.visit.with_user(self.user_technician).action_check_out()
        self.start_tour(
            self.visit.get_portal_url(), "aftersales_visit_portal_sign_tour"
        )
        self.assertEqual(self.visit.state, "done")
        self.assertEqual(self.visit.signed_by, "Wu Customer Portal")
        self.assertTrue(self.visit.report_attachment_id)
