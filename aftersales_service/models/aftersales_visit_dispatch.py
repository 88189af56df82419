"""Dispatch of field visits: who is sent, when, and what they may see.

The ranking of candidate technicians, the checks of a planned visit
(overlaps, working hours, certification) and auto-assignment share one
availability reader (``_dispatch_availability``): the working calendars,
leaves and visits of all the employees concerned are read in a few queries,
whatever their number, then compared in Python."""

from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz
from babel.dates import format_datetime as babel_format_datetime

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.misc import (
    babel_locale_parse,
    format_date,
    get_lang,
    posix_to_ldml,
)

from .aftersales_visit import BUSY_STATES

# Fields that decide who does a visit: only dispatchers (within their teams)
# and managers change them.
PLANNING_FIELDS = ("technician_id", "helper_ids", "team_id")
# Changing any of these asks again for the confirmations given for the
# previous technician or window.
WINDOW_FIELDS = ("technician_id", "planned_start", "planned_stop")

# Region ranks of a candidate
REGION_OWN = 3  # the visit's own team, serving the customer's state
REGION_SERVES = 2  # another team serving the customer's state (partners too)
REGION_ABOVE = 1  # the visit's team or a team above it


def _to_utc_naive(moment):
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


def _merge(spans):
    """Sorted, merged (start, stop) spans: adjacent spans join (a morning,
    the lunch break and the afternoon make one working day)."""
    merged = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


