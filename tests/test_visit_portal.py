"""Visits on the customer portal (/my/visits/<id>, the request's page):
times, technician, status, the signed report, signing with the token, and
every refusal proven over HTTP."""

import base64
import json
from datetime import datetime, timedelta

from odoo.tests import new_test_user

from .common import AftersalesHttpCase
from .test_visit_report import PNG

PNG_B64 = base64.b64encode(PNG).decode()
WINDOW_START = datetime(2030, 3, 4, 2, 0)
WINDOW_STOP = datetime(2030, 3, 4, 4, 0)


class TestVisitPortal(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.email = "service@hualan.example"
        cls.portal_other = new_test_user(
            env,
            login="as_portal_other",
            name="Qian Portal",
            groups="base.group_portal",
            partner_id=cls.customer_other.id,
        )
        cls.ticket = cls._create_ticket(
            technician_id=cls.emp_technician.id, lot_id=cls.lot_ac1.id
        )
        cls.ticket_other = cls._create_ticket(partner_id=cls.customer_other.id)
        Visit = env(user=cls.user_team)["aftersales.visit"]
        window = {
            "planned_start": WINDOW_START,
            "planned_stop": WINDOW_STOP,
            "outside_hours_confirmed": True,
        }
        cls.visit = Visit.create(
            {
                "ticket_id": cls.ticket.id,
                "technician_id": cls.emp_technician.id,
                **window,
            }
        )
        cls.visit_other = Visit.create(
            {
                "ticket_id": cls.ticket_other.id,
                "technician_id": cls.emp_technician.id,
                # the same technician, the next day
                "planned_start": WINDOW_START + timedelta(days=1),
                "planned_stop": WINDOW_STOP + timedelta(days=1),
                "outside_hours_confirmed": True,
            }
        )
        for visit in cls.visit | cls.visit_other:
            visit.action_confirm()
            visit.with_user(cls.user_technician).action_check_in()
            visit.with_user(
                cls.user_technician
            ).work_done = "<p>Replaced the start capacitor.</p>"

    def _sign_json(self, visit, token=None, name="Wu Customer", signature=PNG_B64):
        url = f"/my/visits/{visit.id}/sign"
        if token:
            url += f"?access_token={token}"
        response = self.url_open(
            url,
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"name": name, "signature": signature},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()["result"]

    def _customer_mails(self, visit, subject):
        return (
            self.env["mail.notification"]
            .search(
                [
                    ("res_partner_id", "=", self.customer.id),
                    ("notification_type", "=", "email"),
                    ("mail_message_id.model", "=", "aftersales.visit"),
                    ("mail_message_id.res_id", "=", visit.id),
                    ("mail_message_id.subject", "ilike", subject),
                ]
            )
            .mail_message_id
        )

    def _sign_in_backend(self, visit):
        visit.with_user(self.user_technician)._sign("Wu Customer", PNG_B64)

    def test_customer_sees_the_visits_of_their_request(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(self.ticket.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.visit.name, page.text)
        self.assertIn("Li Technician", page.text)
        self.assertIn("o_aftersales_visits", page.text)
        self.assertNotIn(self.visit_other.name, page.text)

    def test_customer_lists_their_visits(self):
        self._sign_in_backend(self.visit)
        self.authenticate("as_portal", "as_portal")
        home = self.url_open("/my/home")
        self.assertIn('href="/my/visits"', home.text)
        counters = self.url_open(
            "/my/counters",
            data=json.dumps(
                {"params": {"counters": ["aftersales_visit_count"]}},
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(counters.json()["result"], {"aftersales_visit_count": 1})
        page = self.url_open("/my/visits")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_aftersales_my_visits", page.text)
        self.assertIn(self.visit.name, page.text)
        self.assertIn(self.ticket.name, page.text)
        self.assertIn("Li Technician", page.text)
        self.assertIn("Done &amp; Signed", page.text)
        self.assertIn(f"/my/visits/{self.visit.id}?access_token=", page.text)
        self.assertIn("report_type=pdf", page.text)
        # never another customer's visit
        self.assertNotIn(self.visit_other.name, page.text)
        self.assertNotIn(self.ticket_other.name, page.text)

    def test_visit_list_needs_a_login(self):
        page = self.url_open("/my/visits", allow_redirects=False)
        self.assertEqual(page.status_code, 303)
        self.assertIn("/web/login", page.headers["Location"])

    def test_visit_page_shows_times_technician_status_and_sign_form(self):
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(self.visit.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.visit.name, page.text)
        self.assertIn("Li Technician", page.text)
        self.assertIn("On Site", page.text)
        self.assertIn("Replaced the start capacitor.", page.text)
        self.assertIn("portal.signature_form", page.text)
        self.assertIn(f"/my/visits/{self.visit.id}/sign", page.text)

    def test_other_customers_visit_and_report_are_refused(self):
        self._sign_in_backend(self.visit_other)
        self.authenticate("as_portal", "as_portal")
        for url in (
            f"/my/visits/{self.visit_other.id}",
            f"/my/visits/{self.visit_other.id}?report_type=pdf&download=true",
            f"/my/visits/{self.visit_other.id}?report_type=html",
        ):
            page = self.url_open(url, allow_redirects=False)
            self.assertEqual(page.status_code, 303, url)
            self.assertTrue(page.headers["Location"].endswith("/my"), url)
        self.assertEqual(
            self._sign_json(self.visit_other, name="Intruder"),
            {"error": "Invalid visit."},
        )
        attachment = self.visit_other.report_attachment_id
        page = self.url_open(f"/web/content/{attachment.id}?download=true")
        self.assertNotEqual(page.status_code, 200)

    def test_signed_report_downloads(self):
        self._sign_in_backend(self.visit)
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(self.visit.access_url)
        self.assertIn("Download the signed report", page.text)
        self.assertNotIn("portal.signature_form", page.text, "already signed")
        page = self.url_open(
            f"/my/visits/{self.visit.id}?report_type=pdf&download=true"
        )
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.headers["Content-Type"], "application/pdf")
        self.assertIn("attachment", page.headers["Content-Disposition"])
        # the report as signed, not rendered again
        self.assertEqual(page.content, self.visit.report_attachment_id.raw)
        page = self.url_open(self.ticket.access_url)
        self.assertIn("o_aftersales_visit_report", page.text)

    def test_token_opens_only_its_own_visit(self):
        token = self.visit.access_token
        self.assertTrue(token)
        page = self.url_open(f"/my/visits/{self.visit.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.visit.name, page.text)
        for url in (
            f"/my/visits/{self.visit_other.id}?access_token={token}",
            f"/my/visits/{self.visit_other.id}?access_token={token}&report_type=pdf",
            f"/my/visits/{self.visit.id}?access_token=wrong-token",
        ):
            page = self.url_open(url, allow_redirects=False)
            self.assertEqual(page.status_code, 303, url)
        self.assertEqual(
            self._sign_json(self.visit_other, token=token),
            {"error": "Invalid visit."},
        )
        self.assertEqual(self.visit_other.state, "on_site")

    def test_customer_signs_later_with_the_token(self):
        self.visit.with_user(self.user_technician).action_check_out()
        self.visit.with_user(self.user_technician).action_send_for_signature()
        mail = self._customer_mails(self.visit, "Please sign the report")
        self.assertIn(self.visit.get_portal_url(), mail.body)
        result = self._sign_json(self.visit, token=self.visit.access_token)
        self.assertTrue(result.get("force_refresh"), result)
        self.assertIn("message=signed", result["redirect_url"])
        self.assertEqual(self.visit.state, "done")
        self.assertEqual(self.visit.signed_by, "Wu Customer")
        self.assertTrue(self.visit.report_attachment_id)
        note = self.ticket.message_ids.filtered(
            lambda m: "signed by Wu Customer" in m.body
        )
        self.assertEqual(note.author_id, self.customer)
        report_mail = self._customer_mails(self.visit, "Your service report")
        self.assertEqual(len(report_mail), 1)
        self.assertEqual(report_mail.attachment_ids, self.visit.report_attachment_id)
        self.assertIn("service@hualan.example", report_mail.email_from)
        page = self.url_open(result["redirect_url"])
        self.assertIn("the report is signed", page.text)
        # signed once: a second signature is refused
        again = self._sign_json(self.visit, token=self.visit.access_token, name="X")
        self.assertIn("is locked", again["error"])
        self.assertEqual(self.visit.signed_by, "Wu Customer")

    def test_portal_signing_refusals_write_nothing(self):
        self.visit.with_user(self.user_technician).work_done = "<p></p>"
        token = self.visit.access_token
        result = self._sign_json(self.visit, token=token)
        self.assertIn("the service report is empty", result["error"])
        self.assertEqual(
            self._sign_json(
                self.visit_other, token=self.visit_other.access_token, signature=""
            ),
            {"error": "Signature is missing."},
        )
        result = self._sign_json(
            self.visit_other, token=self.visit_other.access_token, signature="bm90"
        )
        self.assertTrue(result.get("error"), result)
        for visit in self.visit | self.visit_other:
            self.assertEqual(visit.state, "on_site")
            self.assertFalse(visit.signed_on or visit.signature)
