import ast

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


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

    callback_survey_id = fields.Many2one(
        "survey.survey",
        help="Survey asked on this team's callbacks (and its sub-teams'); empty "
        "for the parent team's, then the default satisfaction survey.",
    )

    ticket_count = fields.Integer(compute="_compute_ticket_count")
    open_ticket_count = fields.Integer(compute="_compute_ticket_count")

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for team in self:
            if team.parent_id:
                team.complete_name = f"{team.parent_id.complete_name} / {team.name}"
            else:
                team.complete_name = team.name

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

    def action_view_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("team_id", "child_of", self.id)], {"default_team_id": self.id}
        )

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