class AftersalesVisit(models.Model):
    _inherit = "aftersales.visit"

    outside_hours_confirmed = fields.Boolean(
        string="Outside Working Hours Confirmed",
        copy=False,
        tracking=True,
        help="The dispatcher confirms a window outside the technician's working "
        "hours (or during their leave). Asked again when the technician or the "
        "window changes.",
    )
    certification_override_reason = fields.Char(
        string="Reason Without Certification",
        copy=False,
        help="Why a technician without a valid certification for the product "
        "line is sent anyway (required then, logged in the chatter). Asked "
        "again when the technician changes.",
    )
    required_skill_id = fields.Many2one(
        "hr.skill",
        string="Required Certification",
        compute="_compute_required_skill_id",
        compute_sudo=True,
        help="The certification the product line of the ticket's product "
        "requires (set on the product category).",
    )
    technician_certified = fields.Boolean(
        compute="_compute_technician_certified",
        compute_sudo=True,
        help="The technician holds a certification for the product line, valid "
        "on the day of the visit (or none is required).",
    )
    ticket_symptom = fields.Text(related="ticket_id.symptom", string="Symptom")
    partner_phone_masked = fields.Char(
        related="ticket_id.partner_phone_masked", string="Phone"
    )
    window_label = fields.Char(
        string="Time",
        compute="_compute_window_label",
        help="The window in the reader's time zone.",
    )
    is_my_visit = fields.Boolean(compute="_compute_is_my_visit")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("ticket_id.product_id.categ_id")
    def _compute_required_skill_id(self):
        for visit in self:
            visit.required_skill_id = (
                visit.ticket_id.product_id.categ_id._aftersales_required_skill()
            )

    @api.depends("technician_id", "required_skill_id", "planned_start")
    def _compute_technician_certified(self):
        certified = self._dispatch_certified_ids()
        for visit in self:
            visit.technician_certified = visit.id in certified or not (
                visit.technician_id and visit.required_skill_id
            )

    @api.depends("planned_start", "planned_stop")
    @api.depends_context("tz", "lang")
    def _compute_window_label(self):
        for visit in self:
            if not visit.planned_start or not visit.planned_stop:
                visit.window_label = False
                continue
            visit.window_label = (
                f"{self._dispatch_format(visit.planned_start, with_date=False)} – "
                f"{self._dispatch_format(visit.planned_stop, with_date=False)}"
            )

    @api.depends("technician_user_id")
    @api.depends_context("uid")
    def _compute_is_my_visit(self):
        for visit in self:
            visit.is_my_visit = visit.technician_user_id == self.env.user

    # ------------------------------------------------------------------
    # Formatting (in the reader's language and time zone)
    # ------------------------------------------------------------------

    @api.model
    def _dispatch_tz(self):
        return self.env.context.get("tz") or self.env.user.tz or "UTC"

    def _dispatch_visit_tz(self):
        """The time zone where the visit happens: the team's working hours'
        (else the company's, else the reader's)."""
        self.ensure_one()
        calendar = self.sudo().team_id._service_calendar(self.sudo().company_id)
        return pytz.timezone(calendar.tz or self._dispatch_tz())

    def _dispatch_day(self):
        """The day of the visit where it happens."""
        tz = self._dispatch_visit_tz()
        return pytz.utc.localize(self.planned_start).astimezone(tz).date()

    @api.model
    def _dispatch_format(self, value, with_date=True):
        return self._dispatch_formatter(with_date)(value)

    @api.model
    def _dispatch_formatter(self, with_date=True):
        """A function formatting naive UTC datetimes in the reader's language
        and time zone: the language's pattern and locale are looked up once,
        for a ranking that formats hundreds of windows."""
        lang = get_lang(self.env)
        locale = babel_locale_parse(lang.code)
        posix = (
            f"{lang.date_format} {lang.short_time_format}"
            if with_date
            else lang.short_time_format
        )
        pattern = posix_to_ldml(posix, locale=locale)
        tz = pytz.timezone(self._dispatch_tz())

        def format_value(value):
            if not value:
                return ""
            if not value.tzinfo:
                value = pytz.utc.localize(value)
            local = value.astimezone(tz)
            return babel_format_datetime(local, pattern, locale=locale)

        return format_value

    # ------------------------------------------------------------------
    # Availability: calendars, leaves (few queries for any number of people)
    # ------------------------------------------------------------------

    @api.model
    def _dispatch_availability(self, requests):
        """``requests``: [(key, employee, start, stop)] (naive UTC). Returns
        {key: (status, detail)} where status is ``ok``, ``outside`` (the window
        is not within the employee's working hours) or ``leave`` (a leave
        overlaps it; detail: the leave). Employees without a working calendar
        or on flexible hours work any time (leaves still count).

        Queries: the employees and their resources, their calendars with the
        attendances, and one search of the leaves, for all requests at once."""
        result = {}
        if not requests:
            return result
        employees = (
            self.env["hr.employee"]
            .sudo()
            .browse({employee.id for __, employee, __, __ in requests})
        )
        employees.fetch(["resource_id", "resource_calendar_id", "company_id"])
        employees.resource_id.fetch(["tz", "calendar_id"])
        calendars = employees.resource_calendar_id
        calendars.fetch(["attendance_ids", "flexible_hours", "two_weeks_calendar"])
        calendars.attendance_ids.fetch(
            [
                "dayofweek",
                "hour_from",
                "hour_to",
                "week_type",
                "date_from",
                "date_to",
                "display_type",
                "resource_id",
                "calendar_id",
            ]
        )
        lo = min(start for __, __, start, __ in requests)
        hi = max(stop for __, __, __, stop in requests)
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("time_type", "=", "leave"),
                    ("date_from", "<", hi),
                    ("date_to", ">", lo),
                    "|",
                    ("resource_id", "in", employees.resource_id.ids),
                    "&",
                    ("resource_id", "=", False),
                    ("calendar_id", "in", [False, *calendars.ids]),
                ]
            )
        )
        leaves.fetch(
            ["date_from", "date_to", "resource_id", "calendar_id", "company_id", "name"]
        )
        own_leaves = defaultdict(list)
        public_leaves = []
        for leave in leaves:
            if leave.resource_id:
                own_leaves[leave.resource_id.id].append(leave)
            else:
                public_leaves.append(leave)

        Attendance = self.env["resource.calendar.attendance"]
        spans_cache = {}

        def working_spans(employee, start, stop):
            calendar = employee.resource_calendar_id
            tz = pytz.timezone(employee.resource_id.tz or calendar.tz or "UTC")
            first = pytz.utc.localize(start).astimezone(tz).date()
            last = pytz.utc.localize(stop).astimezone(tz).date()
            own = any(a.resource_id for a in calendar.attendance_ids)
            key = (calendar.id, tz.zone, own and employee.resource_id.id, first, last)
            if key in spans_cache:
                return spans_cache[key]
            spans = []
            day = first
            while day <= last:
                week_type = Attendance.get_week_type(day)
                for attendance in calendar.attendance_ids:
                    if attendance.display_type or int(attendance.dayofweek) != (
                        day.weekday()
                    ):
                        continue
                    if (
                        calendar.two_weeks_calendar
                        and int(attendance.week_type or 0) != week_type
                    ):
                        continue
                    if (attendance.date_from and day < attendance.date_from) or (
                        attendance.date_to and day > attendance.date_to
                    ):
                        continue
                    if (
                        attendance.resource_id
                        and attendance.resource_id != employee.resource_id
                    ):
                        continue
                    hour_from = attendance.hour_from
                    hour_to = attendance.hour_to
                    begin = tz.localize(datetime.combine(day, time())) + timedelta(
                        hours=hour_from
                    )
                    end = tz.localize(datetime.combine(day, time())) + timedelta(
                        hours=hour_to
                    )
                    spans.append((_to_utc_naive(begin), _to_utc_naive(end)))
                day += timedelta(days=1)
            spans_cache[key] = _merge(spans)
            return spans_cache[key]

        for key, employee, start, stop in requests:
            employee = employees.browse(employee.id)
            calendar = employee.resource_calendar_id
            overlapping = [
                leave
                for leave in own_leaves.get(employee.resource_id.id, []) + public_leaves
                if leave.date_from < stop
                and leave.date_to > start
                and (
                    leave.resource_id
                    or (
                        (not leave.calendar_id or leave.calendar_id == calendar)
                        and leave.company_id == employee.company_id
                    )
                )
            ]
            if overlapping:
                result[key] = ("leave", overlapping[0])
                continue
            if not calendar or calendar.flexible_hours:
                result[key] = ("ok", None)
                continue
            covered = any(
                begin <= start and stop <= end
                for begin, end in working_spans(employee, start, stop)
            )
            result[key] = ("ok", None) if covered else ("outside", None)
        return result

    def _dispatch_working_hours_label(self, employee, moment):
        """'08:00 – 12:00, 13:00 – 17:00' (or 'no working hours that day'):
        the working hours of ``employee`` on the day of ``moment``, in the
        reader's time zone."""
        employee = employee.sudo()
        calendar = employee.resource_calendar_id
        spans = []
        if calendar:
            tz = pytz.timezone(employee.resource_id.tz or calendar.tz or "UTC")
            local_day = pytz.utc.localize(moment).astimezone(tz).date()
            midnight = tz.localize(datetime.combine(local_day, time()))
            for attendance in calendar.attendance_ids:
                if attendance.display_type or int(attendance.dayofweek) != (
                    local_day.weekday()
                ):
                    continue
                spans.append(
                    (
                        _to_utc_naive(midnight + timedelta(hours=attendance.hour_from)),
                        _to_utc_naive(midnight + timedelta(hours=attendance.hour_to)),
                    )
                )
        if not spans:
            return _("no working hours that day")
        return ", ".join(
            f"{self._dispatch_format(begin, with_date=False)} – "
            f"{self._dispatch_format(end, with_date=False)}"
            for begin, end in _merge(spans)
        )

    # ------------------------------------------------------------------
    # Certification
    # ------------------------------------------------------------------

    def _dispatch_certified_ids(self):
        """Ids of the visits of ``self`` whose technician holds a valid
        certification for the required skill on the day of the visit (one
        search for the whole set)."""
        visits = self.filtered(
            lambda v: v.technician_id and v.required_skill_id and v.planned_start
        )
        if not visits:
            return set()
        first_day = min(visit._dispatch_day() for visit in visits)
        certifications = (
            self.env["aftersales.certification"]
            .sudo()
            .search_fetch(
                [
                    ("employee_id", "in", visits.technician_id.ids),
                    ("skill_id", "in", visits.required_skill_id.ids),
                    "|",
                    ("expiry_date", "=", False),
                    ("expiry_date", ">=", first_day),
                ],
                ["employee_id", "skill_id", "expiry_date"],
            )
        )
        expiries = defaultdict(list)
        for certification in certifications:
            expiries[(certification.employee_id.id, certification.skill_id.id)].append(
                certification.expiry_date
            )
        certified = set()
        for visit in visits:
            day = visit._dispatch_day()
            if any(
                not expiry or expiry >= day
                for expiry in expiries[
                    (visit.technician_id.id, visit.required_skill_id.id)
                ]
            ):
                certified.add(visit.id)
        return certified

    # ------------------------------------------------------------------
    # Checks: overlaps, working hours, certification
    # ------------------------------------------------------------------

    @api.constrains("technician_id", "planned_start", "planned_stop", "state")
    def _check_technician_overlap(self):
        """One technician, one place at a time: two visits in a busy state
        whose windows overlap are refused (one query for the whole set)."""
        visits = self.filtered(lambda v: v.technician_id and v.state in BUSY_STATES)
        if not visits:
            return
        self.flush_model(["technician_id", "planned_start", "planned_stop", "state"])
        self.env.cr.execute(
            """
            SELECT v.id, o.id
              FROM aftersales_visit v
              JOIN aftersales_visit o
                ON o.technician_id = v.technician_id
               AND o.id != v.id
               AND o.state IN %(busy)s
               AND o.planned_start < v.planned_stop
               AND o.planned_stop > v.planned_start
             WHERE v.id IN %(ids)s
               AND v.state IN %(busy)s
             ORDER BY v.id, o.planned_start
             LIMIT 1
            """,
            {"busy": BUSY_STATES, "ids": tuple(visits.ids)},
        )
        row = self.env.cr.fetchone()
        if row:
            visit, other = self.browse(row[0]).sudo(), self.browse(row[1]).sudo()
            raise ValidationError(
                _(
                    "%(technician)s is already on visit %(other)s from %(start)s "
                    "to %(stop)s: visit %(visit)s overlaps it. Choose another "
                    "window or technician.",
                    technician=visit.technician_id.name,
                    other=other.name,
                    start=self._dispatch_format(other.planned_start),
                    stop=self._dispatch_format(other.planned_stop, with_date=False),
                    visit=visit.name,
                )
            )

    @api.constrains(
        "technician_id", "planned_start", "planned_stop", "outside_hours_confirmed"
    )
    def _check_working_hours(self):
        """A window outside the technician's working hours (or during their
        leave) needs the dispatcher's explicit confirmation."""
        visits = self.filtered(
            lambda v: (
                v.technician_id
                and v.state in BUSY_STATES
                and not v.outside_hours_confirmed
            )
        )
        availability = self._dispatch_availability(
            [
                (visit.id, visit.technician_id, visit.planned_start, visit.planned_stop)
                for visit in visits
            ]
        )
        for visit in visits:
            status, leave = availability[visit.id]
            if status == "leave":
                raise ValidationError(
                    _(
                        "Visit %(visit)s: %(technician)s is on leave (%(leave)s) "
                        "during the window. Confirm the window outside working "
                        "hours to plan it anyway.",
                        visit=visit.name,
                        technician=visit.technician_id.sudo().name,
                        leave=leave.name or _("time off"),
                    )
                )
            if status == "outside":
                raise ValidationError(
                    _(
                        "Visit %(visit)s: the window %(start)s – %(stop)s is "
                        "outside the working hours of %(technician)s "
                        "(%(hours)s). Confirm the window outside working hours "
                        "to plan it anyway.",
                        visit=visit.name,
                        start=self._dispatch_format(visit.planned_start),
                        stop=self._dispatch_format(visit.planned_stop, with_date=False),
                        technician=visit.technician_id.sudo().name,
                        hours=self._dispatch_working_hours_label(
                            visit.technician_id, visit.planned_start
                        ),
                    )
                )

    @api.constrains(
        "technician_id", "certification_override_reason", "ticket_id", "planned_start"
    )
    def _check_certification(self):
        """A technician without a valid certification for the product line
        is sent only with a reason."""
        visits = self.filtered(
            lambda v: (
                v.technician_id
                and v.state in BUSY_STATES
                and not (v.certification_override_reason or "").strip()
            )
        )
        certified = visits._dispatch_certified_ids()
        for visit in visits:
            if visit.required_skill_id and visit.id not in certified:
                raise ValidationError(
                    _(
                        "%(technician)s holds no valid certification for "
                        "%(skill)s on %(day)s (visit %(visit)s): give the reason "
                        "to send them anyway, or choose a certified technician.",
                        technician=visit.technician_id.sudo().name,
                        skill=visit.required_skill_id.name,
                        day=format_date(self.env, visit._dispatch_day()),
                        visit=visit.name,
                    )
                )

    def _dispatch_log_overrides(self):
        """Note in the chatter who was sent without the certification, and
        why."""
        visits = self.filtered(
            lambda v: (
                v.technician_id
                and v.required_skill_id
                and (v.certification_override_reason or "").strip()
            )
        )
        if not visits:
            return
        certified = visits._dispatch_certified_ids()
        for visit in visits:
            if visit.id in certified:
                continue
            visit.sudo().message_post(
                body=_(
                    "%(technician)s sent without a valid certification for "
                    "%(skill)s. Reason: %(reason)s",
                    technician=visit.technician_id.sudo().name,
                    skill=visit.required_skill_id.name,
                    reason=visit.certification_override_reason,
                ),
                author_id=self.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Who plans: dispatchers within their teams, managers everywhere
    # ------------------------------------------------------------------

    @api.model
    def _dispatch_scope(self):
        """The teams the current user plans (their teams and the teams below)
        and their technician pools; None when the user plans everywhere."""
        user = self.env.user
        if self.env.su or user.has_group("aftersales_service.group_aftersales_manager"):
            return None
        teams = (
            self.env["aftersales.team"]
            .sudo()
            .search([("id", "child_of", user.aftersales_team_ids.ids)])
        )
        return teams, teams.technician_ids

    def _dispatch_check_planning(self):
        """Refuse a plan the user may not make: technicians never change who
        does a visit; a dispatcher plans the visits of their teams with the
        technicians of their teams."""
        if self.env.su:
            return
        user = self.env.user
        if not user.has_group("aftersales_service.group_aftersales_user_own"):
            raise AccessError(
                _(
                    "Technicians do not assign visits: ask your dispatcher to "
                    "change who does visit %(visit)s.",
                    visit=self[:1].name,
                )
            )
        if not user.has_group("aftersales_service.group_aftersales_user_team"):
            return
        scope = self._dispatch_scope()
        if scope is None:
            return
        teams, pool = scope
        for visit in self.sudo():
            if visit.team_id not in teams:
                raise AccessError(
                    _(
                        "Visit %(visit)s belongs to %(team)s: you plan the "
                        "visits of your own teams only.",
                        visit=visit.name,
                        team=visit.team_id.name or _("no team"),
                    )
                )
            outsiders = (visit.technician_id | visit.helper_ids) - pool
            if outsiders:
                raise AccessError(
                    _(
                        "%(technician)s is not a technician of your teams: you "
                        "send the technicians of your own teams only.",
                        technician=outsiders[0].name,
                    )
                )

    # ------------------------------------------------------------------
    # create / write
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        visits = super().create(vals_list)
        visits._dispatch_check_planning()
        visits._dispatch_log_overrides()
        visits._dispatch_auto_assign()
        return visits

    def write(self, vals):
        vals = dict(vals)
        if any(fname in vals for fname in WINDOW_FIELDS):
            vals.setdefault("outside_hours_confirmed", False)
        if "technician_id" in vals:
            vals.setdefault("certification_override_reason", False)
        res = super().write(vals)
        if any(fname in vals for fname in PLANNING_FIELDS):
            self._dispatch_check_planning()
        if "technician_id" in vals or "certification_override_reason" in vals:
            self._dispatch_log_overrides()
        return res

    # ------------------------------------------------------------------
    # Ranking
    # ------------------------------------------------------------------

    def _dispatch_candidates(self):
        """{employee id: (region rank, team)} of the technicians who could
        do the visit: the pools of the teams serving the customer's state
        (a team without states of its own serves those of the nearest team
        above it; teams run by a partner company included), and of the
        visit's team and the teams above it."""
        self.ensure_one()
        visit = self.sudo()
        Team = self.env["aftersales.team"].sudo()
        teams = Team.search([("company_id", "=", visit.company_id.id)])
        teams.fetch(["state_ids", "parent_id", "technician_ids", "name"])
        state = visit.ticket_id.service_partner_id.state_id or visit.partner_id.state_id
        candidates = {}

        def offer(team, rank):
            for employee in team.technician_ids:
                if rank > candidates.get(employee.id, (0, team))[0]:
                    candidates[employee.id] = (rank, team)

        if state:
            for team in teams:
                if state in team._first_up("state_ids"):
                    offer(team, REGION_OWN if team == visit.team_id else REGION_SERVES)
        for team in visit.team_id._walk_up():
            offer(team, REGION_ABOVE)
        return candidates, state

    def _dispatch_rank(self, for_auto=False):
        """Candidates for the visit, best first: a dict per candidate with
        the facts and the reasons in words (in the reader's language).

        Order: those the user may assign, certified, available in the
        window, then the region (the visit's own team, other teams serving
        the customer's state, the teams above), then the fewest open visits
        in the week. A constant
        number of queries whatever the number of technicians and visits."""
        self.ensure_one()
        visit = self.sudo()
        start, stop = visit.planned_start, visit.planned_stop
        candidates, state = self._dispatch_candidates()
        Employee = self.env["hr.employee"].sudo()
        employees = Employee.browse(list(candidates)).filtered(
            lambda e: e.active and e.company_id == visit.company_id
        )
        if not employees:
            return []
        employees.fetch(["name", "resource_id", "resource_calendar_id"])
        scope = None if for_auto else self._dispatch_scope()

        # certification
        skill = visit.required_skill_id
        day = visit._dispatch_day()
        valid = self.env["aftersales.certification"]._valid_for(employees, skill, day)
        expired = (
            self.env["aftersales.certification"]._latest_expired(employees, skill, day)
            if skill
            else {}
        )
        # availability: calendars and leaves, then other visits in the window
        availability = self._dispatch_availability(
            [(employee.id, employee, start, stop) for employee in employees]
        )
        busy = {}
        for other in (
            self.env["aftersales.visit"]
            .sudo()
            .search_fetch(
                [
                    ("technician_id", "in", employees.ids),
                    ("state", "in", BUSY_STATES),
                    ("planned_start", "<", stop),
                    ("planned_stop", ">", start),
                    ("id", "!=", visit.id),
                ],
                ["name", "technician_id", "planned_start", "planned_stop"],
                order="planned_start",
            )
        ):
            busy.setdefault(other.technician_id.id, other)
        # load: open visits in the week of the window (Monday to Sunday)
        tz = visit._dispatch_visit_tz()
        monday = day - timedelta(days=day.weekday())
        week_start = _to_utc_naive(tz.localize(datetime.combine(monday, time())))
        week_stop = _to_utc_naive(
            tz.localize(datetime.combine(monday + timedelta(days=7), time()))
        )
        load = dict(
            self.env["aftersales.visit"]
            .sudo()
            ._read_group(
                [
                    ("technician_id", "in", employees.ids),
                    ("state", "in", BUSY_STATES),
                    ("planned_start", ">=", week_start),
                    ("planned_start", "<", week_stop),
                    ("id", "!=", visit.id),
                ],
                ["technician_id"],
                ["__count"],
            )
        )
        load = {employee.id: count for employee, count in load.items()}

        time_of = self._dispatch_formatter(with_date=False)
        rows = []
        for employee in employees:
            region, team = candidates[employee.id]
            # certification
            certification = valid.get(employee.id)
            if not skill:
                certified = True
                certification_note = _(
                    "No certification required for this product line"
                )
            elif certification:
                certified = True
                certification_note = (
                    _(
                        "Certified for %(skill)s until %(date)s",
                        skill=skill.name,
                        date=format_date(self.env, certification.expiry_date),
                    )
                    if certification.expiry_date
                    else _("Certified for %(skill)s", skill=skill.name)
                )
            elif employee.id in expired:
                certified = False
                certification_note = _(
                    "Certification for %(skill)s expired on %(date)s",
                    skill=skill.name,
                    date=format_date(self.env, expired[employee.id]),
                )
            else:
                certified = False
                certification_note = _("Not certified for %(skill)s", skill=skill.name)
            # region
            if region in (REGION_OWN, REGION_SERVES):
                region_note = _(
                    "Serves %(state)s (%(team)s)", state=state.name, team=team.name
                )
            else:
                region_note = _(
                    "From %(team)s, not serving the customer's region",
                    team=team.name,
                )
            # availability
            status, leave = availability[employee.id]
            other = busy.get(employee.id)
            within_hours = status == "ok"
            if other:
                availability_note = _(
                    "Busy on visit %(visit)s from %(start)s to %(stop)s",
                    visit=other.name,
                    start=time_of(other.planned_start),
                    stop=time_of(other.planned_stop),
                )
            elif status == "leave":
                availability_note = _(
                    "On leave (%(leave)s)", leave=leave.name or _("time off")
                )
            elif status == "outside":
                availability_note = _(
                    "Outside working hours (%(hours)s)",
                    hours=self._dispatch_working_hours_label(employee, start),
                )
            else:
                availability_note = _("Free in the window")
            available = within_hours and not other
            # load
            count = load.get(employee.id, 0)
            load_note = (
                _("%(count)s open visits this week", count=count)
                if count != 1
                else _("1 open visit this week")
            )
            assignable = scope is None or employee in scope[1]
            reasons = [certification_note, region_note, availability_note, load_note]
            if not assignable:
                reasons.append(_("Not in your teams: you cannot send them"))
            rows.append(
                {
                    "employee": employee,
                    "team": team,
                    "region": region,
                    "certified": certified,
                    "available": available,
                    "within_hours": within_hours,
                    "busy": bool(other),
                    "load": count,
                    "assignable": assignable,
                    "eligible": assignable and certified and available,
                    "certification_note": certification_note,
                    "region_note": region_note,
                    "availability_note": availability_note,
                    "load_note": load_note,
                    "reasons": reasons,
                }
            )
        rows.sort(
            key=lambda row: (
                not row["assignable"],
                not row["certified"],
                not row["available"],
                -row["region"],
                row["load"],
                row["employee"].name or "",
                row["employee"].id,
            )
        )
        return rows

    def action_suggest_technician(self):
        """Open the ranked candidates; the dispatcher assigns one in a
        click."""
        self.ensure_one()
        self.check_access("write")
        if self.state not in ("planned", "confirmed"):
            raise UserError(
                _(
                    "Visit %(visit)s has started or is over: its technician "
                    "is no longer changed.",
                    visit=self.name,
                )
            )
        rows = self._dispatch_rank()
        wizard = self.env["aftersales.visit.dispatch.wizard"].create(
            {
                "visit_id": self.id,
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "rank": rank,
                            "employee_id": row["employee"].id,
                            "team_id": row["team"].id,
                            "certified": row["certified"],
                            "available": row["available"],
                            "within_hours": row["within_hours"],
                            "assignable": row["assignable"],
                            "load": row["load"],
                            "certification_note": row["certification_note"],
                            "region_note": row["region_note"],
                            "availability_note": row["availability_note"],
                            "load_note": row["load_note"],
                        },
                    )
                    for rank, row in enumerate(rows, start=1)
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Suggested Technicians"),
            "res_model": "aftersales.visit.dispatch.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _dispatch_auto_assign(self):
        """New unassigned visits of a team with auto-assignment get the top
        candidate of the ranking, when one is certified and free."""
        visits = self.sudo().filtered(
            lambda v: (
                not v.technician_id
                and v.state in ("planned", "confirmed")
                and v.team_id.visit_auto_assign
            )
        )
        for visit in visits:
            rows = visit._dispatch_rank(for_auto=True)
            best = next((row for row in rows if row["eligible"]), None)
            if best:
                visit.write(
                    {
                        "technician_id": best["employee"].id,
                        **visit._partner_team_vals(best["team"]),
                    }
                )
                body = _(
                    "Assigned automatically to %(technician)s: %(reasons)s.",
                    technician=best["employee"].name,
                    reasons="; ".join(best["reasons"]),
                )
            else:
                body = _(
                    "Auto-assignment found no certified technician free in the "
                    "window: assign the visit by hand."
                )
            visit.message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note"
            )

    # ------------------------------------------------------------------
    # The technician's day and the customer's phone
    # ------------------------------------------------------------------

    @api.model
    def action_my_visits_today(self):
        """The current user's visits of today (their day, their time zone),
        in time order."""
        tz = pytz.timezone(self._dispatch_tz())
        today = fields.Date.context_today(self)
        day_start = _to_utc_naive(tz.localize(datetime.combine(today, time())))
        day_stop = _to_utc_naive(
            tz.localize(datetime.combine(today + timedelta(days=1), time()))
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_visit_action_my_today"
        )
        action["domain"] = [
            "|",
            ("technician_user_id", "=", self.env.uid),
            ("helper_ids.user_id", "=", self.env.uid),
            ("planned_start", "<", day_stop),
            ("planned_stop", ">", day_start),
        ]
        return action

    def _dispatch_reveal_phone(self):
        """The customer's full phone for the assigned technician, from the
        company's lead time before the window until the visit is done; every
        reveal is noted in the chatter."""
        self.ensure_one()
        self.check_access("read")
        if self.technician_user_id != self.env.user:
            raise AccessError(
                _(
                    "Only the technician assigned to visit %(visit)s can reveal "
                    "the customer's phone.",
                    visit=self.name,
                )
            )
        visit = self.sudo()
        if visit.state not in BUSY_STATES:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                _(
                    "Visit %(visit)s is %(state)s: the customer's phone is no "
                    "longer shown.",
                    visit=visit.name,
                    state=states[visit.state],
                )
            )
        hours = visit.company_id.aftersales_phone_reveal_hours
        opens = visit.planned_start - timedelta(hours=hours)
        if fields.Datetime.now() < opens:
            raise UserError(
                _(
                    "The customer's phone is shown from %(hours)s h before the "
                    "visit: from %(time)s.",
                    hours=f"{hours:g}",
                    time=self._dispatch_format(opens),
                )
            )
        partner = visit.ticket_id.partner_id
        phone = visit.ticket_id.partner_phone or partner.mobile or partner.phone
        if not phone:
            raise UserError(_("The customer has no phone number on file."))
        visit.message_post(
            body=_(
                "%(technician)s revealed the customer's phone.",
                technician=self.env.user.name,
            ),
            author_id=self.env.user.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return phone

    def action_reveal_phone(self):
        phone = self._dispatch_reveal_phone()
        name = (self.sudo().partner_id.name or "").replace("%", "%%")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Customer's phone"),
                "message": f"{name}: %s",
                "links": [{"label": phone, "url": "tel:" + "".join(phone.split())}],
                "sticky": True,
                "type": "info",
            },
        }
