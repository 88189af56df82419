"""Field visits: the visit's life with the customer (confirmation,
rescheduling, cancellation, check-in against the SLA, check-out) and its
service report up to the signature, the lock and the PDF, as the real roles."""

import base64
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form

from .common import AftersalesCase

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)
PNG_B64 = base64.b64encode(PNG)

# 2030-03-04 is a Monday; 09:00 UTC is 5:00 PM in Shanghai.
WINDOW_START = datetime(2030, 3, 4, 9, 0)
WINDOW_STOP = datetime(2030, 3, 4, 11, 0)


class VisitCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.tz = "Asia/Shanghai"
        cls.fault = cls.env["aftersales.fault.code"].create(
            {
                "code": "E4",
                "name": "Compressor fails to start",
                "remedy": "Replace the start capacitor.",
            }
        )
        cls.ticket = cls._create_ticket(
            technician_id=cls.emp_technician.id, lot_id=cls.lot_ac1.id
        )

    def _visit(self, user=None, state="planned", **vals):
        env = self.env(user=user or self.user_team)
        # one technician is never on two visits at once: each further visit
        # of a test is planned a day later
        shift = timedelta(days=getattr(self, "_visits_planned", 0))
        self._visits_planned = getattr(self, "_visits_planned", 0) + 1
        values = {
            "ticket_id": self.ticket.id,
            "technician_id": self.emp_technician.id,
            "planned_start": WINDOW_START + shift,
            "planned_stop": WINDOW_STOP + shift,
            # a night window, agreed on purpose with the customer
            "outside_hours_confirmed": True,
        }
        values.update(vals)
        visit = env["aftersales.visit"].create(values)
        if state in ("confirmed", "on_site"):
            visit.action_confirm()
        if state == "on_site":
            visit.with_user(self.user_technician).action_check_in()
        return visit

    def _customer_mails(self, visit, subject):
        """The visit's messages e-mailed to the customer (the notification
        stays when the outgoing mail itself is sent and deleted)."""
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

    def _write_report(self, visit, user=None):
        visit.with_user(user or self.user_technician).write(
            {
                "work_done": "<p>Replaced the start capacitor, cleaned filters.</p>",
                "fault_code_id": self.fault.id,
            }
        )

    def _sign_with_form(self, visit, user=None, name="Wu Customer"):
        user = user or self.user_technician
        action = visit.with_user(user).action_sign()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )
        wizard.signed_by = name
        wizard.signature = PNG_B64
        wizard.customer_comment = "Quick and clean, thank you."
        wizard.save().action_confirm()


