from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# The shipped after-sales configuration (records of the first company, made by
# the data files) that every other company gets a copy of.
AFTERSALES_COMPANY_DEFAULTS = {
    "aftersales.sla.policy": (
        "sla_policy_normal",
        "sla_policy_urgent",
        "sla_policy_critical",
        "sla_policy_vip",
        "sla_policy_vip_urgent",
        "sla_policy_vip_critical",
    ),
    "aftersales.escalation.level": (
        "escalation_sla_team_leader",
        "escalation_sla_regional_manager",
        "escalation_sla_head_of_service",
        "incident_level_1",
        "incident_level_2",
        "incident_level_3",
    ),
    "aftersales.callback.rule": (
        "callback_rule_cancelled",
        "callback_rule_vip",
        "callback_rule_standard",
    ),
    "aftersales.performance.profile": (
        "performance_profile_agent",
        "performance_profile_technician",
        "performance_profile_manager",
    ),
}


class ResCompany(models.Model):
    _inherit = "res.company"

    aftersales_repeat_days = fields.Integer(
        string="Repeat Contact Window (days)",
        default=30,
        help="A new ticket of the same customer for the same serial (or "
        "product) within this many days is flagged as a repeat contact.",
    )

    aftersales_hotline = fields.Char(
        string="Service Hotline",
        help="Printed on warranty certificates and service documents.",
    )

    aftersales_reopen_days = fields.Integer(
        string="Customer Reopening Window (days)",
        default=7,
        help="Customers may reopen a solved request from the portal within "
        "this many days after it was solved (0: never).",
    )
    aftersales_warranty_check_phone = fields.Boolean(
        string="Warranty Check Asks for the Phone",
        help="The public warranty check asks for the last four digits of the "
        "buyer's phone number besides the serial number.",
    )

    aftersales_phone_reveal_hours = fields.Float(
        string="Phone Shown Before a Visit (hours)",
        default=2.0,
        help="The technician assigned to a visit may reveal the customer's "
        "full phone from this many hours before the window until the visit is "
        "done. Every reveal is logged on the visit.",
    )

    @api.constrains("aftersales_phone_reveal_hours")
    def _check_aftersales_phone_reveal_hours(self):
        for company in self:
            if company.aftersales_phone_reveal_hours < 0:
                raise ValidationError(
                    _(
                        "Phone shown before a visit: the number of hours cannot "
                        "be negative."
                    )
                )

    @api.constrains("aftersales_repeat_days", "aftersales_reopen_days")
    def _check_aftersales_repeat_days(self):
        for company in self:
            if company.aftersales_repeat_days < 0:
                raise ValidationError(
                    _("Repeat Contact Window: the number of days cannot be negative.")
                )
            if company.aftersales_reopen_days < 0:
                raise ValidationError(
                    _(
                        "Customer Reopening Window: the number of days cannot "
                        "be negative."
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._aftersales_create_defaults()
        return companies

    @api.model
    def _aftersales_create_defaults_all(self):
        """At install: every existing company gets the shipped configuration."""
        self.search([])._aftersales_create_defaults()

    def _aftersales_create_defaults(self):
        """Give each company the shipped service-level policies, escalation
        and batch-failure levels, callback rules and performance profiles: a
        copy of the shipped records (as they are now, translations included)
        for every kind the company has none of. Links to another company's
        records (teams, calendars, agents) are left empty."""
        for model, xmlids in AFTERSALES_COMPANY_DEFAULTS.items():
            Model = self.env[model].sudo().with_context(active_test=False)
            templates = Model.browse()
            for xmlid in xmlids:
                templates |= (
                    self.env.ref(
                        f"aftersales_service.{xmlid}", raise_if_not_found=False
                    )
                    or Model.browse()
                )
            if not templates:
                continue
            configured = {
                company.id
                for [company] in Model._read_group(
                    [("company_id", "in", self.ids)], ["company_id"]
                )
            }
            company_bound = {
                fname: False
                for fname, field in Model._fields.items()
                if field.relational and field.check_company
            }
            for company in self:
                if company.id not in configured:
                    templates.copy(dict(company_bound, company_id=company.id))
        self._aftersales_create_ticket_sequences()

    def _aftersales_create_ticket_sequences(self):
        """Each company's ticket sequence exists before its first ticket:
        created lazily, two first tickets of a company created at the same
        time would each create one and get the same reference."""
        IrSequence = self.env["ir.sequence"].sudo()
        missing = self.filtered(
            lambda company: (
                not IrSequence._aftersales_sequence_id("aftersales.ticket", company.id)
            )
        )
        if missing:
            IrSequence.create(
                [company._prepare_aftersales_sequence_vals() for company in missing]
            )

    def _prepare_aftersales_sequence_vals(self):
        self.ensure_one()
        return {
            "name": _("After-Sales Tickets (%(company)s)", company=self.name),
            "code": "aftersales.ticket",
            "company_id": self.id,
            "prefix": "AS%(y)s",
            "padding": 6,
            "implementation": "standard",
            "use_date_range": False,
        }

    # KPI workbook
    aftersales_kpi_recipient_ids = fields.Many2many(
        "res.users",
        "aftersales_company_kpi_recipient_rel",
        "company_id",
        "user_id",
        string="KPI Workbook Recipients",
        help="Managers who receive the monthly after-sales KPI workbook by e-mail.",
    )
