"""Third-party service partners: a team operated by a partner company, its
technicians working only that team's tickets and visits (record rules, as
the real Partner Technician role), under the same report and signature rules,
and the monthly list of the partner's signed visits for settlement."""

import base64
from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user

from .common import AftersalesCase

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)
PNG_B64 = base64.b64encode(PNG)


class PartnerServiceCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cn = env.ref("base.cn")
        cls.state_remote = env["res.country.state"].create(
            {"name": "Test Xinjiang", "code": "TXJ", "country_id": cn.id}
        )
        Partner = env["res.partner"]
        cls.partner_co = Partner.create(
            {"name": "Tianshan Service Co", "is_company": True}
        )
        cls.partner_co2 = Partner.create(
            {"name": "Gobi Repairs Ltd", "is_company": True}
        )
        cls.user_partner_tech = new_test_user(
            env,
            login="as_partner_tech",
            name="Ma Partner Technician",
            groups="aftersales_service.group_aftersales_partner_technician",
        )
        cls.user_partner_tech.partner_id.parent_id = cls.partner_co
        cls.user_partner_tech2 = new_test_user(
            env,
            login="as_partner_tech2",
            name="Han Partner Technician",
            groups="aftersales_service.group_aftersales_partner_technician",
        )
        Employee = env["hr.employee"]
        cls.emp_partner = Employee.create(
            {"name": "Ma Partner Technician", "user_id": cls.user_partner_tech.id}
        )
        cls.emp_partner2 = Employee.create(
            {"name": "Han Partner Technician", "user_id": cls.user_partner_tech2.id}
        )
        Team = env["aftersales.team"]
        cls.team_partner = Team.create(
            {
                "name": "Urumqi Partner Point",
                "level": "point",
                "parent_id": cls.team_hq.id,
                "state_ids": [Command.set(cls.state_remote.ids)],
                "technician_ids": [Command.set(cls.emp_partner.ids)],
                "service_partner_id": cls.partner_co.id,
            }
        )
        cls.team_partner2 = Team.create(
            {
                "name": "Kashgar Partner Point",
                "level": "point",
                "parent_id": cls.team_hq.id,
                "technician_ids": [Command.set(cls.emp_partner2.ids)],
                "service_partner_id": cls.partner_co2.id,
            }
        )
        cls.customer_remote = Partner.create(
            {
                "name": "Aydin Customer",
                "phone": "139 8765 4321",
                "state_id": cls.state_remote.id,
                "country_id": cn.id,
            }
        )
        cls.customer_remote2 = Partner.create(
            {"name": "Kashgar Hotel", "state_id": cls.state_remote.id}
        )
        # the partner team's tickets: one assigned to its technician, one not
        cls.ticket_partner = cls._create_ticket(
            partner_id=cls.customer_remote.id,
            team_id=cls.team_partner.id,
            technician_id=cls.emp_partner.id,
        )
        cls.ticket_partner_unassigned = cls._create_ticket(
            partner_id=cls.customer_remote.id, team_id=cls.team_partner.id
        )
        cls.ticket_other_partner = cls._create_ticket(
            partner_id=cls.customer_remote2.id,
            team_id=cls.team_partner2.id,
            technician_id=cls.emp_partner2.id,
        )
        # an own team's ticket, in the own region
        cls.ticket_own = cls._create_ticket(
            team_id=cls.team_point.id, technician_id=cls.emp_technician.id
        )
        start, stop = cls._working_window(cls.emp_partner, days=2)
        Visit = env["aftersales.visit"]
        cls.visit_partner = Visit.create(
            {
                "ticket_id": cls.ticket_partner.id,
                "technician_id": cls.emp_partner.id,
                "planned_start": start,
                "planned_stop": stop,
            }
        )
        cls.visit_partner_unassigned = Visit.create(
            {
                "ticket_id": cls.ticket_partner_unassigned.id,
                "planned_start": start,
                "planned_stop": stop,
            }
        )
        cls.visit_other_partner = Visit.create(
            {
                "ticket_id": cls.ticket_other_partner.id,
                "technician_id": cls.emp_partner2.id,
                "planned_start": start,
                "planned_stop": stop,
            }
        )
        cls.visit_own = Visit.create(
            {
                "ticket_id": cls.ticket_own.id,
                "technician_id": cls.emp_technician.id,
                "planned_start": start,
                "planned_stop": stop,
            }
        )

    def _sign_as(self, visit, user):
        visit = visit.with_user(user)
        visit.action_confirm()
        visit.action_check_in()
        visit.write({"work_done": "<p>Replaced the fan motor.</p>"})
        action = visit.action_sign()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )
        wizard.signed_by = "Aydin"
        wizard.signature = PNG_B64
        wizard.save().action_confirm()