class TestVisitLife(VisitCase):
    def test_confirming_tells_the_customer_the_window(self):
        visit = self._visit()
        visit.with_user(self.user_team).action_confirm()
        self.assertEqual(visit.state, "confirmed")
        mail = self._customer_mails(visit, "Your visit is confirmed")
        self.assertEqual(len(mail), 1)
        self.assertIn(self.ticket.name, mail.subject)
        # the window in the customer's time zone (Shanghai), not in UTC
        window = visit._customer_window()
        self.assertIn("5:00 PM", window)
        self.assertIn("7:00 PM", window)
        self.assertIn(window, mail.body)
        self.assertIn("Li Technician", mail.body)
        self.assertIn(f"/my/visits/{visit.id}?access_token=", mail.body)

    def test_customer_without_email_leaves_a_note(self):
        self.customer.email = False
        visit = self._visit()
        visit.with_user(self.user_team).action_confirm()
        self.assertFalse(self._customer_mails(visit, "confirmed"))
        self.assertIn(
            "has no e-mail address: tell them by phone",
            visit.message_ids[0].body,
        )

    def test_reschedule_tells_the_customer_the_new_window_and_why(self):
        visit = self._visit(state="confirmed")
        visit.with_user(self.user_team).action_on_the_way()
        action = visit.with_user(self.user_team).action_open_reschedule()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_team)
            .with_context(**action["context"])
        )
        self.assertEqual(wizard.planned_start, WINDOW_START)
        wizard.planned_start = WINDOW_START + timedelta(days=1)
        # the window keeps its length
        self.assertEqual(wizard.planned_stop, WINDOW_STOP + timedelta(days=1))
        wizard.reason = "The spare part arrives on Tuesday."
        wizard.save().action_confirm()
        self.assertEqual(visit.planned_start, WINDOW_START + timedelta(days=1))
        self.assertEqual(visit.reschedule_count, 1)
        self.assertEqual(visit.reschedule_reason, "The spare part arrives on Tuesday.")
        self.assertEqual(visit.state, "confirmed", "the customer was told the new one")
        mail = self._customer_mails(visit, "Your visit has a new time")
        self.assertEqual(len(mail), 1)
        self.assertIn("The spare part arrives on Tuesday.", mail.body)
        self.assertIn(visit._customer_window(), mail.body)
        visit.with_user(self.user_team)._reschedule(
            WINDOW_START + timedelta(days=2),
            WINDOW_STOP + timedelta(days=2),
            "Customer asked for Wednesday.",
        )
        self.assertEqual(visit.reschedule_count, 2)

    def test_unconfirmed_visit_is_replanned_without_mail(self):
        visit = self._visit()
        visit.with_user(self.user_team)._reschedule(
            WINDOW_START + timedelta(hours=4),
            WINDOW_STOP + timedelta(hours=4),
            "Technician's morning is full.",
        )
        self.assertEqual(visit.state, "planned")
        self.assertEqual(visit.reschedule_count, 1)
        self.assertFalse(self._customer_mails(visit, "new time"))

    def test_rescheduling_without_reason_refused(self):
        visit = self._visit(state="confirmed")
        for reason in (None, "", "   "):
            with self.assertRaisesRegex(UserError, "say why the visit is rescheduled"):
                visit.with_user(self.user_team)._reschedule(
                    WINDOW_START + timedelta(days=1),
                    WINDOW_STOP + timedelta(days=1),
                    reason,
                )
        self.assertEqual(visit.planned_start, WINDOW_START)
        self.assertEqual(visit.reschedule_count, 0)
        self.assertFalse(self._customer_mails(visit, "new time"))

    def test_window_of_a_confirmed_visit_moves_only_by_rescheduling(self):
        visit = self._visit(state="confirmed")
        with self.assertRaisesRegex(UserError, "use Reschedule to move it"):
            visit.with_user(self.user_team).write(
                {"planned_start": WINDOW_START - timedelta(hours=1)}
            )
        self.assertEqual(visit.planned_start, WINDOW_START)
        # a planned visit (the customer knows nothing yet) is simply moved
        planned = self._visit()
        planned.with_user(self.user_team).planned_start = (
            planned.planned_start - timedelta(hours=1)
        )
        self.assertEqual(planned.reschedule_count, 0)

    def test_cancel_needs_a_reason_and_tells_the_customer(self):
        visit = self._visit(state="confirmed")
        with self.assertRaisesRegex(UserError, "say why the visit is cancelled"):
            visit.with_user(self.user_team).action_cancel()
        self.assertEqual(visit.state, "confirmed")
        action = visit.with_user(self.user_team).action_open_cancel_wizard()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_team)
            .with_context(**action["context"])
        )
        wizard.reason = "The unit works again after a reset."
        wizard.save().action_confirm()
        self.assertEqual(visit.state, "cancelled")
        self.assertEqual(visit.cancel_reason, "The unit works again after a reset.")
        mail = self._customer_mails(visit, "Your visit is cancelled")
        self.assertIn("The unit works again after a reset.", mail.body)

    def test_no_show_needs_a_reason(self):
        visit = self._visit(state="confirmed")
        tech_visit = visit.with_user(self.user_technician)
        with self.assertRaisesRegex(UserError, "say what happened"):
            tech_visit.action_no_show(reason="  ")
        self.assertEqual(visit.state, "confirmed")
        action = tech_visit.action_open_no_show_wizard()
        self.assertEqual(action["context"]["default_outcome"], "no_show")
        tech_visit.action_no_show(reason="Nobody at home, phone not answered.")
        self.assertEqual(visit.state, "no_show")
        self.assertEqual(visit.cancel_reason, "Nobody at home, phone not answered.")
        self.assertFalse(self._customer_mails(visit, "cancelled"))

    def test_check_in_meets_the_arrival_target(self):
        ticket = self._create_ticket(technician_id=self.emp_technician.id, priority="1")
        arrival = ticket.sla_ids.filtered(lambda line: line.target_type == "arrival")
        self.assertTrue(arrival, "an urgent ticket has an arrival target")
        visit = self._visit(ticket_id=ticket.id, state="confirmed")
        # the visit's technician checks in, whoever the ticket's technician is
        visit.sudo().technician_id = self.emp_technician2
        visit.with_user(self.user_technician2).action_check_in()
        self.assertEqual(visit.state, "on_site")
        self.assertEqual(arrival.reached_date, visit.check_in_date)
        self.assertEqual(arrival.status, "met")
        self.assertIn("Technician on site: Wang Technician", ticket.message_ids[0].body)

    def test_check_in_and_out_record_the_time_on_site(self):
        visit = self._visit(state="confirmed")
        tech_visit = visit.with_user(self.user_technician)
        with freeze_time("2030-03-04 02:10:00"):
            tech_visit.action_check_in()
        with freeze_time("2030-03-04 03:40:00"):
            tech_visit.action_check_out()
        self.assertEqual(visit.duration, 1.5)
        with self.assertRaisesRegex(UserError, "already checked out"):
            tech_visit.action_check_out()
        self.assertEqual(visit.check_out_date, datetime(2030, 3, 4, 3, 40))

    def test_check_in_query_count(self):
        """Check-in is the technician's hot path on site: a bounded number of
        queries (state, SLA line, ticket note; the field KPIs: the ticket's
        first arrival and SLA arrival deadline, its visits made; the contract
        entitlement of the visit's day)."""
        visits = [self._visit(state="confirmed") for __ in range(2)]
        visits[0].with_user(self.user_technician).action_check_in()  # warm caches
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=28):
            visits[1].with_user(self.user_technician).action_check_in()
            self.env.flush_all()


