from datetime import timedelta

from odoo import fields

from .common import AftersalesHttpCase


class TestPortalTours(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        term = cls.env["aftersales.warranty.term"].create(
            {"name": "AC one year", "duration": 1, "duration_unit": "year"}
        )
        cls.warranty = cls.env["aftersales.warranty"].create(
            {
                "partner_id": cls.customer.id,
                "lot_id": cls.lot_ac1.id,
                "term_id": term.id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )

    def test_customer_requests_follows_and_confirms(self):
        self.start_tour("/my/home", "aftersales_portal_request_tour", login="as_portal")
        ticket = self.env["aftersales.ticket"].search(
            [("symptom", "=", "The unit blows warm air since yesterday")]
        )
        self.assertEqual(len(ticket), 1)
        self.assertRecordValues(
            ticket,
            [
                {
                    "partner_id": self.customer.id,
                    "lot_id": self.lot_ac1.id,
                    "priority": "1",
                    "frequency": "permanent",
                    "channel_id": self.env.ref("aftersales_service.channel_portal").id,
                }
            ],
        )
        self.assertEqual(ticket.message_ids.attachment_ids.mapped("name"), ["unit.png"])
        reply = ticket.message_ids.filtered(
            lambda m: "clicking noise" in (m.body or "")
        )
        self.assertEqual(reply.author_id, self.customer)
        response = ticket.sla_ids.filtered(lambda s: s.target_type == "response")
        self.assertFalse(response.reached_date)

        # the service answers and solves it
        ticket.with_user(self.user_manager).message_post(
            body="We replaced the fan motor.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(response.reached_date)
        ticket.stage_id = self.stage_solved
        callback = ticket.callback_ids
        self.assertTrue(callback, "closing plans the satisfaction callback")
        callback.sudo()._send_survey()

        answer = callback.sudo().user_input_id
        self.assertEqual(answer.partner_id, self.customer)
        self.assertFalse(callback.has_scores)

        self.start_tour(
            "/my/tickets?filterby=all",
            "aftersales_portal_confirm_tour",
            login="as_portal",
        )
        self.assertTrue(ticket.customer_confirmed_date)
        # the customer's survey answer, given in the browser, is on the callback
        self.assertEqual(answer.state, "done")
        self.assertRecordValues(
            callback,
            [
                {
                    "state": "answered",
                    "has_scores": True,
                    "satisfaction": 5,
                    "solved": "yes",
                    "conduct": 4,
                    "nps_score": 9,
                    "nps_category": "promoter",
                    "comment": "Quick and tidy, thank you",
                    "is_unhappy": False,
                    "complaint_ticket_id": False,
                }
            ],
        )
        self.assertTrue(callback.answered_date)
        self.assertFalse(callback.survey_url, "an answered survey is not offered again")

    def test_visitor_checks_a_warranty(self):
        self.start_tour("/aftersales/warranty", "aftersales_warranty_check_tour")

    def test_customer_finds_the_certificate(self):
        self.start_tour(
            "/my/home", "aftersales_portal_warranty_tour", login="as_portal"
        )


class TestPortalPhoneTour(AftersalesHttpCase):
    """The customer's path on a phone-width touch screen."""

    browser_size = "375x667"
    touch_enabled = True

    def test_customer_follows_and_sends_requests_on_a_phone(self):
        term = self.env["aftersales.warranty.term"].create(
            {"name": "AC one year", "duration": 1, "duration_unit": "year"}
        )
        self.env["aftersales.warranty"].create(
            {
                "partner_id": self.customer.id,
                "lot_id": self.lot_ac1.id,
                "term_id": term.id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )
        # a long product name must not push anything off the screen
        self.product_ac.name = "Air Conditioner X1 Deluxe Inverter Split Unit 3.5 kW"
        ticket = self._create_ticket(
            lot_id=self.lot_ac1.id, symptom="The unit blows warm air"
        )
        ticket.action_decide_charges()
        ticket.with_user(self.user_manager).message_post(
            body="Our technician comes on Monday.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

        self.start_tour("/my/home", "aftersales_portal_phone_tour", login="as_portal")

        reply = ticket.message_ids.filtered(
            lambda m: "Monday morning suits me" in (m.body or "")
        )
        self.assertEqual(reply.author_id, self.customer)
        new = self.env["aftersales.ticket"].search(
            [("symptom", "=", "Water drips from the indoor unit")]
        )
        self.assertRecordValues(
            new,
            [
                {
                    "partner_id": self.customer.id,
                    "lot_id": self.lot_ac1.id,
                    "channel_id": self.env.ref("aftersales_service.channel_portal").id,
                }
            ],
        )