class TestPartnerTechnician(PartnerServiceCase):
    def test_sees_the_tickets_and_visits_of_their_team_only(self):
        env = self.env(user=self.user_partner_tech)
        self.assertEqual(
            env["aftersales.ticket"].search([]),
            self.ticket_partner | self.ticket_partner_unassigned,
        )
        self.assertEqual(
            env["aftersales.visit"].search([]),
            self.visit_partner | self.visit_partner_unassigned,
        )
        # the team's tickets are read in full, with their service levels
        ticket = self.ticket_partner_unassigned.with_user(self.user_partner_tech)
        self.assertEqual(ticket.partner_id, self.customer_remote)
        self.assertTrue(ticket.sla_ids)
        self.assertEqual(
            env["aftersales.ticket.sla"].search([]).ticket_id,
            self.ticket_partner | self.ticket_partner_unassigned,
        )

    def test_refused_on_another_teams_ticket_and_visit(self):
        for record in (
            self.ticket_own,
            self.ticket_other_partner,
            self.visit_own,
            self.visit_other_partner,
        ):
            with self.assertRaises(AccessError, msg=record.display_name):
                record.with_user(self.user_partner_tech).read(["name"])
            vals = (
                {"note": "mine now"}
                if record._name == "aftersales.visit"
                else {"stage_id": self.stage_diagnosis.id}
            )
            with self.assertRaises(AccessError, msg=record.display_name):
                record.with_user(self.user_partner_tech).write(vals)
        with self.assertRaises(AccessError):
            self.visit_own.with_user(self.user_partner_tech).action_check_in()
        self.assertEqual(self.visit_own.state, "planned")

    def test_sees_only_the_customers_of_their_tickets(self):
        env = self.env(user=self.user_partner_tech)
        customers = self.customer | self.customer_remote | self.customer_remote2
        self.assertEqual(
            env["res.partner"].search([("id", "in", customers.ids)]),
            self.customer_remote,
        )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.user_partner_tech).read(["name"])
        # their colleagues and their own company stay visible
        self.assertTrue(
            self.user_technician.partner_id.with_user(
                self.user_partner_tech
            ).has_access("read")
        )
        self.assertTrue(self.partner_co.with_user(self.user_partner_tech).name)
        # a plain technician is not narrowed
        self.assertTrue(
            self.customer.with_user(self.user_technician).has_access("read")
        )

    def test_sees_only_the_warranties_of_their_tickets_customers(self):
        term = self.env.ref("aftersales_service.warranty_term_default")
        Warranty = self.env["aftersales.warranty"]
        warranties = Warranty.create(
            [
                {
                    "partner_id": partner.id,
                    "product_id": self.product_ac.id,
                    "lot_id": lot.id,
                    "term_id": term.id,
                    "delivery_date": "2026-01-10",
                }
                for partner, lot in (
                    (self.customer_remote, self.lot_ac1),
                    (self.customer, self.lot_ac2),
                )
            ]
        )
        found = Warranty.with_user(self.user_partner_tech).search(
            [("id", "in", warranties.ids)]
        )
        self.assertEqual(found, warranties[0])

    def test_works_the_visit_under_the_same_report_rules(self):
        visit = self.visit_partner.with_user(self.user_partner_tech)
        # the same report rule as own technicians: no signing an empty report
        visit.action_confirm()
        visit.action_check_in()
        with self.assertRaisesRegex(UserError, "the service report is empty"):
            visit.action_sign()
        visit.write({"work_done": "<p>Replaced the fan motor.</p>"})
        self.env["aftersales.visit.photo"].with_user(self.user_partner_tech).create(
            {"visit_id": visit.id, "image_1920": PNG_B64, "tag": "after"}
        )
        action = visit.action_sign()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_partner_tech)
            .with_context(**action["context"])
        )
        wizard.signed_by = "Aydin"
        wizard.signature = PNG_B64
        wizard.save().action_confirm()
        self.assertEqual(self.visit_partner.state, "done")
        self.assertTrue(self.visit_partner.report_attachment_id)
        # the SLA's on-site arrival was met by the check-in, as for own teams
        self.assertTrue(self.visit_partner.check_in_date)
        # the signed report is locked for them too
        with self.assertRaisesRegex(UserError, "is locked"):
            visit.write({"work_done": "<p>Something else.</p>"})
        # technicians never change who does a visit
        with self.assertRaises(AccessError):
            self.visit_partner_unassigned.with_user(self.user_partner_tech).write(
                {"technician_id": self.emp_partner.id}
            )

    def test_never_sent_to_another_teams_work(self):
        with self.assertRaises(ValidationError) as caught:
            self.visit_own.write({"technician_id": self.emp_partner.id})
        self.assertIn(
            "Ma Partner Technician works for Tianshan Service Co: they take the "
            "tickets and visits of Urumqi Partner Point only",
            str(caught.exception),
        )
        with self.assertRaises(ValidationError):
            self.ticket_own.write({"technician_id": self.emp_partner.id})
        with self.assertRaises(ValidationError):
            self.visit_own.write({"helper_ids": [Command.link(self.emp_partner.id)]})
        self.env.invalidate_all()
        self.assertEqual(self.visit_own.technician_id, self.emp_technician)
        self.assertEqual(self.ticket_own.technician_id, self.emp_technician)
        self.assertFalse(self.visit_own.helper_ids)

    def test_dispatch_sends_the_partner_with_the_visit_to_its_team(self):
        """The suggestion offers the partner team serving the customer's
        region; sending its technician moves the visit to that team."""
        ticket = self._create_ticket(
            partner_id=self.customer_remote.id, team_id=self.team_point.id
        )
        start, stop = self._working_window(self.emp_partner, days=3)
        visit = self.env["aftersales.visit"].create(
            {"ticket_id": ticket.id, "planned_start": start, "planned_stop": stop}
        )
        action = visit.with_user(self.user_manager).action_suggest_technician()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        line = wizard.line_ids.filtered(lambda row: row.employee_id == self.emp_partner)
        self.assertEqual(line.team_id, self.team_partner)
        self.assertIn("Serves Test Xinjiang (Urumqi Partner Point)", line.region_note)
        line.with_user(self.user_manager).action_assign()
        self.assertEqual(visit.technician_id, self.emp_partner)
        self.assertEqual(visit.team_id, self.team_partner)
        self.assertEqual(visit.with_user(self.user_partner_tech).name, visit.name)

    def test_auto_assignment_sends_the_partner_with_the_visit(self):
        self.team_point.visit_auto_assign = True
        ticket = self._create_ticket(
            partner_id=self.customer_remote.id, team_id=self.team_point.id
        )
        start, stop = self._working_window(self.emp_partner, days=4)
        visit = self.env["aftersales.visit"].create(
            {"ticket_id": ticket.id, "planned_start": start, "planned_stop": stop}
        )
        self.assertEqual(visit.technician_id, self.emp_partner)
        self.assertEqual(visit.team_id, self.team_partner)


