from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError

from .test_sla_common import SlaCase, at


class TestIncident(SlaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level_1 = cls.env.ref("aftersales_service.incident_level_1")
        cls.level_2 = cls.env.ref("aftersales_service.incident_level_2")
        cls.level_3 = cls.env.ref("aftersales_service.incident_level_3")
        levels = cls.level_1 | cls.level_2 | cls.level_3
        cls.shipped_plan = [
            (
                lvl.level,
                lvl.min_ticket_count,
                lvl.window_days,
                lvl.response_hours,
                lvl.recall_hours,
                lvl.recipient,
                lvl.user_id,
            )
            for lvl in levels
        ]
        # Small thresholds for the tests: level 1 from 3, 2 from 5, 3 from 8
        cls.level_1.min_ticket_count = 3
        cls.level_2.min_ticket_count = 5
        cls.level_3.write({"min_ticket_count": 8, "user_id": cls.user_manager.id})
        cls.Incident = cls.env["aftersales.incident"]

    def _tickets(self, when, count, **overrides):
        overrides.setdefault("product_id", self.product_washer.id)
        with freeze_time(when):
            return self.env["aftersales.ticket"].create(
                [self._ticket_vals(**overrides) for __ in range(count)]
            )

    def _open_incident(self, **domain):
        return self.Incident.search(
            [("state", "=", "open")] + [(k, "=", v) for k, v in domain.items()]
        )

    def test_default_thresholds_follow_the_emergency_plan(self):
        """The shipped plan (read before this class lowered it): 10, 50 and
        more than 200 tickets of a product or lot within 7 days; answers due
        in 48, 72 and 12 hours; a recall plan within 48 hours at level 3."""
        admin = self.env.ref("base.user_admin")
        no_user = self.env["res.users"]
        self.assertEqual(
            self.shipped_plan,
            [
                (1, 10, 7, 48.0, 0.0, "regional_manager", no_user),
                (2, 50, 7, 72.0, 0.0, "head_of_service", no_user),
                (3, 201, 7, 12.0, 48.0, "user", admin),
            ],
        )

    def test_cluster_opens_then_raises_the_incident(self):
        self._tickets(at(0, 9), 2, partner_id=self.customer_other.id)
        self.assertFalse(self._open_incident(product_id=self.product_washer.id))
        third = self._tickets(at(0, 10), 1)
        incident = self._open_incident(
            product_id=self.product_washer.id, scope="product"
        )
        self.assertEqual(incident.level_id, self.level_1)
        self.assertEqual(incident.ticket_count, 3)
        self.assertEqual(len(incident.ticket_ids), 3)
        self.assertIn(third, incident.ticket_ids)
        # level 1: the regional manager of the latest ticket's team, 48 h
        self.assertEqual(incident.responsible_user_id, self.user_regional)
        self.assertEqual(incident.response_deadline, at(0, 10) + timedelta(hours=48))
        self.assertFalse(incident.recall_deadline)
        self.assertIn(self.user_regional.partner_id, incident.message_ids.partner_ids)
        # New tickets join the open incident and raise it to level 2 (HQ)
        later = self._tickets(at(1, 10), 2)
        self.assertEqual(
            self._open_incident(product_id=self.product_washer.id), incident
        )
        self.assertLessEqual(later, incident.ticket_ids)
        self.assertEqual(incident.level_id, self.level_2)
        self.assertEqual(incident.responsible_user_id, self.user_manager)
        self.assertEqual(incident.response_deadline, at(1, 10) + timedelta(hours=72))
        activity = incident.activity_ids.filtered(
            lambda a: a.user_id == self.user_manager
        )
        self.assertTrue(activity)

    def test_level_3_in_one_batch_with_recall_plan(self):
        self._tickets(at(0, 9), 8)
        incident = self._open_incident(product_id=self.product_washer.id)
        self.assertEqual(incident.level_id, self.level_3)
        self.assertEqual(incident.responsible_user_id, self.user_manager)
        self.assertEqual(incident.response_deadline, at(0, 21))
        self.assertEqual(incident.recall_deadline, at(2, 9))

    def test_window_is_rolling(self):
        self._tickets(at(0, 9) - timedelta(days=8), 2)
        self._tickets(at(0, 9), 2)
        self.assertFalse(self._open_incident(product_id=self.product_washer.id))
        self._tickets(at(0, 10), 1)
        incident = self._open_incident(product_id=self.product_washer.id)
        self.assertEqual(incident.ticket_count, 3, "tickets older than 7 days left out")

    def test_lot_cluster(self):
        lot = self.lot_ac1
        self._tickets(at(0, 9), 3, product_id=self.product_ac.id, lot_id=lot.id)
        incident = self._open_incident(lot_id=lot.id)
        self.assertEqual(incident.scope, "lot")
        self.assertEqual(incident.level_id, self.level_1)

    def test_counting_is_one_aggregate_query(self):
        self._tickets(at(0, 9), 3)
        tickets = self._tickets(at(0, 10), 3)
        self.env.flush_all()
        self.env.invalidate_all()
        with freeze_time(at(0, 10)), self.assertQueryCount(__system__=11):
            # levels, one _read_group, open incidents, link, count, level
            self.Incident._register_tickets(tickets)
            self.env.flush_all()

    def test_thresholds_out_of_order_are_refused(self):
        with self.assertRaises(ValidationError) as error:
            self.level_2.min_ticket_count = 2
        self.assertEqual(
            str(error.exception),
            "Batch-failure thresholds out of order: level 2 starts at 2 tickets, "
            "not above level 1 (3 tickets).",
        )
        self.assertEqual(self.level_2.min_ticket_count, 5)

    def test_roles(self):
        self._tickets(at(0, 9), 3)
        incident = self._open_incident(product_id=self.product_washer.id)
        self.assertTrue(incident.with_user(self.user_agent).read(["name"]))
        with self.assertRaises(AccessError):
            incident.with_user(self.user_agent).action_close()
        with self.assertRaises(AccessError):
            incident.with_user(self.user_technician).read(["name"])
        incident.with_user(self.user_team).action_close()
        self.assertEqual(incident.state, "closed")