class TestVisitReport(VisitCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse._aftersales_parts_setup()
        cls.part = env["product.product"].create(
            {"name": "Start Capacitor SC-3", "is_storable": True, "standard_price": 5}
        )
        env["stock.quant"]._update_available_quantity(
            cls.part, cls.warehouse.lot_stock_id, 10
        )

    def _reserve(self, qty=2):
        reservation = self.env(user=self.user_technician)[
            "aftersales.part.reservation"
        ].create(
            {
                "ticket_id": self.ticket.id,
                "line_ids": [
                    Command.create({"product_id": self.part.id, "product_qty": qty})
                ],
            }
        )
        reservation.action_confirm()
        return reservation

    def test_whole_report_signed_on_the_technicians_screen(self):
        with freeze_time("2030-03-01 01:00:00"):
            ticket = self._create_ticket(
                technician_id=self.emp_technician.id, lot_id=self.lot_ac2.id
            )
            self.ticket = ticket
            reservation = self._reserve(qty=2)
        with freeze_time("2030-03-01 02:00:00"):
            visit = self._visit(state="on_site")
        tech = self.user_technician
        tech_visit = visit.with_user(tech)
        # the report: work done, fault (the remedy comes from the catalogue)
        self._write_report(visit)
        self.assertEqual(visit.remedy, "Replace the start capacitor.")
        tech_visit.write(
            {
                "test_results": "Outlet 8 C after 15 minutes.",
                "measurement_ids": [
                    Command.create(
                        {
                            "name": "Supply voltage",
                            "expected": "200-240 V",
                            "value": "221 V",
                            "result": "pass",
                        }
                    )
                ],
                "photo_ids": [
                    Command.create({"tag": "before", "image_1920": PNG_B64}),
                    Command.create(
                        {"tag": "after", "name": "New capacitor", "image_1920": PNG_B64}
                    ),
                ],
            }
        )
        self.assertEqual(visit.photo_count, 2)
        self.assertEqual(sorted(visit.photo_ids.mapped("tag")), ["after", "before"])
        # parts consumed on this visit, through the reservation's own flow
        action = tech_visit.action_consume_parts()
        self.assertEqual(action["res_model"], "aftersales.part.consume.wizard")
        consume = Form(
            self.env[action["res_model"]]
            .with_user(tech)
            .with_context(**action["context"])
        )
        with consume.line_ids.edit(0) as line:
            line.qty_consumed = 1
        consume.save().action_confirm()
        self.assertEqual(reservation.state, "done")
        self.assertEqual(visit.part_line_ids, reservation.line_ids)
        self.assertEqual(visit.part_line_ids.qty_consumed, 1)
        # the customer signs on the technician's screen
        with freeze_time("2030-03-01 04:30:00"):
            self._sign_with_form(visit)
        self.assertEqual(visit.state, "done")
        self.assertEqual(visit.signed_by, "Wu Customer")
        self.assertEqual(visit.signed_on, datetime(2030, 3, 1, 4, 30))
        self.assertEqual(visit.check_out_date, datetime(2030, 3, 1, 4, 30))
        self.assertEqual(visit.customer_comment, "Quick and clean, thank you.")
        self.assertTrue(visit.signature)
        # the PDF on the visit, on the ticket and to the customer
        pdf = visit.report_attachment_id
        self.assertEqual(pdf.res_model, "aftersales.visit")
        self.assertEqual(pdf.res_id, visit.id)
        self.assertEqual(pdf.name, f"Service Report {visit.name}.pdf")
        content = pdf.raw.decode()
        for text in (
            "Replaced the start capacitor",
            "E4 - Compressor fails to start",
            "Start Capacitor SC-3",
            "Supply voltage",
            "221 V",
            "Outlet 8 C after 15 minutes.",
            "Quick and clean, thank you.",
            "Wu Customer",
            "Li Technician",
        ):
            self.assertIn(text, content)
        note = ticket.message_ids.filtered(lambda m: "signed by Wu Customer" in m.body)
        self.assertEqual(len(note), 1)
        self.assertEqual(note.attachment_ids.name, pdf.name)
        self.assertEqual(note.attachment_ids.res_model, "aftersales.ticket")
        mail = self._customer_mails(visit, "Your service report")
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids, pdf)
        # the diagnosed fault goes on the ticket, which had none
        self.assertEqual(ticket.fault_code_id, self.fault)
        # registration to signed report: 3.5 hours
        self.assertEqual(ticket.report_signed_date, datetime(2030, 3, 1, 4, 30))
        self.assertAlmostEqual(ticket.report_signed_hours, 3.5)

    def test_first_signed_report_counts_for_the_ticket(self):
        with freeze_time("2030-03-01 01:00:00"):
            self.ticket = self._create_ticket(technician_id=self.emp_technician.id)
        with freeze_time("2030-03-02 01:00:00"):
            first = self._visit(state="on_site")
            self._write_report(first)
            first.with_user(self.user_technician)._sign("Wu", PNG_B64)
        with freeze_time("2030-03-03 01:00:00"):
            second = self._visit(state="on_site")
            self._write_report(second)
            second.with_user(self.user_technician)._sign("Wu", PNG_B64)
        self.assertEqual(self.ticket.report_signed_hours, 24.0)
        self.assertEqual(self.ticket.report_signed_date, datetime(2030, 3, 2, 1, 0))

    def test_signing_an_empty_report_refused(self):
        visit = self._visit(state="on_site")
        tech_visit = visit.with_user(self.user_technician)
        with self.assertRaisesRegex(UserError, "the service report is empty"):
            tech_visit.action_sign()
        visit.with_user(self.user_technician).work_done = "<p><br></p>"
        with self.assertRaisesRegex(UserError, "the service report is empty"):
            tech_visit._sign("Wu Customer", PNG_B64)
        with self.assertRaisesRegex(UserError, "the service report is empty"):
            tech_visit.action_send_for_signature()
        self.assertEqual(visit.state, "on_site")
        self.assertFalse(
            visit.signed_on or visit.signature or visit.report_attachment_id
        )

    def test_signing_before_check_in_refused(self):
        visit = self._visit(state="confirmed")
        self._write_report(visit)
        with self.assertRaisesRegex(
            UserError, "signs the report once the technician has checked in"
        ):
            visit.with_user(self.user_technician).action_sign()
        self.assertEqual(visit.state, "confirmed")

    def test_installation_needs_written_commissioning_results(self):
        visit = self._visit(state="on_site", visit_type="installation")
        self._write_report(visit)
        with self.assertRaisesRegex(UserError, "write the commissioning results"):
            visit.with_user(self.user_technician)._sign("Wu", PNG_B64)
        visit.with_user(self.user_technician).test_results = "Pressure 2.4 MPa, OK."
        visit.with_user(self.user_technician)._sign("Wu", PNG_B64)
        self.assertEqual(visit.state, "done")

    def test_signer_name_and_signature_required(self):
        visit = self._visit(state="on_site")
        self._write_report(visit)
        tech_visit = visit.with_user(self.user_technician)
        with self.assertRaisesRegex(UserError, "give the name of the person who signs"):
            tech_visit._sign(" ", PNG_B64)
        with self.assertRaisesRegex(UserError, "signature is missing"):
            tech_visit._sign("Wu", False)
        self.assertEqual(visit.state, "on_site")

    def test_signature_and_done_only_through_signing(self):
        visit = self._visit(state="on_site")
        self._write_report(visit)
        tech_visit = visit.with_user(self.user_technician)
        with self.assertRaisesRegex(UserError, "recorded only by signing"):
            tech_visit.write({"signature": PNG_B64, "signed_by": "Wu"})
        with self.assertRaisesRegex(UserError, "use Sign"):
            visit.with_user(self.user_manager).write({"state": "done"})
        self.assertEqual(visit.state, "on_site")
        self.assertFalse(visit.signature)

    def test_signed_report_is_locked_for_every_role(self):
        visit = self._visit(state="on_site")
        self._write_report(visit)
        visit.with_user(self.user_technician).write(
            {
                "measurement_ids": [
                    Command.create({"name": "Voltage", "value": "220"})
                ],
                "photo_ids": [Command.create({"tag": "before", "image_1920": PNG_B64})],
            }
        )
        visit.with_user(self.user_technician)._sign("Wu Customer", PNG_B64)
        locked = "signed by Wu Customer and is locked"
        for user in (self.user_technician, self.user_team, self.user_manager):
            with self.assertRaisesRegex(UserError, locked):
                visit.with_user(user).write({"work_done": "<p>Changed</p>"})
        with self.assertRaisesRegex(UserError, locked):
            visit.sudo().write({"customer_comment": "Changed by the superuser"})
        with self.assertRaisesRegex(UserError, locked):
            visit.with_user(self.user_manager).write({"state": "on_site"})
        with self.assertRaisesRegex(UserError, locked):
            visit.measurement_ids.with_user(self.user_technician).value = "240"
        with self.assertRaisesRegex(UserError, locked):
            visit.photo_ids.with_user(self.user_manager).unlink()
        with self.assertRaisesRegex(UserError, locked):
            self.env(user=self.user_technician)["aftersales.visit.photo"].create(
                {"visit_id": visit.id, "tag": "after", "image_1920": PNG_B64}
            )
        with self.assertRaisesRegex(UserError, locked):
            visit.with_user(self.user_technician)._sign("Someone Else", PNG_B64)
        with self.assertRaisesRegex(UserError, "cannot be deleted"):
            visit.with_user(self.user_manager).unlink()
        self.assertEqual(
            visit.work_done, "<p>Replaced the start capacitor, cleaned filters.</p>"
        )
        self.assertEqual(visit.measurement_ids.value, "220")
        self.assertEqual(len(visit.photo_ids), 1)
        self.assertEqual(visit.signed_by, "Wu Customer")
        # what is not the report still moves: e.g. the instructions
        visit.with_user(self.user_team).note = "Customer happy."

    def test_parts_are_recorded_on_site_only(self):
        self._reserve()
        visit = self._visit(state="confirmed")
        with self.assertRaisesRegex(UserError, "parts are recorded on site"):
            visit.with_user(self.user_technician).action_consume_parts()
        visit.with_user(self.user_technician).action_check_in()
        action = visit.with_user(self.user_technician).action_consume_parts()
        self.assertEqual(action["context"]["default_visit_id"], visit.id)

    def test_no_reserved_parts_to_consume(self):
        visit = self._visit(state="on_site")
        with self.assertRaisesRegex(UserError, "has no reserved parts to consume"):
            visit.with_user(self.user_technician).action_consume_parts()

    def test_consumption_from_the_reservation_lands_on_the_visit_on_site(self):
        reservation = self._reserve()
        visit = self._visit(state="on_site")
        reservation.with_user(self.user_technician)._consume(
            {reservation.line_ids: {"qty_consumed": 2.0}}
        )
        self.assertEqual(reservation.line_ids.visit_id, visit)
        self.assertEqual(visit.part_line_ids, reservation.line_ids)

    def test_technician_works_only_their_visits(self):
        visit = self._visit(state="on_site")
        self._write_report(visit)
        other = visit.with_user(self.user_technician2)
        with self.assertRaises(AccessError):
            other.action_sign()
        with self.assertRaises(AccessError):
            other._sign("Wu", PNG_B64)
        with self.assertRaises(AccessError):
            other.write({"work_done": "<p>Not mine</p>"})
        with self.assertRaises(AccessError):
            self.env(user=self.user_technician2)["aftersales.visit.photo"].create(
                {"visit_id": visit.id, "image_1920": PNG_B64}
            )
        self.assertEqual(visit.state, "on_site")

    def test_technician_prints_the_report(self):
        visit = self._visit(state="on_site")
        self._write_report(visit)
        html, __ = (
            self.env["ir.actions.report"]
            .with_user(self.user_technician)
            ._render_qweb_html(
                "aftersales_service.action_report_aftersales_visit", visit.ids
            )
        )
        self.assertIn(b"Replaced the start capacitor", html)
        self.assertIn(visit.name.encode(), html)
