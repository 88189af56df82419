from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class AftersalesCertification(models.Model):
    """A technician's certification for a skill of ``hr_skills`` (the skill a
    product line requires), valid until an expiry date. The skill itself is
    on the employee's resume (``hr.employee.skill``, which employees may edit
    on their own profile); the certification that lets them be sent to a
    product line is granted here by HR or the service manager."""

    _name = "aftersales.certification"
    _description = "After-Sales Technician Certification"
    _order = "employee_id, skill_id, expiry_date desc"
    _rec_name = "skill_id"
    _check_company_auto = True

    employee_id = fields.Many2one(
        "hr.employee",
        string="Technician",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="employee_id.company_id", store=True, index=True, precompute=True
    )
    skill_id = fields.Many2one(
        "hr.skill",
        required=True,
        index=True,
        ondelete="cascade",
        help="The skill a product line requires (Configuration of the product "
        "category).",
    )
    skill_type_id = fields.Many2one(related="skill_id.skill_type_id")
    skill_level_id = fields.Many2one(
        "hr.skill.level",
        string="Level",
        compute="_compute_skill_level_id",
        help="The level of the skill on the technician's resume.",
    )
    date_obtained = fields.Date(string="Certified On")
    expiry_date = fields.Date(
        index=True,
        help="The technician is no longer certified after this day. Leave "
        "empty when the certification does not expire.",
    )
    reference = fields.Char(
        string="Certificate Number", help="Number of the certificate, if any."
    )
    is_valid = fields.Boolean(
        string="Valid Today",
        compute="_compute_is_valid",
        search="_search_is_valid",
    )

    _sql_constraints = [
        (
            "employee_skill_expiry_uniq",
            "unique (employee_id, skill_id, expiry_date)",
            "This technician already holds this certification with the same "
            "expiry date.",
        ),
    ]

    def _compute_skill_level_id(self):
        employee_skills = (
            self.env["hr.employee.skill"]
            .sudo()
            .search(
                [
                    ("employee_id", "in", self.employee_id.ids),
                    ("skill_id", "in", self.skill_id.ids),
                ]
            )
        )
        levels = {
            (line.employee_id.id, line.skill_id.id): line.skill_level_id
            for line in employee_skills
        }
        for certification in self:
            certification.skill_level_id = levels.get(
                (certification.employee_id.id, certification.skill_id.id),
                self.env["hr.skill.level"],
            )

    def _compute_is_valid(self):
        today = fields.Date.context_today(self)
        for certification in self:
            certification.is_valid = (
                not certification.expiry_date or certification.expiry_date >= today
            )

    def _search_is_valid(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on the certification's validity."))
        today = fields.Date.context_today(self)
        valid = ["|", ("expiry_date", "=", False), ("expiry_date", ">=", today)]
        if (operator == "=") == value:
            return valid
        return [("expiry_date", "<", today)]

    @api.constrains("employee_id", "skill_id")
    def _check_skill_on_resume(self):
        """A certification needs the skill on the technician's resume (one
        search for the batch)."""
        employee_skills = (
            self.env["hr.employee.skill"]
            .sudo()
            .search(
                [
                    ("employee_id", "in", self.employee_id.ids),
                    ("skill_id", "in", self.skill_id.ids),
                ]
            )
        )
        held = {(line.employee_id.id, line.skill_id.id) for line in employee_skills}
        for certification in self:
            if (certification.employee_id.id, certification.skill_id.id) not in held:
                raise ValidationError(
                    _(
                        "%(employee)s has no skill %(skill)s on their resume: "
                        "add it to the employee's skills before certifying it.",
                        employee=certification.employee_id.name,
                        skill=certification.skill_id.name,
                    )
                )

    @api.constrains("date_obtained", "expiry_date")
    def _check_dates(self):
        for certification in self:
            if (
                certification.date_obtained
                and certification.expiry_date
                and certification.expiry_date < certification.date_obtained
            ):
                raise ValidationError(
                    _(
                        "The certification of %(employee)s for %(skill)s cannot "
                        "expire before it was obtained.",
                        employee=certification.employee_id.name,
                        skill=certification.skill_id.name,
                    )
                )

    @api.model
    def _valid_for(self, employees, skill, day):
        """{employee id: certification} of ``employees`` certified for
        ``skill`` on ``day`` (expired certifications excluded), in one query.
        The latest expiry wins."""
        if not employees or not skill:
            return {}
        certifications = self.sudo().search(
            [
                ("employee_id", "in", employees.ids),
                ("skill_id", "=", skill.id),
                "|",
                ("expiry_date", "=", False),
                ("expiry_date", ">=", day),
            ]
        )
        result = {}
        for certification in certifications:
            best = result.get(certification.employee_id.id)
            if best is None or (
                best.expiry_date
                and (
                    not certification.expiry_date
                    or certification.expiry_date > best.expiry_date
                )
            ):
                result[certification.employee_id.id] = certification
        return result

    @api.model
    def _latest_expired(self, employees, skill, day):
        """{employee id: last expiry date} of the expired certifications of
        ``employees`` for ``skill`` on ``day`` (to say why they are not
        certified), in one query."""
        if not employees or not skill:
            return {}
        groups = self.sudo()._read_group(
            [
                ("employee_id", "in", employees.ids),
                ("skill_id", "=", skill.id),
                ("expiry_date", "<", day),
            ],
            ["employee_id"],
            ["expiry_date:max"],
        )
        return {employee.id: expiry for employee, expiry in groups}
