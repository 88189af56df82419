"""The whole field service path in the browser, on one ticket, as the three
people who walk it: the dispatcher chooses the on-site mode, plans a visit
from the suggestion and confirms it to the customer; the technician, on a
phone, goes, checks in, writes the report, consumes the reserved part, takes
photos before and after, measures and has the customer sign on the screen;
the customer finds the signed report on the portal and downloads its PDF;
the case is then closed. Between the steps, the real records are checked."""

import base64
import html
import re

from odoo import Command

from .common import AftersalesHttpCase

# The browser runs in UTC: so do the users, and the technicians work around
# the clock, so that any window typed today is inside their working hours.
TZ = "UTC"
# Seconds for each tour: three screens' assets are built on a shared machine.
TOUR_TIMEOUT = 240


class TestFieldServiceEndToEnd(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        (
            cls.user_team
            | cls.user_technician
            | cls.user_technician2
            | cls.user_agent
            | cls.portal_user
        ).write({"tz": TZ})
        calendar = env["resource.calendar"].create(
            {
                "name": "Around the clock",
                "tz": TZ,
                "attendance_ids": [
                    Command.clear(),
                    *(
                        Command.create(
                            {
                                "name": f"Day {day}",
                                "dayofweek": str(day),
                                "hour_from": 0.0,
                                "hour_to": 24.0,
                                "day_period": "morning",
                            }
                        )
                        for day in range(7)
                    ),
                ],
            }
        )
        (cls.emp_technician | cls.emp_technician2).write(
            {"resource_calendar_id": calendar.id, "tz": TZ}
        )
        cls.customer.write(
            {"street": "88 Canal Street", "city": "Hangzhou", "tz": "Asia/Shanghai"}
        )

        # Air conditioners need a certified technician: Li is, Wang is not.
        skill_type = env["hr.skill.type"].create(
            {
                "name": "Product Lines",
                "skill_ids": [Command.create({"name": "Air Conditioners"})],
                "skill_level_ids": [
                    Command.create({"name": "Certified", "default_level": True})
                ],
            }
        )
        skill = skill_type.skill_ids
        category = env["product.category"].create(
            {"name": "Air Conditioning", "aftersales_skill_id": skill.id}
        )
        cls.product_ac.categ_id = category
        cls.team_region.technician_ids = [Command.link(cls.emp_technician2.id)]
        env["hr.employee.skill"].create(
            [
                {
                    "employee_id": employee.id,
                    "skill_id": skill.id,
                    "skill_level_id": skill_type.skill_level_ids.id,
                    "skill_type_id": skill_type.id,
                }
                for employee in cls.emp_technician | cls.emp_technician2
            ]
        )
        env["aftersales.certification"].create(
            {"employee_id": cls.emp_technician.id, "skill_id": skill.id}
        )
        cls.fault = env["aftersales.fault.code"].create(
            {
                "code": "E4",
                "name": "Compressor fails to start",
                "remedy": "Replace the start capacitor.",
            }
        )

        # An urgent ticket: it has an on-site arrival target.
        cls.ticket = cls._create_ticket(
            symptom="Compressor clicks, no cooling",
            priority="1",
            lot_id=cls.lot_ac1.id,
            technician_id=cls.emp_technician.id,
        )

        # The part the technician reserved for the case, in stock.
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        warehouse._aftersales_parts_setup()
        cls.part = env["product.product"].create(
            {"name": "Start Capacitor SC-3", "is_storable": True, "standard_price": 5}
        )
        env["stock.quant"]._update_available_quantity(
            cls.part, warehouse.lot_stock_id, 10
        )
        cls.reservation = env(user=cls.user_technician)[
            "aftersales.part.reservation"
        ].create(
            {
                "ticket_id": cls.ticket.id,
                "line_ids": [
                    Command.create({"product_id": cls.part.id, "product_qty": 2})
                ],
            }
        )
        cls.reservation.action_confirm()

    def _build_assets(self, *bundles):
        """Build the browser's asset bundles before a tour opens its first
        page: on a busy machine their first build can outlast the browser's
        fixed one-minute wait for that page."""
        QWeb = self.env["ir.qweb"]
        for name in bundles:
            bundle = QWeb._get_asset_bundle(name)
            bundle.js()
            bundle.css()

    def _customer_mails(self, record, subject):
        return (
            self.env["mail.notification"]
            .search(
                [
                    ("res_partner_id", "=", self.customer.id),
                    ("notification_type", "=", "email"),
                    ("mail_message_id.model", "=", record._name),
                    ("mail_message_id.res_id", "=", record.id),
                    ("mail_message_id.subject", "ilike", subject),
                ]
            )
            .mail_message_id
        )

    def test_dispatcher_technician_customer(self):
        ticket = self.ticket
        arrival = ticket.sla_ids.filtered(lambda line: line.target_type == "arrival")
        self.assertTrue(arrival, "an urgent ticket has an on-site arrival target")
        self.assertFalse(arrival.reached_date)
        self.assertEqual(self.reservation.state, "confirmed")

        # 1. The dispatcher: on-site mode, a visit planned from the
        #    suggestion, confirmed to the customer.
        self._build_assets("web.assets_web", "web.assets_tests")
        self.start_tour(
            "/odoo/action-aftersales_service.aftersales_ticket_action",
            "aftersales_field_e2e_dispatcher_tour",
            login="as_team",
            timeout=TOUR_TIMEOUT,
        )
        self.assertEqual(ticket.resolution_mode, "onsite")
        mode_change = ticket.message_ids.filtered(
            lambda m: "resolution_mode" in m.tracking_value_ids.field_id.mapped("name")
        )
        self.assertEqual(len(mode_change), 1, "the mode change is tracked")
        self.assertEqual(mode_change.author_id, self.user_team.partner_id)
        visit = ticket.visit_ids
        self.assertEqual(len(visit), 1)
        self.assertRecordValues(
            visit,
            [
                {
                    "state": "confirmed",
                    "technician_id": self.emp_technician.id,
                    "team_id": self.team_point.id,
                    "technician_certified": True,
                    "check_in_date": False,
                }
            ],
        )
        self.assertEqual(visit.create_uid, self.user_team)
        confirmed = self._customer_mails(visit, "Your visit is confirmed")
        self.assertEqual(len(confirmed), 1)
        self.assertIn(visit._customer_window(), confirmed.body)
        self.assertIn("Li Technician", confirmed.body)

        # 2. The technician on a phone: on the way, on site, the report, the
        #    part, the photos, a measurement, the customer's signature.
        self.browser_size = "375x667"
        self.touch_enabled = True
        self.start_tour(
            "/odoo/action-aftersales_service.aftersales_visit_action_server_my_today",
            "aftersales_field_e2e_technician_tour",
            login="as_tech",
            timeout=TOUR_TIMEOUT,
        )
        self.browser_size = "1366x768"
        self.touch_enabled = False
        self.assertEqual(visit.state, "done")
        self.assertTrue(visit.check_in_date)
        self.assertTrue(visit.check_out_date)
        self.assertLessEqual(visit.check_in_date, visit.check_out_date)
        tracked = visit.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertEqual(
            tracked.sorted("id").mapped("new_value_char"),
            ["Confirmed", "On the Way", "On Site", "Done & Signed"],
        )
        # the on-site arrival target met by the check-in
        self.assertEqual(arrival.reached_date, visit.check_in_date)
        self.assertEqual(arrival.status, "met")
        # the report
        self.assertIn("Replaced the start capacitor", visit.work_done)
        self.assertEqual(visit.fault_code_id, self.fault)
        self.assertEqual(visit.remedy, "Replace the start capacitor.")
        self.assertRecordValues(
            visit.measurement_ids,
            [{"name": "Supply voltage", "value": "221 V", "result": "pass"}],
        )
        # the part: one consumed on this visit, the other back to stock
        self.assertEqual(self.reservation.state, "done")
        self.assertEqual(visit.part_line_ids, self.reservation.line_ids)
        self.assertEqual(visit.part_line_ids.qty_consumed, 1)
        moves = self.env["stock.move"].search(
            [("product_id", "=", self.part.id), ("state", "=", "done")]
        )
        consumed = moves.filtered(
            lambda m: (
                m.location_dest_id.usage == "customer"
                or m.location_dest_id.scrap_location
            )
        )
        self.assertEqual(sum(consumed.mapped("quantity")), 1)
        self.assertEqual(self.part.qty_available, 9)
        # photos tagged before and after
        self.assertEqual(sorted(visit.photo_ids.mapped("tag")), ["after", "before"])
        self.assertTrue(all(visit.photo_ids.mapped("image_1920")))
        # signed on the screen, locked, the PDF kept and e-mailed
        self.assertEqual(visit.signed_by, "Wu Customer")
        self.assertEqual(base64.b64decode(visit.signature)[:4], b"\x89PNG")
        self.assertTrue(visit.signed_on)
        self.assertEqual(visit.customer_comment, "Fast and clean work.")
        pdf = visit.report_attachment_id
        self.assertEqual(pdf.mimetype, "application/pdf")
        # (tests render the report's HTML instead of calling wkhtmltopdf)
        content = pdf.raw.decode()
        for text in (
            "Replaced the start capacitor",
            "E4 - Compressor fails to start",
            "Start Capacitor SC-3",
            "Supply voltage",
            "221 V",
            "Fast and clean work.",
            "Wu Customer",
            "Li Technician",
        ):
            self.assertIn(text, content)
        report_mail = self._customer_mails(visit, "Your service report")
        self.assertEqual(len(report_mail), 1)
        self.assertEqual(report_mail.attachment_ids, pdf)
        self.assertTrue(
            ticket.message_ids.attachment_ids.filtered(
                lambda a: a.name == pdf.name and a.mimetype == "application/pdf"
            ),
            "the signed report is on the ticket",
        )
        self.assertEqual(ticket.report_signed_date, visit.signed_on)
        self.assertEqual(ticket.fault_code_id, self.fault)

        # 3. The customer finds the signed report on the portal and downloads
        #    its PDF.
        self._build_assets(
            "web.assets_frontend",
            "web.assets_frontend_minimal",
            "web.assets_frontend_lazy",
        )
        self.start_tour(
            "/my",
            "aftersales_field_e2e_customer_tour",
            login="as_portal",
            timeout=TOUR_TIMEOUT,
        )
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/visits")
        self.assertEqual(page.status_code, 200)
        links = {
            html.unescape(href)
            for href in re.findall(r'href="([^"]*report_type=pdf[^"]*)"', page.text)
        }
        self.assertEqual(len(links), 1, "one signed report to download")
        response = self.url_open(links.pop())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        self.assertEqual(response.content, pdf.raw)

        # 4. The technician closes the case: solved.
        ticket.with_user(self.user_technician).write({"stage_id": self.stage_solved.id})
        self.assertTrue(ticket.is_closed)
        self.assertEqual(ticket.outcome, "solved")
        self.assertTrue(ticket.closed_date)
        self.assertEqual(
            ticket.sla_ids.filtered(lambda s: s.target_type == "arrival").status,
            "met",
        )
