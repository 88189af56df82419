"""Public pages without an account: the request form and the warranty
self-check, as an anonymous visitor over HTTP."""

import re
from datetime import timedelta

from odoo import fields

from odoo.addons.aftersales_service.controllers.public import (
    warranty_check_limiter,
)

from .common import AftersalesHttpCase


class TestPublicRequest(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel_portal = cls.env.ref("aftersales_service.channel_portal")

    def _post(self, **data):
        page = self.url_open("/aftersales/request")
        self.assertEqual(page.status_code, 200)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        return self.url_open("/aftersales/request", data=dict(data, csrf_token=token))

    def _tickets(self, symptom):
        return self.env["aftersales.ticket"].search([("symptom", "=", symptom)])

    def test_known_customer_by_email_gets_reference_and_token_link(self):
        page = self._post(
            name="Wu",
            email="WU.customer@example.com",
            product="Air Conditioner X1",
            serial="AC-0001",
            symptom="Remote does not work",
        )
        self.assertEqual(page.status_code, 200)
        ticket = self._tickets("Remote does not work")
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.channel_id, self.channel_portal)
        self.assertEqual(ticket.team_id, self.team_point)
        self.assertEqual(ticket.reported_product, "Air Conditioner X1")
        self.assertFalse(ticket.lot_id)  # no delivery proves it is theirs
        self.assertIn(ticket.name, page.text)
        link = f"/my/tickets/{ticket.id}?access_token={ticket.access_token}"
        self.assertIn(link.replace("&", "&amp;"), page.text)
        followed = self.url_open(link)
        self.assertEqual(followed.status_code, 200)
        self.assertIn("Remote does not work", followed.text)

    def test_known_customer_by_phone(self):
        self._post(name="Wu", phone="13812345678", symptom="By phone")
        self.assertEqual(self._tickets("By phone").partner_id, self.customer)

    def test_new_customer_is_created(self):
        self._post(name="Zhou New", email="zhou@example.com", symptom="Fresh one")
        partner = self._tickets("Fresh one").partner_id
        self.assertEqual(partner.name, "Zhou New")
        self.assertEqual(partner.email, "zhou@example.com")

    def test_missing_contact_is_refused(self):
        page = self._post(name="Nobody", symptom="No contact")
        self.assertEqual(page.status_code, 400)
        self.assertIn("Give an e-mail address or a phone number.", page.text)
        self.assertFalse(self._tickets("No contact"))

    def test_everything_is_escaped(self):
        page = self._post(
            name="<b>x</b>",
            email="esc@example.com",
            symptom="<script>alert(1)</script>",
        )
        ticket = self._tickets("<script>alert(1)</script>")
        followed = self.url_open(ticket.get_portal_url())
        self.assertNotIn("<script>alert(1)</script>", followed.text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", followed.text)
        self.assertNotIn("<script>alert(1)", page.text)

    def test_honeypot_creates_nothing(self):
        page = self._post(
            name="Bot", email="bot@example.com", symptom="Spam", website_url="x"
        )
        self.assertEqual(page.status_code, 200)
        self.assertFalse(self._tickets("Spam"))

    def test_rate_limit_per_address(self):
        self.env["ir.config_parameter"].set_param(
            "aftersales_service.public_request_limit", 2
        )
        for i in range(2):
            self._post(name="Flood", email="flood@example.com", symptom=f"Flood {i}")
        page = self._post(name="Flood", email="flood@example.com", symptom="Flood 2")
        self.assertEqual(page.status_code, 429)
        self.assertIn("Please try again later", page.text)
        self.assertFalse(self._tickets("Flood 2"))

    def test_upload_limits(self):
        page = self.url_open("/aftersales/request")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        page = self.url_open(
            "/aftersales/request",
            data={
                "csrf_token": token,
                "name": "Up",
                "email": "up@example.com",
                "symptom": "With exe",
            },
            files=[("attachments", ("virus.exe", b"MZ\x90\x00" * 10, "image/png"))],
        )
        self.assertEqual(page.status_code, 400)
        self.assertIn("virus.exe cannot be attached", page.text)
        self.assertFalse(self._tickets("With exe"))


class TestPublicWarrantyCheck(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls.env["aftersales.warranty.term"].create(
            {"name": "AC one year", "duration": 1, "duration_unit": "year"}
        )
        cls.warranty = cls.env["aftersales.warranty"].create(
            {
                "partner_id": cls.customer.id,
                "lot_id": cls.lot_ac1.id,
                "term_id": cls.term.id,
                "delivery_date": fields.Date.today() - timedelta(days=10),
            }
        )

    def setUp(self):
        super().setUp()
        warranty_check_limiter.reset()

    def test_status_without_personal_data(self):
        page = self.url_open("/aftersales/warranty?serial=AC-0001")
        self.assertEqual(page.status_code, 200)
        self.assertIn("In Warranty", page.text)
        self.assertIn("Air Conditioner X1", page.text)
        for personal in ("Wu Customer", "138", "wu.customer", "Test Zhejiang"):
            self.assertNotIn(personal, page.text)

    def test_unknown_serial(self):
        page = self.url_open("/aftersales/warranty?serial=NOPE")
        self.assertIn("We found no warranty for this serial number", page.text)

    def test_phone_digits_required_when_the_company_asks(self):
        self.company.aftersales_warranty_check_phone = True
        page = self.url_open("/aftersales/warranty?serial=AC-0001")
        self.assertIn("We found no warranty", page.text)
        page = self.url_open("/aftersales/warranty?serial=AC-0001&phone=0000")
        self.assertIn("We found no warranty", page.text)
        page = self.url_open("/aftersales/warranty?serial=AC-0001&phone=5678")
        self.assertIn("In Warranty", page.text)

    def test_other_company_serial_is_not_found(self):
        other = self.env["aftersales.warranty"].create(
            {
                "partner_id": self.customer.id,
                "lot_id": self.lot_other_company.id,
                "term_id": self.term.id,
                "company_id": self.other_company.id,
                "delivery_date": fields.Date.today(),
            }
        )
        self.assertTrue(other)
        page = self.url_open("/aftersales/warranty?serial=AC-OTHER")
        self.assertIn("We found no warranty", page.text)

    def test_rate_limited(self):
        for __ in range(warranty_check_limiter.limit):
            self.url_open("/aftersales/warranty?serial=NOPE")
        page = self.url_open("/aftersales/warranty?serial=AC-0001")
        self.assertEqual(page.status_code, 429)
        self.assertNotIn("In Warranty", page.text)
