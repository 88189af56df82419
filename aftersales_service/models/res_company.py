from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


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

    @api.constrains("aftersales_repeat_days")
    def _check_aftersales_repeat_days(self):
        for company in self:
            if company.aftersales_repeat_days < 0:
                raise ValidationError(
                    _("Repeat Contact Window: the number of days cannot be negative.")
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
