import calendar
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .aftersales_performance_indicator import INDICATOR_METHODS

PERIOD_TYPES = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
DECIDED = ("met", "late", "failed")


def period_bounds(period_type, day):
    """First and last day of the ``period_type`` period holding ``day``."""
    day = fields.Date.to_date(day)
    if period_type == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if period_type == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        return start, start + relativedelta(months=3, days=-1)
    start = day.replace(day=1)
    return start, start.replace(day=calendar.monthrange(day.year, day.month)[1])


class AftersalesPerformanceScore(models.Model):
    """The scorecard of one employee for one period, under one profile.

    Built by ``_build_scores`` for many employees at once from aggregate
    queries over tickets, SLA lines, callbacks and part reservations; a
    locked scorecard is never recomputed nor edited.
    """

    _name = "aftersales.performance.score"
    _description = "After-Sales Performance Scorecard"
    _order = "date_start desc, total_score desc, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    employee_id = fields.Many2one(
        "hr.employee",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    user_id = fields.Many2one(related="employee_id.user_id", store=True, index=True)
    profile_id = fields.Many2one(
        "aftersales.performance.profile",
        required=True,
        ondelete="restrict",
        check_company=True,
    )
    role = fields.Selection(related="profile_id.role", store=True)
    team_id = fields.Many2one(
        "aftersales.team", string="Service Team", index=True, check_company=True
    )

    # Period
    period_type = fields.Selection(
        PERIOD_TYPES, string="Period", required=True, default="month"
    )
    date_start = fields.Date(string="From", required=True, index=True)
    date_end = fields.Date(string="To", required=True)
    period_label = fields.Char(compute="_compute_name", store=True)

    # Result
    line_ids = fields.One2many(
        "aftersales.performance.score.line", "score_id", string="Indicators"
    )
    total_score = fields.Float(
        string="Total",
        compute="_compute_total_score",
        store=True,
        digits=(16, 1),
        aggregator="avg",
        help="Weighted sum of the indicator scores; indicators without data in "
        "the period are left out and the others re-weighted.",
    )
    target_score = fields.Float(string="Target Total", digits=(16, 1))
    below_target = fields.Boolean(compute="_compute_total_score", store=True)
    team_rank = fields.Integer(
        string="Rank in Team", help="Rank among the same profile in the team."
    )
    team_size = fields.Integer(string="Ranked")
    is_service_star = fields.Boolean(
        string="Service Star",
        help="Best total of the month among the same profile in the team.",
    )
    needs_training = fields.Boolean(
        string="Training Needed",
        help="Below target in this period and in the previous one.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("locked", "Locked")],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    computed_date = fields.Datetime(string="Computed On", readonly=True)
    locked_date = fields.Datetime(string="Locked On", readonly=True)
    locked_by_id = fields.Many2one("res.users", readonly=True)

    _sql_constraints = [
        (
            "employee_period_uniq",
            "unique(employee_id, period_type, date_start)",
            "An employee has one scorecard per period.",
        ),
    ]

    @api.depends("employee_id.name", "period_type", "date_start")
    def _compute_name(self):
        for score in self:
            label = ""
            if score.date_start:
                start = score.date_start
                if score.period_type == "year":
                    label = str(start.year)
                elif score.period_type == "quarter":
                    label = f"{start.year}-Q{(start.month - 1) // 3 + 1}"
                else:
                    label = f"{start.year}-{start.month:02d}"
            score.period_label = label
            score.name = f"{score.employee_id.name or ''} {label}".strip()

    @api.depends(
        "line_ids.weighted_score",
        "line_ids.has_data",
        "line_ids.weight",
        "target_score",
    )
    def _compute_total_score(self):
        for score in self:
            # an indicator weighted 0 is shown, not scored
            lines = score.line_ids.filtered(lambda line: line.has_data and line.weight)
            weight = sum(lines.mapped("weight"))
            total = (
                sum(lines.mapped("weighted_score")) * 100.0 / weight if weight else 0.0
            )
            score.total_score = round(total, 1)
            score.below_target = bool(lines) and total < score.target_score

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for score in self:
            if score.date_end < score.date_start:
                raise ValidationError(
                    _(
                        "Scorecard %(name)s: the period ends (%(end)s) before it "
                        "starts (%(start)s).",
                        name=score.name,
                        end=score.date_end,
                        start=score.date_start,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD guards
    # ------------------------------------------------------------------

    def write(self, vals):
        # Rights first: who may not write is refused as such, whatever the period.
        self.check_access("write")
        if any(score.state == "locked" for score in self):
            raise UserError(
                _(
                    "Scorecards of a locked period cannot be changed: %(names)s.",
                    names=", ".join(
                        self.filtered(lambda s: s.state == "locked").mapped("name")
                    ),
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_locked(self):
        locked = self.filtered(lambda s: s.state == "locked")
        if locked:
            raise UserError(
                _(
                    "Scorecards of a locked period cannot be deleted: %(names)s.",
                    names=", ".join(locked.mapped("name")),
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _ensure_manager(self):
        if not (
            self.env.su
            or self.env.user.has_group("aftersales_service.group_aftersales_manager")
        ):
            raise AccessError(
                _("Only after-sales managers can compute or lock scorecards.")
            )

    def action_recompute(self):
        """Recompute the periods of these scorecards (every employee in them)."""
        self._ensure_manager()
        periods = {(s.company_id, s.period_type, s.date_start) for s in self}
        for company, period_type, start in periods:
            self._build_scores(period_type, start, company=company)
        return True

    def action_lock(self):
        """Lock the whole period of each scorecard: it never changes again."""
        self._ensure_manager()
        domain = []
        for company, period_type, start in {
            (s.company_id, s.period_type, s.date_start) for s in self
        }:
            domain = (
                (["|"] if domain else [])
                + domain
                + [
                    "&",
                    "&",
                    ("company_id", "=", company.id),
                    ("period_type", "=", period_type),
                    ("date_start", "=", start),
                ]
            )
        scores = self.search(domain + [("state", "=", "draft")]) if domain else self
        scores.write(
            {
                "state": "locked",
                "locked_date": fields.Datetime.now(),
                "locked_by_id": self.env.user.id,
            }
        )
        return True

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    @api.model
    def _cron_build_last_period(self):
        """Build last month's scorecards in every company (locked ones stay)."""
        last_month = fields.Date.context_today(self) - relativedelta(months=1)
        for company in self.env["res.company"].search([]):
            start, _end = period_bounds("month", last_month)
            if self.search_count(
                [
                    ("company_id", "=", company.id),
                    ("period_type", "=", "month"),
                    ("date_start", "=", start),
                    ("state", "=", "locked"),
                ],
                limit=1,
            ):
                continue
            self._build_scores("month", start, company=company)

    @api.model
    def _build_scores(
        self, period_type, date_start, date_end=None, employees=None, company=None
    ):
        """Create or refresh the scorecards of ``employees`` for a period.

        Everything is read with a fixed number of aggregate queries whatever
        the number of employees and tickets. A locked period raises before
        anything is changed.
        """
        self._ensure_manager()
        company = company or self.env.company
        if period_type not in PERIOD_MONTHS:
            raise UserError(_("Unknown period type: %(type)s.", type=period_type))
        start, end = period_bounds(period_type, date_start)
        if date_end:
            date_end = fields.Date.to_date(date_end)
            if date_end < fields.Date.to_date(date_start):
                raise ValidationError(
                    _(
                        "The period ends (%(end)s) before it starts (%(start)s).",
                        end=date_end,
                        start=date_start,
                    )
                )
            if date_end != end:
                raise ValidationError(
                    _(
                        "A %(type)s period runs from %(start)s to %(end)s.",
                        type=dict(PERIOD_TYPES)[period_type].lower(),
                        start=start,
                        end=end,
                    )
                )
        period_domain = [
            ("company_id", "=", company.id),
            ("period_type", "=", period_type),
            ("date_start", "=", start),
        ]
        locked = self.search(period_domain + [("state", "=", "locked")], limit=1)
        if locked:
            raise UserError(
                _(
                    "The period %(period)s is locked: its scorecards are final "
                    "and cannot be recomputed.",
                    period=locked.period_label,
                )
            )
        # Rights were checked above; employees are read whatever the HR rights.
        if employees is None:
            employees = (
                self.env["hr.employee"]
                .sudo()
                .search(
                    [
                        ("aftersales_profile_id", "!=", False),
                        ("company_id", "=", company.id),
                    ]
                )
            )
        employees = employees.sudo().filtered("aftersales_profile_id")
        self.env.flush_all()
        dt_from = datetime.combine(start, time.min)
        dt_to = datetime.combine(end + timedelta(days=1), time.min)
        ctx = {"company": company.id, "dt_from": dt_from, "dt_to": dt_to}

        raw = self._compute_indicator_values(employees, ctx)
        teams = self._employee_teams(employees)

        # Draft scorecards of the period are replaced as a whole.
        self.search(period_domain + [("employee_id", "in", employees.ids)]).unlink()
        now = fields.Datetime.now()
        to_create = []
        for employee in employees:
            profile = employee.aftersales_profile_id
            to_create.append(
                {
                    "employee_id": employee.id,
                    "company_id": company.id,
                    "period_type": period_type,
                    "date_start": start,
                    "date_end": end,
                    "profile_id": profile.id,
                    "team_id": teams.get(employee.id, False),
                    "target_score": profile.target_score,
                    "computed_date": now,
                    "line_ids": self._prepare_line_commands(profile, raw, employee),
                }
            )
        scores = self.create(to_create)
        self.search(period_domain)._rank_period()
        return scores

    @api.model
    def _prepare_line_commands(self, profile, raw, employee):
        lines = []
        for indicator in profile.indicator_ids.filtered("active"):
            value, count = raw.get(indicator.code, {}).get(employee.id, (None, 0))
            has_data = value is not None and count > 0
            lines.append(
                fields.Command.create(
                    {
                        "sequence": indicator.sequence,
                        "indicator_id": indicator.id,
                        "code": indicator.code,
                        "name": indicator.name,
                        "raw_value": value or 0.0,
                        "sample_size": count,
                        "has_data": has_data,
                        "target": indicator.target,
                        "direction": indicator.direction,
                        "score": indicator._normalise(value) if has_data else 0.0,
                        "weight": indicator.weight,
                        "method": INDICATOR_METHODS.get(indicator.code),
                    }
                )
            )
        return lines

    def _rank_period(self):
        """Rank, service star and training flag for scorecards of one period."""
        groups = defaultdict(list)
        for score in self:
            groups[(score.team_id.id, score.profile_id.id)].append(score)
        ranks = {}
        for members in groups.values():
            members.sort(key=lambda s: -s.total_score)
            for position, score in enumerate(members, start=1):
                ranks[score.id] = (position, len(members))
        previous = {}
        if self:
            first = self[0]
            prev_start = first.date_start - relativedelta(
                months=PERIOD_MONTHS[first.period_type]
            )
            previous = {
                s.employee_id.id: s.below_target
                for s in self.search(
                    [
                        ("employee_id", "in", self.employee_id.ids),
                        ("period_type", "=", first.period_type),
                        ("date_start", "=", prev_start),
                    ]
                )
            }
        batches = defaultdict(lambda: self.browse())
        for score in self:
            rank, size = ranks[score.id]
            has_data = any(score.line_ids.mapped("has_data"))
            key = (
                rank,
                size,
                rank == 1 and has_data and score.period_type == "month",
                score.below_target and previous.get(score.employee_id.id, False),
            )
            batches[key] |= score
        for (rank, size, star, training), scores in batches.items():
            scores.write(
                {
                    "team_rank": rank,
                    "team_size": size,
                    "is_service_star": star,
                    "needs_training": training,
                }
            )

    @api.model
    def _employee_teams(self, employees):
        """Team each employee is ranked in: led team, else membership."""
        result = {}
        if not employees:
            return result
        user_to_emp = {e.user_id.id: e.id for e in employees if e.user_id}
        self.env.cr.execute(
            """
            SELECT employee_id, min(team_id) FROM aftersales_team_technician_rel
             WHERE employee_id = ANY(%s) GROUP BY employee_id
            """,
            [employees.ids],
        )
        result.update(dict(self.env.cr.fetchall()))
        if user_to_emp:
            self.env.cr.execute(
                """
                SELECT user_id, min(team_id) FROM aftersales_team_member_rel
                 WHERE user_id = ANY(%(u)s) GROUP BY user_id
                UNION ALL
                SELECT leader_id, min(id) FROM aftersales_team
                 WHERE leader_id = ANY(%(u)s) AND active GROUP BY leader_id
                """,
                {"u": list(user_to_emp)},
            )
            for user_id, team_id in self.env.cr.fetchall():
                result[user_to_emp[user_id]] = team_id
        return result

    # ------------------------------------------------------------------
    # Indicators: one aggregate query each, for every employee at once
    # ------------------------------------------------------------------

    @api.model
    def _compute_indicator_values(self, employees, ctx):
        """{code: {employee_id: (raw value or None, sample size)}}."""
        codes = set(employees.aftersales_profile_id.indicator_ids.mapped("code"))
        values = {}
        for code in codes:
            method = getattr(self, f"_indicator_{code}", None)
            if method:
                values[code] = method(employees, ctx)
        return values

    def _fetch(self, query, params):
        self.env.cr.execute(query, params)
        return self.env.cr.fetchall()

    @api.model
    def _by_user(self, employees, rows, kind="ratio"):
        """Map rows keyed by user id onto employees."""
        user_to_emp = {e.user_id.id: e.id for e in employees if e.user_id}
        return self._rows_to_values(
            [(user_to_emp[row[0]], *row[1:]) for row in rows if row[0] in user_to_emp],
            kind,
        )

    @api.model
    def _rows_to_values(self, rows, kind="ratio"):
        """(key, good, total) → ratio in %; (key, avg, count) → average."""
        values = {}
        for key, first, count in rows:
            if not count:
                continue
            if kind == "ratio":
                values[key] = (100.0 * (first or 0) / count, count)
            else:
                values[key] = (float(first or 0), count)
        return values

    def _indicator_response_timeliness(self, employees, ctx):
        users = employees.user_id.ids
        rows = self._fetch(
            """
            SELECT t.owner_id,
                   count(*) FILTER (WHERE s.status = 'met'),
                   count(*)
              FROM aftersales_ticket_sla s
              JOIN aftersales_ticket t ON t.id = s.ticket_id
             WHERE t.owner_id = ANY(%(users)s) AND t.company_id = %(company)s
               AND t.active
               AND t.received_date >= %(dt_from)s AND t.received_date < %(dt_to)s
               AND s.target_type = 'response' AND s.status IN %(decided)s
             GROUP BY t.owner_id
            """,
            dict(ctx, users=users, decided=DECIDED),
        )
        return self._by_user(employees, rows)

    def _indicator_information_accuracy(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT t.owner_id,
                   count(*) FILTER (
                       WHERE NOT EXISTS (SELECT 1 FROM aftersales_ticket r
                                          WHERE r.repeat_of_id = t.id)
                         AND NOT EXISTS (SELECT 1 FROM aftersales_ticket c
                                          WHERE c.complaint_of_id = t.id
                                            AND c.company_at_fault)
                         AND NOT (t.is_complaint IS TRUE
                                  AND t.complaint_of_id IS NULL
                                  AND t.company_at_fault IS TRUE)),
                   count(*)
              FROM aftersales_ticket t
             WHERE t.owner_id = ANY(%(users)s) AND t.company_id = %(company)s
               AND t.active
               AND t.received_date >= %(dt_from)s AND t.received_date < %(dt_to)s
             GROUP BY t.owner_id
            """,
            dict(ctx, users=employees.user_id.ids),
        )
        return self._by_user(employees, rows)

    def _indicator_satisfaction(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT cb.owner_id, avg(cb.satisfaction), count(*)
              FROM aftersales_callback cb
             WHERE cb.owner_id = ANY(%(users)s) AND cb.company_id = %(company)s
               AND cb.has_scores AND cb.satisfaction > 0
               AND cb.answered_date >= %(dt_from)s AND cb.answered_date < %(dt_to)s
             GROUP BY cb.owner_id
            """,
            dict(ctx, users=employees.user_id.ids),
        )
        return self._by_user(employees, rows, kind="avg")

    def _indicator_resolution_success(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT t.technician_id,
                   count(*) FILTER (
                       WHERE NOT EXISTS (SELECT 1 FROM aftersales_ticket r
                                          WHERE r.repeat_of_id = t.id)),
                   count(*)
              FROM aftersales_ticket t
             WHERE t.technician_id = ANY(%(emps)s) AND t.company_id = %(company)s
               AND t.active AND t.outcome = 'solved'
               AND t.closed_date >= %(dt_from)s AND t.closed_date < %(dt_to)s
             GROUP BY t.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows)

    def _indicator_reopen_rate(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT t.technician_id,
                   count(*) FILTER (WHERE t.reopen_count > 0),
                   count(*)
              FROM aftersales_ticket t
             WHERE t.technician_id = ANY(%(emps)s) AND t.company_id = %(company)s
               AND t.active AND t.outcome = 'solved'
               AND t.closed_date >= %(dt_from)s AND t.closed_date < %(dt_to)s
             GROUP BY t.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows)

    def _indicator_timeliness(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT t.technician_id,
                   count(*) FILTER (WHERE s.status = 'met'),
                   count(*)
              FROM aftersales_ticket_sla s
              JOIN aftersales_ticket t ON t.id = s.ticket_id
             WHERE t.technician_id = ANY(%(emps)s) AND t.company_id = %(company)s
               AND t.active
               AND t.received_date >= %(dt_from)s AND t.received_date < %(dt_to)s
               AND s.target_type IN ('arrival', 'resolution')
               AND s.status IN %(decided)s
             GROUP BY t.technician_id
            """,
            dict(ctx, emps=employees.ids, decided=DECIDED),
        )
        return self._rows_to_values(rows)

    def _indicator_parts_usage(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT l.technician_id, sum(l.qty_consumed), sum(l.product_qty), count(*)
              FROM aftersales_part_reservation_line l
             WHERE l.technician_id = ANY(%(emps)s) AND l.company_id = %(company)s
               AND l.state = 'done'
               AND l.date_consumed >= %(dt_from)s AND l.date_consumed < %(dt_to)s
             GROUP BY l.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return {
            emp: (100.0 * (consumed or 0.0) / reserved, count)
            for emp, consumed, reserved, count in rows
            if reserved
        }

    def _indicator_customer_rating(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT cb.technician_id, avg(cb.conduct), count(*)
              FROM aftersales_callback cb
             WHERE cb.technician_id = ANY(%(emps)s) AND cb.company_id = %(company)s
               AND cb.has_scores AND cb.conduct > 0
               AND cb.answered_date >= %(dt_from)s AND cb.answered_date < %(dt_to)s
             GROUP BY cb.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows, kind="avg")

    # Technicians in the field: their visits (the visit's technician)

    def _indicator_arrival_compliance(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT v.technician_id,
                   count(*) FILTER (WHERE v.arrival_status = 'on_time'),
                   count(*)
              FROM aftersales_visit v
             WHERE v.technician_id = ANY(%(emps)s) AND v.company_id = %(company)s
               AND v.check_in_date IS NOT NULL
               AND v.planned_start >= %(dt_from)s AND v.planned_start < %(dt_to)s
             GROUP BY v.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows)

    def _indicator_no_show_rate(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT v.technician_id,
                   count(*) FILTER (WHERE v.state = 'no_show'),
                   count(*)
              FROM aftersales_visit v
             WHERE v.technician_id = ANY(%(emps)s) AND v.company_id = %(company)s
               AND (v.check_in_date IS NOT NULL OR v.state = 'no_show')
               AND v.planned_start >= %(dt_from)s AND v.planned_start < %(dt_to)s
             GROUP BY v.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows)

    def _indicator_visit_first_time_fix(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT v.technician_id,
                   count(DISTINCT t.id) FILTER (WHERE t.visit_first_time_fix),
                   count(DISTINCT t.id)
              FROM aftersales_visit v
              JOIN aftersales_ticket t ON t.id = v.ticket_id
             WHERE v.technician_id = ANY(%(emps)s) AND t.company_id = %(company)s
               AND v.check_in_date IS NOT NULL
               AND t.active AND t.outcome = 'solved'
               AND t.closed_date >= %(dt_from)s AND t.closed_date < %(dt_to)s
             GROUP BY v.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows)

    def _indicator_report_signed_time(self, employees, ctx):
        rows = self._fetch(
            """
            SELECT v.technician_id, avg(t.report_signed_hours), count(DISTINCT t.id)
              FROM aftersales_visit v
              JOIN aftersales_ticket t ON t.id = v.ticket_id
             WHERE v.technician_id = ANY(%(emps)s) AND t.company_id = %(company)s
               AND t.active AND v.signed_on = t.report_signed_date
               AND v.signed_on >= %(dt_from)s AND v.signed_on < %(dt_to)s
             GROUP BY v.technician_id
            """,
            dict(ctx, emps=employees.ids),
        )
        return self._rows_to_values(rows, kind="avg")

    # Managers: the teams they lead and every sub-team

    @api.model
    def _managed_teams(self, employees):
        """{employee_id: set(team ids)} of led teams and their sub-teams."""
        user_to_emp = {e.user_id.id: e.id for e in employees if e.user_id}
        if not user_to_emp:
            return {}
        rows = self._fetch(
            """
            SELECT lead.leader_id, sub.id
              FROM aftersales_team lead
              JOIN aftersales_team sub ON sub.parent_path LIKE lead.parent_path || '%%'
             WHERE lead.leader_id = ANY(%s) AND lead.active
            """,
            [list(user_to_emp)],
        )
        teams = defaultdict(set)
        for user_id, team_id in rows:
            teams[user_to_emp[user_id]].add(team_id)
        return teams

    def _sum_per_manager(self, teams, rows):
        """rows (team_id, a, b) summed over each manager's teams."""
        per_team = {row[0]: row[1:] for row in rows}
        result = {}
        for emp, team_ids in teams.items():
            a = sum(per_team[t][0] or 0 for t in team_ids if t in per_team)
            b = sum(per_team[t][1] or 0 for t in team_ids if t in per_team)
            result[emp] = (a, b)
        return result

    def _indicator_team_target(self, employees, ctx):
        teams = self._managed_teams(employees)
        all_teams = list(set().union(*teams.values())) if teams else []
        rows = self._fetch(
            """
            SELECT t.team_id, count(*) FILTER (WHERE s.status = 'met'), count(*)
              FROM aftersales_ticket_sla s
              JOIN aftersales_ticket t ON t.id = s.ticket_id
             WHERE t.team_id = ANY(%(teams)s) AND t.company_id = %(company)s
               AND t.active
               AND t.received_date >= %(dt_from)s AND t.received_date < %(dt_to)s
               AND s.status IN %(decided)s
             GROUP BY t.team_id
            """,
            dict(ctx, teams=all_teams, decided=DECIDED),
        )
        sums = self._sum_per_manager(teams, rows)
        return self._rows_to_values([(e, a, b) for e, (a, b) in sums.items()])

    def _indicator_complaint_handling(self, employees, ctx):
        teams = self._managed_teams(employees)
        all_teams = list(set().union(*teams.values())) if teams else []
        rows = self._fetch(
            """
            SELECT t.team_id,
                   count(*) FILTER (
                       WHERE t.complaint_state = 'closed'
                         AND (t.complaint_deadline IS NULL
                              OR t.closed_date::date <= t.complaint_deadline)),
                   count(*)
              FROM aftersales_ticket t
             WHERE t.team_id = ANY(%(teams)s) AND t.company_id = %(company)s
               AND t.is_complaint
               AND t.received_date >= %(dt_from)s AND t.received_date < %(dt_to)s
             GROUP BY t.team_id
            """,
            dict(ctx, teams=all_teams),
        )
        sums = self._sum_per_manager(teams, rows)
        return self._rows_to_values([(e, a, b) for e, (a, b) in sums.items()])

    def _indicator_cost_control(self, employees, ctx):
        teams = self._managed_teams(employees)
        all_teams = list(set().union(*teams.values())) if teams else []
        rows = self._fetch(
            """
            SELECT team_id, sum(cost), sum(closed) FROM (
                SELECT r.team_id, r.warranty_cost AS cost, 0 AS closed
                  FROM aftersales_part_reservation r
                 WHERE r.team_id = ANY(%(teams)s) AND r.company_id = %(company)s
                   AND r.state = 'done'
                   AND r.date_consumed >= %(dt_from)s AND r.date_consumed < %(dt_to)s
                UNION ALL
                SELECT t.team_id, 0, 1
                  FROM aftersales_ticket t
                 WHERE t.team_id = ANY(%(teams)s) AND t.company_id = %(company)s
                   AND t.active AND t.is_closed
                   AND t.closed_date >= %(dt_from)s AND t.closed_date < %(dt_to)s
            ) x GROUP BY team_id
            """,
            dict(ctx, teams=all_teams),
        )
        sums = self._sum_per_manager(teams, rows)
        return {
            emp: (float(cost) / closed, int(closed))
            for emp, (cost, closed) in sums.items()
            if closed
        }
