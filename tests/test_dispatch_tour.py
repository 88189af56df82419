"""The technician's visits of the day, on a phone."""

from datetime import datetime, timedelta

import pytz

from odoo import fields

from .common import AftersalesHttpCase


class TestMyVisitsTodayPhoneTour(AftersalesHttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_technician_opens_todays_visits_on_the_phone(self):
        # A time zone where it is morning now, so that both visits are today
        # and the first one is within the two hours before its window.
        now = fields.Datetime.now()
        offset = next(k for k in range(-10, 15) if 6 <= (now.hour + k) % 24 <= 12)
        tz = f"Etc/GMT{-offset:+d}" if offset else "UTC"
        self.assertEqual(
            pytz.utc.localize(now).astimezone(pytz.timezone(tz)).hour,
            (now.hour + offset) % 24,
        )
        self.user_technician.tz = tz
        self.emp_technician.tz = tz
        self.customer.write({"street": "88 Canal Street", "city": "Hangzhou"})
        start = datetime.combine(now.date(), now.time().replace(microsecond=0))
        morning_ticket = self._create_ticket(
            symptom="Blows warm air", lot_id=self.lot_ac1.id
        )
        afternoon_ticket = self._create_ticket(symptom="Water under the unit")
        Visit = self.env["aftersales.visit"]
        afternoon = Visit.create(
            {
                "ticket_id": afternoon_ticket.id,
                "technician_id": self.emp_technician.id,
                "planned_start": start + timedelta(hours=4),
                "planned_stop": start + timedelta(hours=5),
                "outside_hours_confirmed": True,
            }
        )
        morning = Visit.create(
            {
                "ticket_id": morning_ticket.id,
                "technician_id": self.emp_technician.id,
                "planned_start": start + timedelta(hours=1),
                "planned_stop": start + timedelta(hours=2),
                "outside_hours_confirmed": True,
            }
        )
        self.assertLess(morning.planned_start, afternoon.planned_start)
        self.start_tour(
            "/odoo/action-aftersales_service.aftersales_visit_action_server_my_today",
            "aftersales_my_visits_tour",
            login="as_tech",
        )
        self.assertIn(
            "Li Technician revealed the customer",
            " ".join(morning.message_ids.mapped("body")),
        )
