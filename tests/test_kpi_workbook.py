"""KPI report (SQL view) and the Excel workbook, checked sheet by sheet."""

import io
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user

from .test_performance_score import OCT, PerformanceCase


class TestKpiReport(PerformanceCase):
    def _kpis(self, domain, measures):
        Report = self.env["aftersales.kpi.report"]
        [row] = Report._read_group(domain, [], measures)
        return dict(zip(measures, row, strict=True))

    def test_kpis_by_team_and_period(self):
        domain = [
            ("team_id", "=", self.team_point.id),
            ("date", ">=", "2025-10-01"),
            ("date", "<", "2025-11-01"),
        ]
        kpis = self._kpis(
            domain,
            [
                "ticket_count:sum",
                "closed_count:sum",
                "response_hours:avg",
                "resolution_hours:avg",
                "first_time_fix:avg",
                "repeat_rate:avg",
                "sla_compliance:avg",
                "satisfaction:avg",
                "nps:avg",
                "complaint_rate:avg",
                "complaint_at_fault_count:sum",
                "parts_reserved_qty:sum",
                "parts_consumed_qty:sum",
                "parts_usage:avg",
                "parts_cost:sum",
                "warranty_cost:sum",
                "cost_per_ticket:avg",
            ],
        )
        expected = {
            "ticket_count:sum": 7,
            "closed_count:sum": 4,  # t1, t2, t3 and the complaint t6
            "response_hours:avg": 3.0,  # 1, 3, 5 (t4's first response failed)
            "resolution_hours:avg": 92.75,  # (123 + 122 + 99 + 27) / 4
            "first_time_fix:avg": 75.0,  # t1 repeated; t2, t3, t6 not
            "repeat_rate:avg": 100.0 / 7,  # t5
            "sla_compliance:avg": 62.5,  # t1 100, t2 50, t3 50, t4 50
            "satisfaction:avg": 3.0,  # 5, 4, 2, 1
            "nps:avg": -25.0,  # promoter, passive, detractor, detractor
            "complaint_rate:avg": 200.0 / 7,  # t2 and t3 drew complaints
            "complaint_at_fault_count:sum": 1,
            "parts_reserved_qty:sum": 6.0,  # the draft reservation is left out
            "parts_consumed_qty:sum": 3.0,
            "parts_usage:avg": 50.0,
            "parts_cost:sum": 108.0,  # 2 x 50 + 1 x 8
            "warranty_cost:sum": 100.0,
            "cost_per_ticket:avg": 108.0 / 7,
        }
        for measure, value in expected.items():
            self.assertAlmostEqual(kpis[measure], value, places=2, msg=measure)

    def test_grouped_by_technician_and_region(self):
        Report = self.env["aftersales.kpi.report"]
        rows = Report._read_group(
            [("ticket_id", "in", self.tickets.ids)],
            ["technician_id", "region_id"],
            ["ticket_count:sum", "first_time_fix:avg"],
        )
        by_tech = {tech: (region, count, ftf) for tech, region, count, ftf in rows}
        self.assertEqual(by_tech[self.emp_technician][0], self.state_zj)
        self.assertEqual(by_tech[self.emp_technician][1], 4)
        self.assertAlmostEqual(by_tech[self.emp_technician][2], 200.0 / 3)

    def test_grouped_by_fault(self):
        fault = self.env["aftersales.fault.code"].create(
            {"code": " e4", "name": "Compressor fails to start"}
        )
        (self.t1 | self.t2).fault_code_id = fault
        self.env.flush_all()  # the report is a view over the tickets
        rows = self.env["aftersales.kpi.report"]._read_group(
            [("ticket_id", "in", self.tickets.ids)],
            ["fault_code_id"],
            ["ticket_count:sum", "first_time_fix:avg"],
        )
        by_fault = {fault: (count, ftf) for fault, count, ftf in rows}
        # t1 was repeated (0), t2 was not (100); five tickets not diagnosed
        self.assertEqual(by_fault[fault], (2, 50.0))
        self.assertEqual(by_fault[self.env["aftersales.fault.code"]][0], 5)

    def test_team_user_reads_report(self):
        self.env["aftersales.kpi.report"].with_user(self.user_team).search([])
        with self.assertRaises(AccessError):
            self.env["aftersales.kpi.report"].with_user(self.user_agent).search([])

    def test_complaint_rate_counts_reopened_tickets(self):
        """t4 reopened by an unhappy answer (no new complaint ticket) and
        found at fault: it drew a complaint as t2 and t3 did."""
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET is_complaint = TRUE, "
            "company_at_fault = TRUE WHERE id = %s",
            [self.t4.id],
        )
        kpis = self._kpis(
            [("ticket_id", "in", self.tickets.ids)],
            ["complaint_rate:avg", "complaint_at_fault_count:sum"],
        )
        self.assertAlmostEqual(kpis["complaint_rate:avg"], 300.0 / 7)
        self.assertEqual(kpis["complaint_at_fault_count:sum"], 2)  # t6 and t4
        row = self.env["aftersales.kpi.report"].search([("ticket_id", "=", self.t4.id)])
        self.assertEqual((row.complaint_rate, row.complaint_at_fault_count), (100, 1))

    def test_cancelled_tickets_are_left_out_of_resolution(self):
        """t3 cancelled: first-time fix over t1 (repeated), t2 and t6;
        resolution time over t1, t2 and t6 (123, 122 and 27 hours)."""
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET stage_id = %s, outcome = 'cancelled' "
            "WHERE id = %s",
            [self.env.ref("aftersales_service.stage_cancelled").id, self.t3.id],
        )
        kpis = self._kpis(
            [("ticket_id", "in", self.tickets.ids)],
            ["closed_count:sum", "first_time_fix:avg", "resolution_hours:avg"],
        )
        self.assertEqual(kpis["closed_count:sum"], 4)
        self.assertAlmostEqual(kpis["first_time_fix:avg"], 200.0 / 3)
        self.assertAlmostEqual(kpis["resolution_hours:avg"], 272.0 / 3)


