from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    aftersales_van_location_id = fields.Many2one(
        "stock.location",
        string="Van Location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        groups="aftersales_service.group_aftersales_technician,stock.group_stock_user",
        # Not fetched with the employee's other columns: users without HR
        # rights read employees through their public profile, which does not
        # hold it (their team's technician pool would fail to open).
        prefetch=False,
        help="Stock location of the technician's service van: reserved "
        "parts go there when the team delivers parts to vans.",
    )

    aftersales_ticket_count = fields.Integer(
        string="After-Sales Tickets",
        compute="_compute_aftersales_ticket_count",
        groups="aftersales_service.group_aftersales_technician",
    )
    aftersales_team_ids = fields.Many2many(
        "aftersales.team",
        "aftersales_team_technician_rel",
        "employee_id",
        "team_id",
        string="After-Sales Teams",
        groups="aftersales_service.group_aftersales_technician",
    )

    aftersales_certification_ids = fields.One2many(
        "aftersales.certification",
        "employee_id",
        string="After-Sales Certifications",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
    )

    def _compute_aftersales_ticket_count(self):
        counts = self.env["aftersales.ticket"]._count_by("technician_id", self.ids)
        for employee in self:
            employee.aftersales_ticket_count = counts.get(employee.id, 0)

    def action_view_aftersales_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("technician_id", "=", self.id)], {"default_technician_id": self.id}
        )

    # Performance scores
    aftersales_profile_id = fields.Many2one(
        "aftersales.performance.profile",
        string="After-Sales Profile",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
        # Not fetched with the employee's other columns: a service manager
        # without HR rights reads employees through their public profile,
        # which does not hold it.
        prefetch=False,
        help="Role profile the monthly after-sales scorecard is built with.",
    )
    aftersales_score_ids = fields.One2many(
        "aftersales.performance.score",
        "employee_id",
        string="Scorecards",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
    )
    aftersales_score_count = fields.Integer(
        string="Scorecard Count",
        compute="_compute_aftersales_score_stats",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
    )
    aftersales_last_score = fields.Float(
        string="Last Score",
        compute="_compute_aftersales_score_stats",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
    )
    aftersales_needs_training = fields.Boolean(
        string="After-Sales Training Needed",
        compute="_compute_aftersales_score_stats",
        search="_search_aftersales_needs_training",
        groups="hr.group_hr_user,aftersales_service.group_aftersales_manager",
        help="Below target in the last two periods.",
    )

    def _compute_aftersales_score_stats(self):
        Score = self.env["aftersales.performance.score"]
        counts = dict(
            Score._read_group(
                [("employee_id", "in", self.ids)], ["employee_id"], ["__count"]
            )
        )
        last = {}
        for score in Score.search(
            [("employee_id", "in", self.ids), ("period_type", "=", "month")],
            order="date_start desc",
        ):
            last.setdefault(score.employee_id, score)
        for employee in self:
            score = last.get(employee)
            employee.aftersales_score_count = counts.get(employee, 0)
            employee.aftersales_last_score = score.total_score if score else 0.0
            employee.aftersales_needs_training = bool(score and score.needs_training)

    def _search_aftersales_needs_training(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError("Unsupported search.")
        self.env["aftersales.performance.score"].flush_model()
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (employee_id) employee_id
              FROM aftersales_performance_score
             WHERE period_type = 'month' AND needs_training
               AND (employee_id, date_start) IN (
                   SELECT employee_id, max(date_start)
                     FROM aftersales_performance_score
                    WHERE period_type = 'month' GROUP BY employee_id)
            """
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", ids)]

    def action_view_aftersales_scores(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_performance_score_action"
        )
        action["domain"] = [("employee_id", "=", self.id)]
        action["context"] = {"search_default_monthly": 1}
        return action
