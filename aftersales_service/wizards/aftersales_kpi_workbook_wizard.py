import os
import tempfile
from datetime import datetime, time, timedelta

import xlsxwriter
from dateutil.relativedelta import relativedelta

from odoo import _, _lt, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

BATCH = 5000

# Summary KPIs: (key, label, number format, in the chart)
SUMMARY_KPIS = [
    ("ticket_count", _lt("Tickets"), "int", False),
    ("closed_count", _lt("Closed tickets"), "int", False),
    ("response_hours", _lt("Response time (hh:mm)"), "hours", False),
    ("resolution_hours", _lt("Resolution time (hh:mm)"), "hours", False),
    ("first_time_fix", _lt("First-time fix rate"), "pct", True),
    ("repeat_rate", _lt("Repeat-failure rate"), "pct", True),
    ("sla_compliance", _lt("SLA compliance"), "pct", True),
    ("satisfaction", _lt("Satisfaction (1-5)"), "dec", False),
    ("nps", _lt("NPS"), "dec", False),
    ("complaint_rate", _lt("Complaint rate"), "pct", True),
    ("parts_usage", _lt("Parts usage rate"), "pct", True),
    ("parts_cost", _lt("Parts cost"), "money", False),
    ("warranty_cost", _lt("Warranty cost"), "money", False),
    ("cost_per_ticket", _lt("Cost per ticket"), "money", False),
    ("resolved_remotely", _lt("Resolved remotely"), "pct", True),
    ("visit_first_time_fix", _lt("First-time fix by visits"), "pct", True),
    ("visits_per_ticket", _lt("Visits per ticket"), "dec", False),
    ("arrival_compliance", _lt("On-site arrival compliance"), "pct", True),
    ("no_show_rate", _lt("No-show rate"), "pct", True),
    (
        "report_signed_hours",
        _lt("Registration to signed report (hh:mm)"),
        "hours",
        False,
    ),
    ("covered_cost", _lt("Warranty and contract cost"), "money", False),
    ("charged_amount", _lt("Charged to customers"), "money", False),
]
PERCENT_KPIS = {key for key, _label, fmt, _chart in SUMMARY_KPIS if fmt == "pct"}

# Values are computed as percentages (0-100) and hours; Excel gets fractions
# (0.375 shown as 37.5%) and days (shown as hh:mm), so cells stay numbers.
EXCEL_SCALE = {"pct": 0.01, "hours": 1 / 24}


