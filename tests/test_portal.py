"""Customer portal (/my/tickets, /my/warranties): pages, the new-request
form, confirm/reopen, and every refusal proven over HTTP as the portal user
or an anonymous visitor."""

import json
import re
from datetime import date, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from markupsafe import escape

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.aftersales_service.models import ticket_portal

from .common import AftersalesHttpCase

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)


class PortalCaseMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.stage_cancelled = env.ref("aftersales_service.stage_cancelled")
        cls.channel_portal = env.ref("aftersales_service.channel_portal")
        cls.portal_other = new_test_user(
            env,
            login="as_portal_other",
            name="Qian Portal",
            groups="base.group_portal",
            partner_id=cls.customer_other.id,
        )
        cls.hotel_contact2 = env["res.partner"].create(
            {"name": "Hotel Manager", "parent_id": cls.customer_vip.id}
        )
        cls.portal_hotel = new_test_user(
            env,
            login="as_portal_hotel",
            name="Hotel Engineer Portal",
            groups="base.group_portal",
            partner_id=cls.customer_vip_contact.id,
        )
        cls.emp_technician.name = "Li Technician"
        cls.ticket = cls._create_ticket(
            lot_id=cls.lot_ac1.id,
            symptom="Blows warm air",
            technician_id=cls.emp_technician.id,
        )
        cls.ticket.message_post(
            body="INTERNAL-NOTE customer is difficult",
            subtype_xmlid="mail.mt_note",
            author_id=cls.user_agent.partner_id.id,
        )
        cls.ticket_other = cls._create_ticket(
            partner_id=cls.customer_other.id, symptom="Noisy washer"
        )
        cls.ticket_hotel = cls._create_ticket(
            partner_id=cls.hotel_contact2.id, symptom="Lobby unit leaks"
        )
        cls.ticket_other_company = cls._create_ticket(
            company_id=cls.other_company.id,
            channel_id=cls.channel_phone.id,
            symptom="Other company unit",
        )
        # Warranties
        cls.term = env["aftersales.warranty.term"].create(
            {"name": "AC one year", "duration": 1, "duration_unit": "year"}
        )
        Warranty = env["aftersales.warranty"]
        cls.warranty = Warranty.create(
            {
                "partner_id": cls.customer.id,
                "lot_id": cls.lot_ac1.id,
                "term_id": cls.term.id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )
        cls.warranty_other = Warranty.create(
            {
                "partner_id": cls.customer_other.id,
                "lot_id": cls.lot_ac2.id,
                "term_id": cls.term.id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )

    def _csrf(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200, page.text[:500])
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.assertTrue(match, f"no form on {url}")
        return match.group(1)

    def _json(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def _submit(self, data, files=None, url="/my/tickets/new"):
        data = dict(data, csrf_token=self._csrf(url))
        return self.url_open(url, data=data, files=files)


class TestPortalTickets(PortalCaseMixin, AftersalesHttpCase):
    def test_ticket_access_url_is_served(self):
        self.assertEqual(self.ticket.access_url, f"/my/tickets/{self.ticket.id}")
        self.assertEqual(self.warranty.access_url, f"/my/warranties/{self.warranty.id}")
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(self.ticket.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ticket.name, page.text)

    def test_home_counters_count_own_records(self):
        self.authenticate("as_portal", "as_portal")
        result = self._json(
            "/my/counters",
            {"counters": ["aftersales_ticket_count", "aftersales_warranty_count"]},
        )["result"]
        self.assertEqual(result["aftersales_ticket_count"], 1)
        self.assertEqual(result["aftersales_warranty_count"], 1)

    def test_list_shows_own_tickets_only(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/tickets?filterby=all")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ticket.name, page.text)
        self.assertIn("Technician assigned", page.text)
        for foreign in (
            self.ticket_other,
            self.ticket_hotel,
            self.ticket_other_company,
        ):
            self.assertNotIn(f'href="/my/tickets/{foreign.id}"', page.text)

    def test_company_contact_sees_company_tickets(self):
        own = self._create_ticket(partner_id=self.customer_vip_contact.id)
        self.authenticate("as_portal_hotel", "as_portal_hotel")
        page = self.url_open("/my/tickets")
        self.assertIn(own.name, page.text)
        self.assertIn(self.ticket_hotel.name, page.text)
        self.assertNotIn(self.ticket.name, page.text)

    def test_filter_search_and_pager(self):
        tickets = self.env["aftersales.ticket"].create(
            [self._ticket_vals(symptom=f"Fault number {i}") for i in range(22)]
        )
        closed = tickets[0]
        closed.stage_id = self.stage_solved
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/tickets?filterby=closed")
        self.assertIn(closed.name, page.text)
        self.assertNotIn(self.ticket.name, page.text)
        page = self.url_open("/my/tickets?filterby=open")
        self.assertNotIn(f">{closed.name}<", page.text)
        self.assertIn("/my/tickets/page/2", page.text)
        page = self.url_open("/my/tickets?filterby=open&page=2")
        self.assertEqual(page.status_code, 200)
        page = self.url_open(f"/my/tickets?search_in=name&search={tickets[5].name}")
        self.assertIn(tickets[5].name, page.text)
        self.assertNotIn(f">{tickets[6].name}<", page.text)
        page = self.url_open("/my/tickets?search_in=serial&search=AC-0001")
        self.assertIn(self.ticket.name, page.text)
        self.assertNotIn(f">{tickets[6].name}<", page.text)
        page = self.url_open("/my/tickets?search_in=text&search=number 17")
        self.assertIn(tickets[17].name, page.text)
        self.assertNotIn(f">{tickets[16].name}<", page.text)

    def test_list_queries_do_not_grow_with_the_customers_tickets(self):
        Ticket = self.env["aftersales.ticket"]
        Ticket.create([self._ticket_vals(symptom=f"Load {i}") for i in range(20)])
        self.authenticate("as_portal", "as_portal")

        def queries():
            self.env.flush_all()
            self.env.cr.precommit.run()  # as a commit would, before the page
            self.url_open("/my/tickets?filterby=all")  # warm the caches
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            page = self.url_open("/my/tickets?filterby=all")
            self.assertEqual(page.status_code, 200)
            return self.cr.sql_log_count - before

        full_page = queries()
        Ticket.create([self._ticket_vals(symptom=f"More {i}") for i in range(60)])
        self.assertEqual(queries(), full_page)

    def test_detail_shows_customer_facts_not_internal_ones(self):
        self.ticket.appointment_start = fields.Datetime.now() + timedelta(days=1)
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(f"/my/tickets/{self.ticket.id}")
        self.assertIn("Visit scheduled", page.text)
        self.assertIn("Li Technician", page.text)
        self.assertIn("Blows warm air", page.text)
        self.assertNotIn("INTERNAL-NOTE", page.text)
        self.assertNotIn("Elderly at home", page.text)  # the agents' notes
        if self.ticket.sla_ids:
            self.assertIn("First response", page.text)
        # the chatter the page loads never carries internal notes
        messages = self._json(
            "/mail/thread/messages",
            {
                "thread_model": "aftersales.ticket",
                "thread_id": self.ticket.id,
                "token": self.ticket.access_token,
            },
        )
        bodies = json.dumps(messages)
        self.assertNotIn("INTERNAL-NOTE", bodies)

    def test_detail_shows_the_charging_decisions(self):
        self.ticket.action_decide_charges()
        travel = self.ticket.charge_ids.filtered(lambda c: c.charge_type == "travel")
        travel.name = "Second visit"
        decisions = dict(
            self.env["aftersales.ticket.charge"]._fields["decision"].selection
        )
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(f"/my/tickets/{self.ticket.id}")
        self.assertEqual(page.status_code, 200, page.text[:500])
        charges = page.text[page.text.index("<h6>Charges</h6>") :]
        self.assertIn("Labour", charges)
        self.assertIn("Travel", charges)
        self.assertIn("Second visit", charges)
        for charge in self.ticket.charge_ids:
            self.assertIn(decisions[charge.decision], charges)
            self.assertIn(escape(charge.reason), charges)

    def test_other_customers_ticket_is_refused(self):
        self.authenticate("as_portal", "as_portal")
        for ticket in (self.ticket_other, self.ticket_other_company):
            page = self.url_open(f"/my/tickets/{ticket.id}", allow_redirects=False)
            self.assertEqual(page.status_code, 303)
            self.assertTrue(page.headers["Location"].endswith("/my"))

    def test_token_opens_only_its_own_record(self):
        self.ticket._portal_ensure_token()
        self.ticket_other._portal_ensure_token()
        page = self.url_open(
            f"/my/tickets/{self.ticket.id}?access_token={self.ticket.access_token}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ticket.name, page.text)
        page = self.url_open(
            f"/my/tickets/{self.ticket_other.id}?access_token={self.ticket.access_token}",
            allow_redirects=False,
        )
        self.assertEqual(page.status_code, 303)
        page = self.url_open(f"/my/tickets/{self.ticket.id}", allow_redirects=False)
        self.assertEqual(page.status_code, 303)

    def test_anonymous_cannot_list(self):
        page = self.url_open("/my/tickets", allow_redirects=False)
        self.assertEqual(page.status_code, 303)
        self.assertIn("/web/login", page.headers["Location"])

    def test_customer_reply_does_not_meet_the_response_target(self):
        self.authenticate("as_portal", "as_portal")
        self.ticket._portal_ensure_token()
        result = self._json(
            "/mail/message/post",
            {
                "thread_model": "aftersales.ticket",
                "thread_id": self.ticket.id,
                "post_data": {
                    "body": "Still warm, any news?",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "token": self.ticket.access_token,
            },
        )
        self.assertNotIn("error", result, result)
        message = self.ticket.message_ids.filtered(
            lambda m: "any news" in (m.body or "")
        )
        self.assertEqual(message.author_id, self.customer)
        response = self.ticket.sla_ids.filtered(lambda s: s.target_type == "response")
        self.assertTrue(response, "the default policy plans a first response")
        self.assertFalse(response.reached_date)
        self.ticket.with_user(self.user_manager).message_post(
            body="We come tomorrow",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(response.reached_date)


class TestPortalNewRequest(PortalCaseMixin, AftersalesHttpCase):
    def test_new_request_goes_through_the_intake(self):
        self.authenticate("as_portal", "as_portal")
        page = self._submit(
            {
                "reported_product": "Air Conditioner X1",
                "reported_serial": "ZZ-UNKNOWN",
                "symptom": "Makes a clicking noise",
                "frequency": "intermittent",
                "environment": "Bedroom",
                "priority": "1",
            },
            files=[("attachments", ("unit.png", PNG, "image/png"))],
        )
        self.assertEqual(page.status_code, 200)
        ticket = self.env["aftersales.ticket"].search(
            [("symptom", "=", "Makes a clicking noise")]
        )
        self.assertEqual(len(ticket), 1)
        self.assertIn(ticket.name, page.text)
        self.assertIn("We received your request", page.text)
        self.assertEqual(ticket.channel_id, self.channel_portal)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.team_id, self.team_point)  # routed by region
        self.assertEqual(ticket.priority, "1")
        self.assertEqual(ticket.frequency, "intermittent")
        self.assertEqual(ticket.environment, "Bedroom")
        self.assertEqual(ticket.reported_serial, "ZZ-UNKNOWN")
        self.assertFalse(ticket.lot_id)
        self.assertFalse(ticket.owner_id.share)
        self.assertTrue(ticket.sla_ids)
        self.assertIn("We will get back to you by", page.text)
        photo = ticket.message_ids.attachment_ids
        self.assertEqual(photo.mapped("name"), ["unit.png"])
        self.assertEqual(photo.mimetype, "image/png")
        self.assertEqual(
            ticket.message_ids.filtered("attachment_ids").author_id, self.customer
        )

    def test_typed_serial_of_own_unit_is_linked_and_repeat_detected(self):
        first = self.env["aftersales.ticket"].search([("lot_id", "=", self.lot_ac1.id)])
        self.authenticate("as_portal", "as_portal")
        self._submit({"reported_serial": "AC-0001", "symptom": "Again warm"})
        ticket = self.env["aftersales.ticket"].search([("symptom", "=", "Again warm")])
        self.assertEqual(ticket.lot_id, self.lot_ac1)  # under the customer's warranty
        self.assertEqual(ticket.product_id, self.product_ac)
        self.assertEqual(ticket.repeat_of_id, first)

    def test_serial_of_another_customer_is_refused(self):
        self.authenticate("as_portal", "as_portal")
        page = self._submit({"lot_id": str(self.lot_ac2.id), "symptom": "Not mine"})
        self.assertIn(
            "Serial Number: pick one of the units delivered to you.", page.text
        )
        self.assertFalse(
            self.env["aftersales.ticket"].search([("symptom", "=", "Not mine")])
        )

    def test_extra_fields_are_ignored_or_refused(self):
        self.authenticate("as_portal", "as_portal")
        page = self._submit({"symptom": "Too urgent", "priority": "2"})
        self.assertIn("Urgency: choose normal or urgent.", page.text)
        self.assertFalse(
            self.env["aftersales.ticket"].search([("symptom", "=", "Too urgent")])
        )
        self._submit(
            {
                "symptom": "Sneaky",
                "owner_id": str(self.user_manager.id),
                "team_id": str(self.team_other_company.id),
                "technician_id": str(self.emp_technician2.id),
                "stage_id": str(self.stage_solved.id),
                "partner_id": str(self.customer_other.id),
                "company_id": str(self.other_company.id),
                "channel_id": str(self.channel_phone.id),
                "is_vip": "1",
                "complexity": "complex",
            }
        )
        ticket = self.env["aftersales.ticket"].search([("symptom", "=", "Sneaky")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.company_id, self.company)
        self.assertEqual(ticket.team_id, self.team_point)
        self.assertEqual(ticket.channel_id, self.channel_portal)
        self.assertNotEqual(ticket.owner_id, self.user_manager)
        self.assertFalse(ticket.technician_id)
        self.assertEqual(ticket.stage_id, self.stage_new)
        self.assertEqual(ticket.complexity, "general")
        self.assertFalse(ticket.is_vip)

    def test_upload_type_and_size_are_limited(self):
        self.authenticate("as_portal", "as_portal")
        page = self._submit(
            {"symptom": "With a script"},
            files=[("attachments", ("run.sh", b"#!/bin/sh\nrm -rf /\n", "image/png"))],
        )
        self.assertIn(
            "run.sh cannot be attached: send photos, videos or PDF files.", page.text
        )
        with patch.object(ticket_portal, "UPLOAD_MAX_BYTES", 10):
            page = self._submit(
                {"symptom": "With a big photo"},
                files=[("attachments", ("big.png", PNG, "image/png"))],
            )
        self.assertIn("big.png is too large: files up to 0 MB are accepted.", page.text)
        self.assertFalse(
            self.env["aftersales.ticket"].search(
                [("symptom", "in", ["With a script", "With a big photo"])]
            )
        )

    def test_form_without_csrf_is_refused(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/tickets/new", data={"symptom": "No token"})
        self.assertEqual(page.status_code, 400)
        self.assertFalse(
            self.env["aftersales.ticket"].search([("symptom", "=", "No token")])
        )


class TestPortalConfirmReopen(PortalCaseMixin, AftersalesHttpCase):
    def _post_action(self, ticket, action, **data):
        token = self._csrf(f"/my/tickets/{ticket.id}")
        return self.url_open(
            f"/my/tickets/{ticket.id}/{action}", data=dict(data, csrf_token=token)
        )

    def test_customer_confirms_a_solved_request(self):
        self.ticket.stage_id = self.stage_solved
        self.authenticate("as_portal", "as_portal")
        page = self._post_action(self.ticket, "confirm")
        self.assertIn("Thank you for confirming.", page.text)
        self.assertTrue(self.ticket.customer_confirmed_date)
        self.assertTrue(
            self.ticket.message_ids.filtered(
                lambda m: (
                    "confirmed the problem is solved" in m.body
                    and m.author_id == self.customer
                )
            )
        )
        page = self._post_action(self.ticket, "confirm")
        self.assertIn("Only a solved request can be confirmed.", page.text)

    def test_customer_reopens_within_the_window_and_it_is_counted(self):
        self.company.aftersales_reopen_days = 5
        self.ticket.stage_id = self.stage_solved
        self.authenticate("as_portal", "as_portal")
        page = self._post_action(self.ticket, "reopen", reason="Warm air again")
        self.assertIn("Your request is open again", page.text)
        self.assertFalse(self.ticket.is_closed)
        self.assertEqual(self.ticket.reopen_count, 1)
        self.assertTrue(
            self.ticket.message_ids.filtered(
                lambda m: "Warm air again" in m.body and m.author_id == self.customer
            )
        )

    def test_reopen_after_the_window_is_refused(self):
        self.company.aftersales_reopen_days = 5
        with freeze_time(fields.Datetime.now() - timedelta(days=6)):
            self.ticket.stage_id = self.stage_solved
        self.authenticate("as_portal", "as_portal")
        page = self._post_action(self.ticket, "reopen", reason="Too late")
        self.assertIn(
            "This request can no longer be reopened: solved requests can be "
            "reopened within 5 days.",
            page.text,
        )
        self.assertTrue(self.ticket.is_closed)
        self.assertEqual(self.ticket.reopen_count, 0)

    def test_cancelled_request_cannot_be_confirmed_or_reopened(self):
        self.ticket.stage_id = self.stage_cancelled
        self.authenticate("as_portal", "as_portal")
        page = self._post_action(self.ticket, "reopen", reason="Why?")
        self.assertIn("can no longer be reopened", page.text)
        self.assertTrue(self.ticket.is_closed)

    def test_other_customer_cannot_act_on_the_ticket(self):
        self.ticket.stage_id = self.stage_solved
        self.authenticate("as_portal_other", "as_portal_other")
        token = self._csrf("/my/tickets/new")
        page = self.url_open(
            f"/my/tickets/{self.ticket.id}/confirm",
            data={"csrf_token": token},
            allow_redirects=False,
        )
        self.assertEqual(page.status_code, 303)
        self.assertTrue(page.headers["Location"].endswith("/my"))
        self.assertFalse(self.ticket.customer_confirmed_date)

    def test_unsubscribe_from_status_emails(self):
        self.authenticate("as_portal", "as_portal")
        page = self._post_action(self.ticket, "updates", subscribe="0")
        self.assertIn("You will no longer receive status e-mails.", page.text)
        self.assertTrue(self.customer.aftersales_no_updates)
        self._post_action(self.ticket, "updates", subscribe="1")
        self.assertFalse(self.customer.aftersales_no_updates)


class TestPortalWarranties(PortalCaseMixin, AftersalesHttpCase):
    def test_list_and_detail_of_own_warranty(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/warranties")
        self.assertIn(self.warranty.name, page.text)
        self.assertNotIn(self.warranty_other.name, page.text)
        page = self.url_open(f"/my/warranties/{self.warranty.id}")
        self.assertIn("AC-0001", page.text)
        self.assertIn("Download the certificate", page.text)

    def test_certificate_of_own_warranty_downloads(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(
            f"/my/warranties/{self.warranty.id}?report_type=pdf&download=true"
        )
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.headers["Content-Type"], "application/pdf")
        self.assertIn("attachment", page.headers["Content-Disposition"])

    def test_other_customers_warranty_and_certificate_are_refused(self):
        self.authenticate("as_portal", "as_portal")
        for url in (
            f"/my/warranties/{self.warranty_other.id}",
            f"/my/warranties/{self.warranty_other.id}?report_type=pdf&download=true",
        ):
            page = self.url_open(url, allow_redirects=False)
            self.assertEqual(page.status_code, 303, url)
            self.assertTrue(page.headers["Location"].endswith("/my"))

    def test_warranty_token_opens_only_its_own_certificate(self):
        self.warranty._portal_ensure_token()
        token = self.warranty.access_token
        page = self.url_open(
            f"/my/warranties/{self.warranty.id}?access_token={token}&report_type=pdf"
        )
        self.assertEqual(page.status_code, 200)
        page = self.url_open(
            f"/my/warranties/{self.warranty_other.id}?access_token={token}"
            "&report_type=pdf",
            allow_redirects=False,
        )
        self.assertEqual(page.status_code, 303)

    def test_three_guarantee_rights_still_open(self):
        self.term.write(
            {"three_guarantee": True, "return_days": 7, "exchange_days": 60}
        )
        rights = self.warranty._open_three_guarantee_rights()
        self.assertEqual(
            rights, [("Exchange", self.warranty.delivery_date + timedelta(days=60))]
        )
        self.assertEqual(
            self.warranty._open_three_guarantee_rights(
                today=self.warranty.delivery_date
            )[0][0],
            "Return",
        )
        self.assertIsInstance(rights[0][1], date)
