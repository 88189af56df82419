import ast
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# Figures of the overview: each one counts open tickets (or due callbacks) of
# a team and its sub-teams, and opens the list filtered the same way.
OVERVIEW_FIGURES = (
    "open",
    "unassigned",
    "urgent",
    "at_risk",
    "failed_today",
    "callbacks_due",
    "part_shortage",
)


class AftersalesTeam(models.Model):
    _name = "aftersales.team"
    _description = "After-Sales Service Team"
    _inherit = ["mail.thread", "mail.alias.mixin"]
    _parent_store = True
    _parent_name = "parent_id"
    _rec_name = "complete_name"
    _order = "complete_name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    complete_name = fields.Char(
        compute="_compute_complete_name", store=True, recursive=True
    )
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    color = fields.Integer()

    # Organisation: headquarters -> region -> local service point
    level = fields.Selection(
        [
            ("hq", "Headquarters"),
            ("region", "Regional Branch"),
            ("point", "Local Service Point"),
        ],
        required=True,
        default="point",
        tracking=True,
    )
    parent_id = fields.Many2one(
        "aftersales.team",
        string="Parent Team",
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("aftersales.team", "parent_id", string="Sub-teams")

    # People
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        tracking=True,
        domain="[('share', '=', False)]",
    )
    member_ids = fields.Many2many(
        "res.users",
        "aftersales_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
        domain="[('share', '=', False)]",
        help="Back-office users (agents, dispatchers) working the tickets of "
        "this team and its sub-teams.",
    )
    technician_ids = fields.Many2many(
        "hr.employee",
        "aftersales_team_technician_rel",
        "team_id",
        "employee_id",
        string="Technician Pool",
        check_company=True,
    )

    # Routing
    state_ids = fields.Many2many(
        "res.country.state",
        string="Regions Served",
        help="Customers located in these states/provinces are routed to this "
        "team. The most local team (service point before region before "
        "headquarters) wins.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        check_company=True,
        compute="_compute_resource_calendar_id",
        store=True,
        readonly=False,
        precompute=True,
    )

    # Spare parts
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Parts Warehouse",
        check_company=True,
        help="Warehouse the team's spare parts are reserved from. Without "
        "one, the parent team's (or the company's first) warehouse is used.",
    )
    service_location_id = fields.Many2one(
        "stock.location",
        string="Service Point Location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where reserved parts wait for the team's technicians.",
    )
    parts_destination = fields.Selection(
        [
            ("point", "Service Point"),
            ("van", "Technician's Van"),
        ],
        string="Deliver Parts To",
        default="point",
        required=True,
        help="Reserved parts go to the technician's van location when set on "
        "the technician, else to the service point location.",
    )

    # Dispatch
    visit_auto_assign = fields.Boolean(
        string="Auto-Assign Visits",
        help="New visits of this team planned without a technician go to the "
        "first candidate of the suggestion (certified, free in the window, "
        "nearest, least loaded), when there is one.",
    )

    # Operated by a service partner (a third-party company)
    service_partner_id = fields.Many2one(
        "res.partner",
        string="Operated by Partner",
        index="btree_not_null",
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The partner company whose technicians run this team. Its "
        "technicians (users with the Partner Technician role in the team's "
        "technician pool) see and work only this team's tickets and visits, "
        "under the same service levels, report and signature rules; their "
        "signed visits are listed each month for settlement.",
    )
    settlement_visit_count = fields.Integer(
        string="Signed Visits",
        compute="_compute_settlement_visit_count",
    )

    callback_survey_id = fields.Many2one(
        "survey.survey",
        help="Survey asked on this team's callbacks (and its sub-teams'); empty "
        "for the parent team's, then the default satisfaction survey.",
    )

    ticket_count = fields.Integer(compute="_compute_ticket_count")
    open_ticket_count = fields.Integer(compute="_compute_ticket_count")

    # Overview (the team and its sub-teams)
    overview_open_count = fields.Integer(string="Open", compute="_compute_overview")
    overview_unassigned_count = fields.Integer(
        string="Unassigned", compute="_compute_overview"
    )
    overview_urgent_count = fields.Integer(string="Urgent", compute="_compute_overview")
    overview_at_risk_count = fields.Integer(
        string="At Risk", compute="_compute_overview"
    )
    overview_failed_today_count = fields.Integer(
        string="Failed Today", compute="_compute_overview"
    )
    overview_callbacks_due_count = fields.Integer(
        string="Callbacks Due", compute="_compute_overview"
    )
    overview_part_shortage_count = fields.Integer(
        string="Parts Shortages", compute="_compute_overview"
    )

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for team in self:
            if team.parent_id:
                team.complete_name = f"{team.parent_id.complete_name} / {team.name}"
            else:
                team.complete_name = team.name

    @api.depends_context("hierarchical_naming")
    def _compute_display_name(self):
        """The full path by default (pickers, the team form); the team's own
        name where the context asks for it (cards, lists, graphs), as Odoo's
        departments do."""
        if self.env.context.get("hierarchical_naming", True):
            return super()._compute_display_name()
        for team in self:
            team.display_name = team.name

    @api.depends("company_id")
    def _compute_resource_calendar_id(self):
        for team in self:
            if (
                team.resource_calendar_id.company_id
                not in (
                    team.company_id,
                    self.env["res.company"],
                )
                or not team.resource_calendar_id
            ):
                team.resource_calendar_id = team.company_id.resource_calendar_id

    def _compute_ticket_count(self):
        groups = self.env["aftersales.ticket"]._read_group(
            [("team_id", "in", self.ids)],
            ["team_id", "is_closed"],
            ["__count"],
        )
        total = {}
        open_ = {}
        for team, is_closed, count in groups:
            total[team.id] = total.get(team.id, 0) + count
            if not is_closed:
                open_[team.id] = open_.get(team.id, 0) + count
        for team in self:
            team.ticket_count = total.get(team.id, 0)
            team.open_ticket_count = open_.get(team.id, 0)

    def _compute_settlement_visit_count(self):
        partner_teams = self.filtered("service_partner_id")
        counts = {}
        if partner_teams.ids:
            counts = {
                team.id: count
                for team, count in self.env["aftersales.visit"]._read_group(
                    [
                        ("team_id", "in", partner_teams.ids),
                        *self.env["aftersales.visit"]._settlement_domain(),
                    ],
                    ["team_id"],
                    ["__count"],
                )
            }
        for team in self:
            team.settlement_visit_count = counts.get(team.id, 0)

    @api.depends_context("uid", "tz", "allowed_company_ids")
    def _compute_overview(self):
        """Each figure in one aggregate query for all the teams shown: counts
        per team of the tickets visible to the user, added up the tree."""
        teams = self.filtered("id")
        (self - teams).update(dict.fromkeys(self._overview_fnames(), 0))
        if not teams:
            return
        subtree = self.search([("id", "child_of", teams.ids)])
        wanted = {team.id for team in teams}
        domains = self._overview_domains()
        for figure in OVERVIEW_FIGURES:
            model, domain, team_field = domains[figure]
            totals = dict.fromkeys(wanted, 0)
            if self.env[model].has_access("read"):
                groups = self.env[model]._read_group(
                    [(team_field, "in", subtree.ids), *domain],
                    [team_field],
                    ["__count"],
                )
                for team, count in groups:
                    for ancestor in team.parent_path.split("/")[:-1]:
                        if int(ancestor) in wanted:
                            totals[int(ancestor)] += count
            for team in teams:
                team[f"overview_{figure}_count"] = totals[team.id]

    @api.model
    def _overview_fnames(self):
        return [f"overview_{figure}_count" for figure in OVERVIEW_FIGURES]

    @api.model
    def _overview_day_bounds(self):
        """Start of the user's day in UTC, and the end of it as the search
        filters write it (naive)."""
        today = fields.Date.context_today(self)
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        start = tz.localize(datetime.combine(today, time.min))
        start_utc = start.astimezone(pytz.utc).replace(tzinfo=None)
        return start_utc, datetime.combine(today, time(23, 59, 59))

    @api.model
    def _overview_domains(self):
        """{figure: (model, domain, team field)}: the counted records; the
        search filters of the lists opened from the overview say the same."""
        day_start, day_end = self._overview_day_bounds()
        open_ = [("is_closed", "=", False)]
        ticket = "aftersales.ticket"
        return {
            "open": (ticket, open_, "team_id"),
            "unassigned": (ticket, [*open_, ("technician_id", "=", False)], "team_id"),
            "urgent": (ticket, [*open_, ("priority", "in", ("1", "2"))], "team_id"),
            "at_risk": (ticket, [*open_, ("sla_status", "=", "at_risk")], "team_id"),
            "failed_today": (
                ticket,
                [
                    *open_,
                    (
                        "sla_ids",
                        "any",
                        [
                            ("status", "=", "failed"),
                            ("deadline", ">=", day_start),
                        ],
                    ),
                ],
                "team_id",
            ),
            "callbacks_due": (
                "aftersales.callback",
                [("state", "=", "todo"), ("due_date", "<=", day_end)],
                "team_id",
            ),
            "part_shortage": (
                ticket,
                [*open_, ("has_part_shortage", "=", True)],
                "team_id",
            ),
        }

    @api.model
    def _my_day_domains(self):
        day_start, __ = self._overview_day_bounds()
        uid = self.env.uid
        return {
            "tickets": [
                ("is_closed", "=", False),
                "|",
                ("technician_user_id", "=", uid),
                ("owner_id", "=", uid),
            ],
            "appointments": [
                ("technician_user_id", "=", uid),
                ("appointment_start", ">=", day_start),
                ("appointment_start", "<", day_start + timedelta(days=1)),
            ],
        }

    @api.model
    @api.readonly
    def retrieve_my_day(self):
        """The user's own figures above the overview: open tickets, today's
        appointments, this month's score (and its target). Read-only: served
        from a replica when there is one."""
        Ticket = self.env["aftersales.ticket"]
        domains = self._my_day_domains()
        score = self.env["aftersales.performance.score"].search(
            [
                ("user_id", "=", self.env.uid),
                ("period_type", "=", "month"),
                ("date_start", "<=", fields.Date.context_today(self)),
                ("date_end", ">=", fields.Date.context_today(self)),
            ],
            limit=1,
        )
        return {
            "tickets": Ticket.search_count(domains["tickets"]),
            "appointments": Ticket.search_count(domains["appointments"]),
            "score": round(score.total_score, 1) if score else False,
            "target": round(score.target_score, 1) if score.target_score else False,
        }

    @api.model
    @api.readonly
    def action_open_my_day(self, figure):
        if figure == "score":
            return self.env["ir.actions.act_window"]._for_xml_id(
                "aftersales_service.aftersales_performance_score_action_my"
            )
        if figure == "appointments":
            action = self.env["aftersales.ticket"]._action_view(
                self._my_day_domains()["appointments"], {"hierarchical_naming": False}
            )
            action["name"] = _("My Appointments Today")
            action["views"] = sorted(
                action["views"], key=lambda view: view[1] != "calendar"
            )
            return action
        return self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_ticket_action_my"
        )

    @api.constrains("parent_id")
    def _check_parent_id(self):
        if self._has_cycle():
            raise ValidationError(_("A team cannot be its own parent team."))

    @api.constrains("level", "parent_id")
    def _check_level(self):
        order = {"hq": 0, "region": 1, "point": 2}
        for team in self:
            parent = team.parent_id
            if parent and order[parent.level] >= order[team.level]:
                raise ValidationError(
                    _(
                        "Team %(team)s (%(level)s) cannot be placed under "
                        "%(parent)s (%(parent_level)s): a parent team must be "
                        "higher in the organisation (headquarters > region > "
                        "service point).",
                        team=team.name,
                        level=dict(team._fields["level"].selection)[team.level],
                        parent=parent.name,
                        parent_level=dict(team._fields["level"].selection)[
                            parent.level
                        ],
                    )
                )

    def _alias_get_creation_values(self):
        """E-mails to the team's alias become tickets of this team and its
        company."""
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get("aftersales.ticket").id
        if self.id:
            values["alias_defaults"] = defaults = ast.literal_eval(
                self.alias_defaults or "{}"
            )
            defaults["team_id"] = self.id
            defaults["company_id"] = self.company_id.id
        return values

    # ------------------------------------------------------------------
    # The team tree
    # ------------------------------------------------------------------

    @api.model
    def _check_partner_technicians(self, rows):
        """``rows``: (record, employees, team). A technician of a team run
        by a service partner works only the tickets and visits of that
        partner's teams they belong to: one search for all the rows."""
        employees = self.env["hr.employee"].union(*(row[1] for row in rows))
        if not employees:
            return
        partner_teams = self.sudo().search(
            [
                ("service_partner_id", "!=", False),
                ("technician_ids", "in", employees.ids),
            ]
        )
        if not partner_teams:
            return
        for record, record_employees, team in rows:
            for employee in record_employees:
                teams = partner_teams.filtered(
                    lambda t, e=employee: e in t.technician_ids
                )
                if teams and team.sudo() not in teams:
                    raise ValidationError(
                        _(
                            "%(technician)s works for %(partner)s: they take "
                            "the tickets and visits of %(teams)s only, not "
                            "those of %(team)s (%(record)s).",
                            technician=employee.sudo().name,
                            partner=teams[0].service_partner_id.name,
                            teams=", ".join(teams.mapped("name")),
                            team=team.sudo().name or _("no team"),
                            record=record.display_name,
                        )
                    )

    def _walk_up(self):
        """The team, then its parent teams up to the headquarters (sudo: a
        user may work for a point without reading the region above)."""
        team = self.sudo()[:1]
        while team:
            yield team
            team = team.parent_id

    def _first_up(self, fname, accept=None):
        """The first non-empty ``fname`` of the team or of a team above it
        (that ``accept(team)`` allows, when given)."""
        for team in self._walk_up():
            if team[fname] and (accept is None or accept(team)):
                return team[fname]
        return self.env[self._fields[fname].comodel_name]

    def _aftersales_parts_warehouse(self):
        """The warehouse of the team or of its nearest ancestor."""
        return self._first_up("warehouse_id").sudo(False)

    def _get_callback_survey(self):
        """The survey of the first team up the tree that has one, else the
        default survey."""
        return self._first_up("callback_survey_id") or (
            self.env.ref(
                "aftersales_service.survey_callback_default", raise_if_not_found=False
            )
            or self.env["survey.survey"]
        )

    def _service_calendar(self, company=None):
        """Working hours of the team, else of its company (``company`` when
        the team is empty): the one calendar fallback of the addon."""
        return (
            self.sudo().resource_calendar_id
            or (company or self.company_id or self.env.company)
            .sudo()
            .resource_calendar_id
        )

    @api.readonly
    def action_view_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("team_id", "child_of", self.id)], {"default_team_id": self.id}
        )

    @api.readonly
    def action_view_settlement(self):
        """The partner's signed visits of this team, per month, for
        settlement."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_visit_action_settlement"
        )
        action["domain"] = [
            ("team_id", "=", self.id),
            *self.env["aftersales.visit"]._settlement_domain(),
        ]
        action["display_name"] = self.env._("Settlement: %s", self.name)
        return action

    def _action_overview(
        self, filters, xmlid="aftersales_service.aftersales_ticket_action"
    ):
        """The list of the team (and sub-teams) with the overview's filters
        on, as facets the user can remove. The overview's buttons only read
        (``@api.readonly``): served from a replica when there is one."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        context = {
            "search_default_team_id": self.id,
            "default_team_id": self.id,
            "hierarchical_naming": False,
        }
        context.update({f"search_default_{name}": 1 for name in filters})
        action["context"] = context
        action["display_name"] = self.name
        # land on the list
        action["views"] = sorted(action["views"], key=lambda view: view[1] != "list")
        return action

    @api.readonly
    def action_overview_open(self):
        return self._action_overview(["open"])

    @api.readonly
    def action_overview_unassigned(self):
        return self._action_overview(["open", "unassigned"])

    @api.readonly
    def action_overview_urgent(self):
        return self._action_overview(["open", "urgent"])

    @api.readonly
    def action_overview_at_risk(self):
        return self._action_overview(["open", "sla_at_risk"])

    @api.readonly
    def action_overview_failed_today(self):
        return self._action_overview(["open", "sla_failed_today"])

    @api.readonly
    def action_overview_callbacks_due(self):
        action = self._action_overview(
            ["due"], "aftersales_service.aftersales_callback_action"
        )
        action["context"].pop("default_team_id")
        return action

    @api.readonly
    def action_overview_part_shortage(self):
        return self._action_overview(["open", "part_shortage"])

    @api.model
    def _find_for_partners(self, partners, company):
        """Return {partner_id: team} for the most local team serving each
        partner's state in ``company``; one search for the whole set."""
        states = partners.state_id
        if not states:
            return {}
        teams = self.search(
            [
                ("state_ids", "in", states.ids),
                ("company_id", "=", company.id),
            ]
        )
        rank = {"point": 0, "region": 1, "hq": 2}
        by_state = {}
        for team in teams.sorted(lambda t: (rank[t.level], t.sequence, t.id)):
            for state in team.state_ids:
                by_state.setdefault(state.id, team)
        return {
            partner.id: by_state[partner.state_id.id]
            for partner in partners
            if partner.state_id.id in by_state
        }