class TestReportsFollowTeamRules(PerformanceCase):
    """A dispatcher of the Nanjing point sees Nanjing's figures only, as in
    the ticket list; the region's dispatcher sees the whole region."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_nanjing = new_test_user(
            cls.env,
            login="as_nanjing",
            name="Xu Nanjing Dispatcher",
            groups="aftersales_service.group_aftersales_user_team",
        )
        cls.team_other_point.member_ids = [Command.link(cls.user_nanjing.id)]
        cls.t_nj = cls._create_ticket(
            owner_id=cls.user_agent2.id,
            team_id=cls.team_other_point.id,
            received_date=datetime(2025, 10, 8, 9),
        )
        cls.cb_nj = cls.env["aftersales.callback"].create(
            {"name": "CB-NJ", "ticket_id": cls.t_nj.id, "due_date": OCT}
        )

    def test_kpi_report_shows_what_the_ticket_list_shows(self):
        Report = self.env["aftersales.kpi.report"]
        Ticket = self.env["aftersales.ticket"]
        for user in (self.user_nanjing, self.user_team, self.user_manager):
            seen = Report.with_user(user).search([]).ticket_id
            self.assertEqual(seen, Ticket.with_user(user).search([]), user.login)
        nanjing = Report.with_user(self.user_nanjing)
        self.assertEqual(nanjing.search([]).ticket_id, self.t_nj)
        self.assertFalse(nanjing.search([("team_id", "=", self.team_point.id)]))
        [(count,)] = nanjing._read_group([], [], ["ticket_count:sum"])
        self.assertEqual(count, 1)
        region = Report.with_user(self.user_team).search([]).ticket_id
        self.assertEqual(region, self.tickets | self.t_sep | self.t_nj)

    def test_callback_report_shows_the_team_callbacks(self):
        Report = self.env["aftersales.callback.report"]
        Callback = self.env["aftersales.callback"]
        for user in (self.user_nanjing, self.user_team, self.user_manager):
            seen = Report.with_user(user).search([]).callback_id
            self.assertEqual(seen, Callback.with_user(user).search([]), user.login)
        self.assertEqual(
            Report.with_user(self.user_nanjing).search([]).callback_id, self.cb_nj
        )
        [(answered,)] = Report.with_user(self.user_nanjing)._read_group(
            [], [], ["answered_count:sum"]
        )
        self.assertEqual(answered, 0)
        [(answered,)] = Report.with_user(self.user_team)._read_group(
            [], [], ["answered_count:sum"]
        )
        self.assertEqual(answered, 4)

    def test_workbook_of_a_team_user_holds_their_tickets_only(self):
        form = Form(
            self.env["aftersales.kpi.workbook.wizard"].with_user(self.user_nanjing)
        )
        form.date_from = OCT
        form.date_to = date(2025, 10, 31)
        wizard = form.save()
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(wizard.attachment_id.raw))
        rows = [list(r) for r in book["Tickets and SLA"].iter_rows(values_only=True)]
        self.assertEqual([row[0] for row in rows[1:]], [self.t_nj.name])
        summary = {
            row[0]: row[1:]
            for row in book["Summary"].iter_rows(values_only=True)
            if row[0]
        }
        self.assertEqual(summary["Tickets"][:2], (1, 0))
        self.assertEqual(summary["Parts cost"][0], 0)
        parts = list(book["Parts"].iter_rows(values_only=True))
        self.assertEqual(len(parts), 1, "t1's parts belong to another team")


class TestKpiWorkbook(PerformanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Score._build_scores("month", OCT, employees=cls.employees)

    def _wizard(self, user=None, **vals):
        env = self.env(user=user or self.user_manager)
        form = Form(env["aftersales.kpi.workbook.wizard"])
        form.date_from = vals.get("date_from", date(2025, 10, 1))
        form.date_to = vals.get("date_to", date(2025, 10, 31))
        form.team_id = vals.get("team_id", self.team_region)
        return form.save()

    def _open(self, wizard):
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/{wizard.attachment_id.id}", action["url"])
        raw = wizard.attachment_id.raw
        return openpyxl.load_workbook(io.BytesIO(raw)), raw

    def _rows(self, sheet):
        return [list(row) for row in sheet.iter_rows(values_only=True)]

    def test_workbook_sheet_by_sheet(self):
        self.t1.fault_code_id = self.env["aftersales.fault.code"].create(
            {"code": "e4", "name": "Compressor fails to start"}
        )
        # Covered (warranty/contract) cost and charges stored on the tickets.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET covered_cost = %s, charged_amount = %s "
            "WHERE id = %s",
            [145.0, 60.0, self.t1.id],
        )
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET covered_cost = 5, charged_amount = 40 "
            "WHERE id = %s",
            [self.t2.id],
        )
        self.env["aftersales.ticket"].invalidate_model(
            ["covered_cost", "charged_amount"]
        )
        book, raw = self._open(self._wizard())
        self.assertEqual(
            book.sheetnames,
            [
                "Summary",
                "Tickets and SLA",
                "Warranty Cost",
                "Parts",
                "Satisfaction",
                "Field Service",
                "Technician Scores",
            ],
        )
        for sheet in book.worksheets:
            self.assertEqual(sheet.freeze_panes, "A2", sheet.title)
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            self.assertIn("xl/charts/chart1.xml", archive.namelist())

        # Summary: October against September (t_sep alone, response failed)
        summary = {row[0]: row[1:] for row in self._rows(book["Summary"])[1:] if row[0]}
        self.assertEqual(summary["Tickets"][:3], [7, 1, 6])
        self.assertEqual(summary["SLA compliance"][:3], [0.625, 0, 0.625])
        self.assertEqual(summary["First-time fix rate"][0], 0.75)
        self.assertEqual(summary["Warranty cost"][0], 100)
        self.assertEqual(summary["Warranty and contract cost"][0], 150)
        self.assertEqual(summary["Charged to customers"][0], 100)
        self.assertEqual(summary["Team"][0], self.team_region.display_name)
        cell = book["Summary"]["B8"]  # SLA compliance: a fraction shown as %
        self.assertEqual(book["Summary"]["A8"].value, "SLA compliance")
        self.assertEqual(cell.number_format, "0.0%")
        self.assertEqual(book["Summary"]["A4"].value, "Response time (hh:mm)")
        self.assertEqual(book["Summary"]["B4"].number_format, "[h]:mm")

        # Tickets and SLA: one row per ticket of the period
        rows = self._rows(book["Tickets and SLA"])
        self.assertEqual(rows[0][:3], ["Ticket", "Received", "Closed"])
        self.assertEqual(len(rows), 8)
        by_name = {row[0]: row for row in rows[1:]}
        t1 = by_name[self.t1.name]
        self.assertEqual(t1[3], self.team_point.complete_name)
        self.assertEqual(t1[4], "Li Technician")
        self.assertEqual(t1[7], timedelta(hours=1))  # response, shown as hh:mm
        self.assertEqual(t1[8], timedelta(hours=123))  # resolution
        self.assertEqual(t1[9:14], [2, 2, 1, 0, 0])  # repeated: no first-time fix
        self.assertEqual(t1[14], "E4")  # fault code, as stored in the catalogue
        self.assertIsNone(by_name[self.t2.name][14])
        self.assertEqual(by_name[self.t4.name][11], 0.5)
        self.assertEqual(book["Tickets and SLA"]["H2"].number_format, "[h]:mm")
        self.assertEqual(book["Tickets and SLA"]["L2"].number_format, "0.0%")
        self.assertEqual(
            book["Tickets and SLA"]["B2"].number_format, "yyyy-mm-dd hh:mm"
        )

        # Warranty cost per product (no product on the fixtures' tickets)
        rows = self._rows(book["Warranty Cost"])
        self.assertEqual(rows[1][:4], ["(no product)", 7, 100, 108])
        self.assertAlmostEqual(rows[1][4], 100 / 7)
        self.assertEqual(
            rows[0][5:7],
            [
                "Warranty and contract cost (parts, labour, travel)",
                "Charged to customers",
            ],
        )
        self.assertEqual(rows[1][5:7], [150, 100])

        # Parts
        rows = self._rows(book["Parts"])
        self.assertEqual(rows[0][0], "Part")
        self.assertEqual(rows[1], ["Board P", 2, 2, 1, 100, 100])
        self.assertEqual(rows[2], ["Filter P", 4, 1, 0.25, 8, 0])

        # Satisfaction per technician
        rows = self._rows(book["Satisfaction"])
        self.assertEqual(rows[1][:2], ["(no technician)", 3])
        self.assertEqual(rows[2], ["Li Technician", 4, 3, -25, 0.5, 1])

        # Technician scores of the month
        rows = self._rows(book["Technician Scores"])
        self.assertEqual(len(rows), 2)
        self.assertEqual(
            rows[1][:3], ["Li Technician", "2025-10", self.team_point.display_name]
        )
        self.assertAlmostEqual(rows[1][3], 76.85, delta=0.05)
        self.assertEqual(rows[1][5], 1)

    def test_default_month_is_the_last_one_with_tickets(self):
        # fixtures: tickets in September and October 2025
        with freeze_time("2026-02-15"):
            wizard = self.env["aftersales.kpi.workbook.wizard"].create({})
        self.assertEqual((wizard.date_from, wizard.date_to), (OCT, date(2025, 10, 31)))
        # a company without tickets: the current month
        other = self.env(
            context=dict(self.env.context, allowed_company_ids=self.other_company.ids)
        )
        with freeze_time("2026-02-15"):
            wizard = other["aftersales.kpi.workbook.wizard"].create({})
        self.assertEqual(
            (wizard.date_from, wizard.date_to), (date(2026, 2, 1), date(2026, 2, 28))
        )

    def test_bad_period(self):
        with self.assertRaises(ValidationError):
            self._wizard(date_from=date(2025, 10, 31), date_to=date(2025, 10, 1))

    def test_only_supervisors_export_and_managers_send(self):
        for user in (self.user_agent, self.user_hr):
            with self.assertRaises(AccessError):
                self.env["aftersales.kpi.workbook.wizard"].with_user(user).create(
                    {"date_from": OCT, "date_to": date(2025, 10, 31)}
                )
        self.company.aftersales_kpi_recipient_ids = self.user_manager
        wizard = self._wizard(user=self.user_team)
        with self.assertRaises(AccessError) as error:
            wizard.action_send()
        self.assertEqual(
            str(error.exception),
            "Only after-sales managers send the KPI workbook to its recipients.",
        )

    def test_scheduled_email_to_managers(self):
        self.company.aftersales_kpi_recipient_ids = self.user_manager
        Mail = self.env["mail.mail"]
        before = Mail.search([])
        self.env["aftersales.kpi.workbook.wizard"]._cron_send_workbook()
        mail = Mail.search([]) - before
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.user_manager.partner_id)
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertTrue(mail.attachment_ids.name.endswith(".xlsx"))
        openpyxl.load_workbook(io.BytesIO(mail.attachment_ids.raw))

    def test_send_without_recipients(self):
        with self.assertRaises(ValidationError):
            self._wizard().action_send()