class AftersalesKpiWorkbookWizard(models.TransientModel):
    """One-click Excel workbook of the after-sales KPIs for a period and team."""

    _name = "aftersales.kpi.workbook.wizard"
    _description = "After-Sales KPI Workbook"
    _check_company_auto = True

    def _default_month(self):
        """The last complete month that has tickets, else the current month."""
        month_start = fields.Date.context_today(self).replace(day=1)
        last = self.env["aftersales.ticket"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("received_date", "<", datetime.combine(month_start, time.min)),
            ],
            order="received_date desc",
            limit=1,
        )
        if last:
            return fields.Date.to_date(last.received_date).replace(day=1)
        return month_start

    def _default_date_from(self):
        return self._default_month()

    def _default_date_to(self):
        return self._default_month() + relativedelta(months=1) - timedelta(days=1)

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(string="From", required=True, default=_default_date_from)
    date_to = fields.Date(string="To", required=True, default=_default_date_to)
    team_id = fields.Many2one(
        "aftersales.team",
        string="Service Team",
        check_company=True,
        help="The team and its sub-teams; empty for the whole company.",
    )
    attachment_id = fields.Many2one("ir.attachment", readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise ValidationError(
                    _(
                        "The period ends (%(end)s) before it starts (%(start)s).",
                        end=wizard.date_to,
                        start=wizard.date_from,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _ensure_allowed(self):
        if not (
            self.env.su
            or self.env.user.has_group("aftersales_service.group_aftersales_user_team")
        ):
            raise AccessError(
                _(
                    "Only team supervisors and after-sales managers can export "
                    "the KPI workbook."
                )
            )

    def _ensure_can_send(self):
        if not (
            self.env.su
            or self.env.user.has_group("aftersales_service.group_aftersales_manager")
        ):
            raise AccessError(
                _("Only after-sales managers send the KPI workbook to its recipients.")
            )

    def action_export(self):
        self.ensure_one()
        attachment = self._create_attachment()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def action_send(self):
        self.ensure_one()
        self._send_workbook()
        return True

    @api.model
    def _cron_send_workbook(self):
        """E-mail last month's workbook to each company's configured managers."""
        for company in self.env["res.company"].search(
            [("aftersales_kpi_recipient_ids", "!=", False)]
        ):
            self.with_company(company).create(
                {"company_id": company.id}
            )._send_workbook()

    def _send_workbook(self):
        self.ensure_one()
        self._ensure_can_send()
        recipients = self.company_id.aftersales_kpi_recipient_ids
        if not recipients:
            raise ValidationError(
                _(
                    "Set the KPI workbook recipients of %(company)s in the "
                    "After-Sales settings first.",
                    company=self.company_id.name,
                )
            )
        attachment = self._create_attachment()
        template = self.env.ref(
            "aftersales_service.mail_template_aftersales_kpi_workbook"
        )
        template.send_mail(
            self.company_id.id,
            email_values={
                "recipient_ids": [fields.Command.set(recipients.partner_id.ids)],
                "attachment_ids": [fields.Command.set(attachment.ids)],
            },
        )
        return attachment

    def _create_attachment(self):
        self.ensure_one()
        self._ensure_allowed()
        content = self._build_workbook()
        team = f"-{self.team_id.name}" if self.team_id else ""
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"aftersales-kpi-{self.date_from}-{self.date_to}"
                    f"{team}.xlsx",
                    "raw": content,
                    "res_model": self._name,
                    "res_id": self.id,
                    "mimetype": "application/vnd.openxmlformats-officedocument"
                    ".spreadsheetml.sheet",
                }
            )
        )
        self.attachment_id = attachment
        return attachment

    # ------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------

    def _previous_period(self):
        """Same length, just before; whole months map to whole months."""
        start, end = self.date_from, self.date_to
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if start.day == 1 and (end + timedelta(days=1)).day == 1:
            return start - relativedelta(months=months), start - timedelta(days=1)
        length = end - start
        return start - length - timedelta(days=1), start - timedelta(days=1)

    def _report_query(self, date_from, date_to):
        """The KPI report rows of the period that the user sees: the record
        rules of the report (the ticket rules) apply, so a team supervisor's
        workbook holds their teams' tickets only."""
        domain = [
            ("company_id", "=", self.company_id.id),
            ("date", ">=", datetime.combine(date_from, time.min)),
            ("date", "<", datetime.combine(date_to + timedelta(days=1), time.min)),
        ]
        if self.team_id:
            domain.append(("team_id", "child_of", self.team_id.id))
        return self.env["aftersales.kpi.report"]._search(domain)

    def _summary_values(self, rows):
        """The summary KPIs over ``rows``, an SQL source of report rows."""
        aggregates = {
            "ticket_count": "count(*)",
            "closed_count": "sum(closed_count)",
            "parts_cost": "sum(parts_cost)",
            "warranty_cost": "sum(warranty_cost)",
            "covered_cost": "sum(covered_cost)",
            "charged_amount": "sum(charged_amount)",
        }
        select = ", ".join(
            aggregates.get(key, f"avg({key})") for key, *_rest in SUMMARY_KPIS
        )
        self.env.cr.execute(SQL("SELECT %s FROM %s k", SQL(select), rows))
        row = self.env.cr.fetchone()
        return {
            key: float(value) if value is not None else None
            for (key, *_rest), value in zip(SUMMARY_KPIS, row, strict=True)
        }

    def _query_batches(self, query):
        """Rows of ``query`` (ordered by its first column, an id) in batches."""
        last_id = 0
        while True:
            self.env.cr.execute(query, {"last_id": last_id, "limit": BATCH})
            rows = self.env.cr.fetchall()
            if not rows:
                return
            yield rows
            last_id = rows[-1][0]

    # ------------------------------------------------------------------
    # Workbook
    # ------------------------------------------------------------------

    def _build_workbook(self):
        """The workbook as bytes, written row by row in constant memory."""
        self.ensure_one()
        self.env.flush_all()
        fd, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        self._prepare_period_rows()
        try:
            workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
            formats = self._workbook_formats(workbook)
            self._sheet_summary(workbook, formats)
            self._sheet_tickets(workbook, formats)
            self._sheet_warranty(workbook, formats)
            self._sheet_parts(workbook, formats)
            self._sheet_satisfaction(workbook, formats)
            self._sheet_field(workbook, formats)
            self._sheet_scores(workbook, formats)
            workbook.close()
            with open(path, "rb") as handle:
                return handle.read()
        finally:
            os.unlink(path)
            self.env.cr.execute("DROP TABLE IF EXISTS aftersales_kpi_workbook_rows")

    def _prepare_period_rows(self):
        """The period's report rows, computed once into a temporary table.

        The report view aggregates SLA lines, callbacks and parts per ticket;
        evaluating it once and reading the sheets (and the ticket rows, in
        batches) from the temporary table keeps the export linear.
        """
        query = self._report_query(self.date_from, self.date_to)
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS aftersales_kpi_workbook_rows")
        cr.execute(
            SQL(
                "CREATE TEMPORARY TABLE aftersales_kpi_workbook_rows ON COMMIT DROP "
                "AS SELECT k.* FROM aftersales_kpi_report k WHERE k.id IN %s",
                query.subselect(),
            )
        )
        cr.execute("CREATE INDEX ON aftersales_kpi_workbook_rows (id)")
        cr.execute("ANALYZE aftersales_kpi_workbook_rows")

    def _workbook_formats(self, workbook):
        return {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
            ),
            "text": workbook.add_format({}),
            "int": workbook.add_format({"num_format": "#,##0"}),
            "dec": workbook.add_format({"num_format": "#,##0.00"}),
            "pct": workbook.add_format({"num_format": "0.0%"}),
            "hours": workbook.add_format({"num_format": "[h]:mm"}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        }

    def _write_table(self, sheet, formats, headers, rows, start_row=0):
        """Header row (frozen), then rows; headers are (label, format, width)."""
        for col, (label, fmt, width) in enumerate(headers):
            sheet.set_column(col, col, width, formats[fmt])
            sheet.write(start_row, col, label, formats["header"])
        sheet.freeze_panes(start_row + 1, 0)
        row_index = start_row
        for row in rows:
            row_index += 1
            for col, value in enumerate(row):
                fmt = formats[headers[col][1]]
                if value is None:
                    sheet.write_blank(row_index, col, None, fmt)
                elif isinstance(value, datetime):
                    sheet.write_datetime(row_index, col, value, fmt)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    scale = EXCEL_SCALE.get(headers[col][1], 1)
                    sheet.write_number(row_index, col, value * scale, fmt)
                else:
                    sheet.write_string(row_index, col, str(value), fmt)
        return row_index

    def _sheet_summary(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Summary"))
        prev_from, prev_to = self._previous_period()
        current = self._summary_values(SQL("aftersales_kpi_workbook_rows"))
        previous = self._summary_values(
            SQL(
                "(SELECT * FROM aftersales_kpi_report WHERE id IN %s)",
                self._report_query(prev_from, prev_to).subselect(),
            )
        )
        headers = [
            (_("KPI"), "text", 28),
            (f"{self.date_from} - {self.date_to}", "dec", 22),
            (f"{prev_from} - {prev_to}", "dec", 22),
            (_("Change"), "dec", 14),
        ]
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 3, 22)
        for col, (label, _fmt, _width) in enumerate(headers):
            sheet.write(0, col, label, formats["header"])
        sheet.freeze_panes(1, 0)
        chart_rows = []
        for index, (key, label, fmt, in_chart) in enumerate(SUMMARY_KPIS, start=1):
            cur, prev = current[key], previous[key]
            sheet.write_string(index, 0, str(label))
            scale = EXCEL_SCALE.get(fmt, 1)
            for col, value in ((1, cur), (2, prev)):
                if value is None:
                    sheet.write_blank(index, col, None, formats[fmt])
                else:
                    sheet.write_number(index, col, value * scale, formats[fmt])
            if cur is None or prev is None:
                sheet.write_blank(index, 3, None, formats[fmt])
            else:
                sheet.write_number(index, 3, (cur - prev) * scale, formats[fmt])
            if in_chart:
                chart_rows.append(index)
        info_row = len(SUMMARY_KPIS) + 2
        sheet.write_string(info_row, 0, _("Company"))
        sheet.write_string(info_row, 1, self.company_id.name)
        sheet.write_string(info_row + 1, 0, _("Team"))
        sheet.write_string(info_row + 1, 1, self.team_id.display_name or _("All teams"))
        chart = workbook.add_chart({"type": "column"})
        ref = "'{}'".format(sheet.name.replace("'", "''"))
        for col in (1, 2):
            letter = chr(65 + col)
            chart.add_series(
                {
                    "name": [sheet.name, 0, col],
                    "categories": "=("
                    + ",".join(f"{ref}!$A${row + 1}" for row in chart_rows)
                    + ")",
                    "values": "=("
                    + ",".join(f"{ref}!${letter}${row + 1}" for row in chart_rows)
                    + ")",
                }
            )
        chart.set_title({"name": _("Rates: period over period (%)")})
        chart.set_y_axis({"min": 0, "max": 1, "num_format": "0%"})
        sheet.insert_chart("F2", chart, {"x_scale": 1.6, "y_scale": 1.4})

    def _sheet_tickets(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Tickets and SLA"))
        headers = [
            (_("Ticket"), "text", 14),
            (_("Received"), "date", 17),
            (_("Closed"), "date", 17),
            (_("Team"), "text", 24),
            (_("Technician"), "text", 20),
            (_("Product"), "text", 24),
            (_("Region"), "text", 16),
            (_("Response (hh:mm)"), "hours", 12),
            (_("Resolution (hh:mm)"), "hours", 13),
            (_("SLA met"), "int", 9),
            (_("SLA decided"), "int", 11),
            (_("SLA compliance"), "pct", 14),
            (_("First-time fix"), "pct", 13),
            (_("Repeat"), "pct", 9),
            (_("Fault"), "text", 10),
            (_("Visits made"), "int", 10),
            (_("Fixed in one visit"), "pct", 12),
            (_("Arrival compliance"), "pct", 13),
            (_("Signed report (hh:mm)"), "hours", 13),
        ]
        query = """
            SELECT k.id, t.name, k.date, k.closed_date, team.complete_name,
                   emp.name, COALESCE(pt.name->>'en_US', pt.name->>'zh_CN'),
                   st.name, k.response_hours, k.resolution_hours,
                   k.sla_met_count, k.sla_decided_count, k.sla_compliance,
                   k.first_time_fix, k.repeat_rate, fault.code,
                   k.visit_count, k.visit_first_time_fix, k.arrival_compliance,
                   k.report_signed_hours
              FROM aftersales_kpi_workbook_rows k
              JOIN aftersales_ticket t ON t.id = k.ticket_id
              LEFT JOIN aftersales_fault_code fault ON fault.id = k.fault_code_id
              LEFT JOIN aftersales_team team ON team.id = k.team_id
              LEFT JOIN hr_employee emp ON emp.id = k.technician_id
              LEFT JOIN product_product pp ON pp.id = k.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN res_country_state st ON st.id = k.region_id
             WHERE k.id > %(last_id)s
             ORDER BY k.id LIMIT %(limit)s
        """
        row_index = 0
        for col, (label, fmt, width) in enumerate(headers):
            sheet.set_column(col, col, width, formats[fmt])
            sheet.write(0, col, label, formats["header"])
        sheet.freeze_panes(1, 0)
        for rows in self._query_batches(query):
            row_index = self._write_table_rows(
                sheet, formats, headers, (row[1:] for row in rows), row_index
            )
        sheet.autofilter(0, 0, max(row_index, 1), len(headers) - 1)

    def _write_table_rows(self, sheet, formats, headers, rows, row_index):
        for row in rows:
            row_index += 1
            for col, value in enumerate(row):
                fmt = formats[headers[col][1]]
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(row_index, col, value, fmt)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    scale = EXCEL_SCALE.get(headers[col][1], 1)
                    sheet.write_number(row_index, col, value * scale, fmt)
                else:
                    sheet.write_string(row_index, col, str(value), fmt)
        return row_index

    def _grouped_rows(self, select, group):
        """``select`` and ``group`` are constant column lists of the sheets."""
        self.env.cr.execute(
            SQL(
                """
            SELECT %s
              FROM aftersales_kpi_workbook_rows k
              LEFT JOIN aftersales_team team ON team.id = k.team_id
              LEFT JOIN hr_employee emp ON emp.id = k.technician_id
              LEFT JOIN product_product pp ON pp.id = k.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
             GROUP BY %s ORDER BY 1
            """,
                SQL(select),
                SQL(group),
            )
        )
        return self.env.cr.fetchall()

    def _sheet_warranty(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Warranty Cost"))
        headers = [
            (_("Product"), "text", 30),
            (_("Tickets"), "int", 10),
            (_("Warranty cost"), "money", 15),
            (_("Parts cost"), "money", 15),
            (_("Warranty cost per ticket"), "money", 16),
            (_("Warranty and contract cost (parts, labour, travel)"), "money", 18),
            (_("Charged to customers"), "money", 15),
        ]
        rows = self._grouped_rows(
            "COALESCE(pt.name->>'en_US', '(no product)'), count(*), "
            "sum(k.warranty_cost), sum(k.parts_cost), "
            "sum(k.warranty_cost) / count(*), "
            "sum(k.covered_cost), sum(k.charged_amount)",
            "1",
        )
        self._write_table(sheet, formats, headers, [tuple(map(_num, r)) for r in rows])

    def _sheet_parts(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Parts"))
        headers = [
            (_("Part"), "text", 30),
            (_("Reserved"), "dec", 12),
            (_("Consumed"), "dec", 12),
            (_("Usage rate"), "pct", 12),
            (_("Cost"), "money", 14),
            (_("Warranty cost"), "money", 14),
        ]
        # The parts of the period's tickets the user sees (the workbook rows).
        self.env.cr.execute(
            """
            SELECT COALESCE(pt.name->>'en_US', pt.name->>'zh_CN'),
                   sum(l.product_qty), sum(COALESCE(l.qty_consumed, 0)),
                   CASE WHEN sum(l.product_qty) > 0 THEN
                       100.0 * sum(COALESCE(l.qty_consumed, 0)) / sum(l.product_qty)
                   END,
                   sum(COALESCE(l.consumed_product_qty, 0) * COALESCE(
                       (pp.standard_price ->> l.company_id::text)::numeric, 0)),
                   sum(COALESCE(l.warranty_cost, 0))
              FROM aftersales_part_reservation_line l
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE l.ticket_id IN (SELECT ticket_id FROM aftersales_kpi_workbook_rows)
               AND l.state NOT IN ('cancel', 'draft')
             GROUP BY 1 ORDER BY 1
            """
        )
        rows = [tuple(map(_num, r)) for r in self.env.cr.fetchall()]
        self._write_table(sheet, formats, headers, rows)

    def _sheet_satisfaction(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Satisfaction"))
        headers = [
            (_("Technician"), "text", 26),
            (_("Tickets"), "int", 10),
            (_("Satisfaction (1-5)"), "dec", 15),
            (_("NPS"), "dec", 10),
            (_("Complaint rate"), "pct", 14),
            (_("Complaints at fault"), "int", 14),
        ]
        rows = self._grouped_rows(
            "COALESCE(emp.name, '(no technician)'), count(*), avg(k.satisfaction), "
            "avg(k.nps), avg(k.complaint_rate), sum(k.complaint_at_fault_count)",
            "1",
        )
        self._write_table(sheet, formats, headers, [tuple(map(_num, r)) for r in rows])

    def _sheet_field(self, workbook, formats):
        """Visits of the period's tickets per technician who made them: the
        shares are over all their visits (each visit counts once)."""
        sheet = workbook.add_worksheet(_("Field Service"))
        headers = [
            (_("Technician"), "text", 26),
            (_("Visits made"), "int", 11),
            (_("Arrivals on site"), "int", 11),
            (_("Arrivals on time"), "int", 11),
            (_("Arrival compliance"), "pct", 13),
            (_("No-shows"), "int", 10),
            (_("No-show rate"), "pct", 12),
            (_("Time on site (hh:mm)"), "hours", 13),
            (_("First signed reports"), "int", 12),
            (_("Registration to signed report (hh:mm)"), "hours", 16),
        ]
        self.env.cr.execute(
            """
            SELECT COALESCE(emp.name, '(no technician)'),
                   count(*),
                   count(*) FILTER (WHERE v.check_in_date IS NOT NULL),
                   count(*) FILTER (WHERE v.arrival_status = 'on_time'),
                   CASE WHEN count(*) FILTER (WHERE v.check_in_date IS NOT NULL) > 0
                        THEN 100.0 * count(*) FILTER (
                            WHERE v.arrival_status = 'on_time')
                            / count(*) FILTER (WHERE v.check_in_date IS NOT NULL)
                   END,
                   count(*) FILTER (WHERE v.state = 'no_show'),
                   100.0 * count(*) FILTER (WHERE v.state = 'no_show') / count(*),
                   sum(COALESCE(v.duration, 0)),
                   count(*) FILTER (WHERE v.signed_on = t.report_signed_date),
                   avg(t.report_signed_hours) FILTER (
                       WHERE v.signed_on = t.report_signed_date)
              FROM aftersales_visit v
              JOIN aftersales_ticket t ON t.id = v.ticket_id
              LEFT JOIN hr_employee emp ON emp.id = v.technician_id
             WHERE v.ticket_id IN (SELECT ticket_id FROM aftersales_kpi_workbook_rows)
               AND (v.check_in_date IS NOT NULL OR v.state = 'no_show')
             GROUP BY 1 ORDER BY 1
            """
        )
        rows = [tuple(map(_num, r)) for r in self.env.cr.fetchall()]
        self._write_table(sheet, formats, headers, rows)

    def _sheet_scores(self, workbook, formats):
        sheet = workbook.add_worksheet(_("Technician Scores"))
        headers = [
            (_("Employee"), "text", 26),
            (_("Period"), "text", 10),
            (_("Team"), "text", 26),
            (_("Total"), "dec", 10),
            (_("Target"), "dec", 10),
            (_("Rank in team"), "int", 12),
            (_("Service star"), "text", 12),
            (_("Training needed"), "text", 14),
        ]
        domain = [
            ("company_id", "=", self.company_id.id),
            ("role", "=", "technician"),
            ("period_type", "=", "month"),
            ("date_start", ">=", self.date_from.replace(day=1)),
            ("date_start", "<=", self.date_to),
        ]
        if self.team_id:
            domain.append(("team_id", "child_of", self.team_id.id))
        scores = self.env["aftersales.performance.score"].search(
            domain, order="date_start, total_score desc"
        )
        rows = [
            (
                s.employee_id.name,
                s.period_label,
                s.team_id.display_name or "",
                s.total_score,
                s.target_score,
                s.team_rank,
                "Yes" if s.is_service_star else "",
                "Yes" if s.needs_training else "",
            )
            # Found with the user's rights; names read whatever the HR rights.
            for s in scores.sudo()
        ]
        self._write_table(sheet, formats, headers, rows)


def _num(value):
    """Decimals from SQL as floats for the workbook."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return float(value)