class TestSettlement(PartnerServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Visit = cls.env["aftersales.visit"]
        part = cls.env["product.product"].create(
            {"name": "Fan Motor", "is_storable": True}
        )

        def visit(ticket, employee, day, state, hours=1.5, signed=True):
            start = datetime(2026, day[0], day[1], 3, 0)
            vals = {
                "ticket_id": ticket.id,
                "technician_id": employee.id,
                "planned_start": start,
                "planned_stop": start + timedelta(hours=2),
                "outside_hours_confirmed": True,
                "state": state,
            }
            if state == "done":
                vals.update(
                    check_in_date=start,
                    check_out_date=start + timedelta(hours=hours),
                    signed_by="Aydin" if signed else False,
                    signed_on=start + timedelta(hours=hours) if signed else False,
                )
            return Visit.create(vals)

        # September 2026, partner 1: two signed visits (1.5 h and 2.25 h)
        cls.sep_1 = visit(cls.ticket_partner, cls.emp_partner, (9, 7), "done")
        cls.sep_2 = visit(
            cls.ticket_partner_unassigned, cls.emp_partner, (9, 29), "done", 2.25
        )
        # not settled: another month, cancelled, no-show, done unsigned, and
        # another partner's signed visit in the same month
        cls.aug = visit(cls.ticket_partner, cls.emp_partner, (8, 31), "done")
        cls.oct = visit(cls.ticket_partner, cls.emp_partner, (10, 1), "done")
        visit(cls.ticket_partner, cls.emp_partner, (9, 8), "cancelled")
        visit(cls.ticket_partner, cls.emp_partner, (9, 9), "no_show")
        visit(cls.ticket_partner, cls.emp_partner, (9, 10), "done", signed=False)
        cls.sep_other = visit(
            cls.ticket_other_partner, cls.emp_partner2, (9, 15), "done"
        )
        # an own team's signed visit
        visit(cls.ticket_own, cls.emp_technician, (9, 16), "done")
        # parts consumed on the first one
        reservation = cls.env["aftersales.part.reservation"].create(
            {
                "ticket_id": cls.ticket_partner.id,
                "line_ids": [Command.create({"product_id": part.id, "product_qty": 2})],
            }
        )
        reservation.line_ids.write({"qty_consumed": 2, "visit_id": cls.sep_1.id})
        cls.user_manager.tz = "UTC"

    def _wizard(self, partner, month="9", year=2026, user=None):
        form = Form(
            self.env["aftersales.settlement.wizard"].with_user(
                user or self.user_manager
            )
        )
        form.partner_id = partner
        form.month = month
        form.year = year
        return form.save()

    def test_the_month_holds_the_partners_signed_visits_only(self):
        wizard = self._wizard(self.partner_co)
        self.assertEqual(wizard.visit_ids, self.sep_1 | self.sep_2)
        self.assertEqual(wizard.visit_count, 2)
        self.assertAlmostEqual(wizard.total_duration, 3.75)
        self.assertEqual(self.sep_1.parts_consumed_summary, "Fan Motor × 2")
        # the list opened from it shows the same visits
        action = wizard.action_view_visits()
        self.assertEqual(
            self.env["aftersales.visit"]
            .with_user(self.user_manager)
            .search(action["domain"]),
            self.sep_1 | self.sep_2,
        )
        # the other partner's month, and an empty month
        self.assertEqual(self._wizard(self.partner_co2).visit_ids, self.sep_other)
        self.assertFalse(self._wizard(self.partner_co, month="7").visit_ids)
        self.assertEqual(self._wizard(self.partner_co, month="8").visit_ids, self.aug)

    def test_grouped_per_month_from_the_team(self):
        self.assertEqual(self.team_partner.settlement_visit_count, 4)
        self.assertEqual(self.team_point.settlement_visit_count, 0)
        action = self.team_partner.with_user(self.user_manager).action_view_settlement()
        groups = (
            self.env["aftersales.visit"]
            .with_user(self.user_manager)
            ._read_group(action["domain"], ["signed_on:month"], ["duration:sum"])
        )
        self.assertEqual(
            [(month.strftime("%Y-%m"), total) for month, total in groups],
            [("2026-08", 1.5), ("2026-09", 3.75), ("2026-10", 1.5)],
        )

    def test_statement_prints_the_month(self):
        wizard = self._wizard(self.partner_co)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_manager)
            ._render_qweb_html(
                "aftersales_service.action_report_aftersales_settlement", wizard.ids
            )[0]
        ).decode()
        self.assertIn("Tianshan Service Co", html)
        for visit in self.sep_1 | self.sep_2:
            self.assertIn(visit.name, html)
        for visit in self.aug | self.oct | self.sep_other:
            self.assertNotIn(visit.name, html)
        self.assertIn("Fan Motor × 2", html)
        self.assertEqual(wizard.action_print()["report_type"], "qweb-pdf")

    def test_settlement_list_queries_do_not_grow_with_the_visits(self):
        Visit = self.env["aftersales.visit"].with_user(self.user_manager)
        fnames = [
            "signed_on",
            "name",
            "ticket_id",
            "partner_id",
            "visit_type",
            "technician_id",
            "check_in_date",
            "check_out_date",
            "duration",
            "parts_consumed_summary",
        ]

        def queries(domain):
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            rows = Visit.search_read(domain, fnames)
            return len(rows), self.env.cr.sql_log_count - start

        queries([("id", "in", self.sep_2.ids)])  # caches of the registry
        few = queries([("id", "in", self.sep_1.ids)])
        many = queries(Visit._settlement_domain())
        self.assertEqual((few[0], many[0]), (1, 5))
        self.assertEqual(few[1], many[1])

    def test_partner_technicians_do_not_see_settlements(self):
        with self.assertRaises(AccessError):
            self._wizard(self.partner_co, user=self.user_partner_tech)
        # the other partner's visits stay out of their reach
        with self.assertRaises(AccessError):
            self.sep_other.with_user(self.user_partner_tech).read(["duration"])
