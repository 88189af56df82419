from datetime import date

from odoo import api, fields, models

MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]


def _last_month():
    today = fields.Date.today()
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


class AftersalesSettlementWizard(models.TransientModel):
    """Pick a service partner and a month: the partner's signed visits of
    that month, as a list or as a printed statement for settlement."""

    _name = "aftersales.settlement.wizard"
    _description = "After-Sales Partner Settlement"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    available_partner_ids = fields.Many2many(
        "res.partner", compute="_compute_available_partner_ids"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Service Partner",
        required=True,
        domain="[('id', 'in', available_partner_ids)]",
    )
    month = fields.Selection(
        MONTHS, required=True, default=lambda self: str(_last_month()[1])
    )
    year = fields.Integer(required=True, default=lambda self: _last_month()[0])
    visit_ids = fields.Many2many(
        "aftersales.visit", string="Signed Visits", compute="_compute_visit_ids"
    )
    visit_count = fields.Integer(compute="_compute_visit_ids")
    total_duration = fields.Float(
        string="Time on Site (h)", compute="_compute_visit_ids"
    )
    month_label = fields.Char(compute="_compute_month_label")

    @api.depends("company_id")
    def _compute_available_partner_ids(self):
        for wizard in self:
            teams = self.env["aftersales.team"].search(
                [
                    ("service_partner_id", "!=", False),
                    ("company_id", "=", wizard.company_id.id),
                ]
            )
            wizard.available_partner_ids = teams.service_partner_id

    def _month_start(self):
        self.ensure_one()
        return date(self.year, int(self.month), 1)

    def _visit_domain(self):
        self.ensure_one()
        return [
            ("company_id", "=", self.company_id.id),
            *self.env["aftersales.visit"]._settlement_domain(
                self.partner_id, self._month_start()
            ),
        ]

    @api.depends("partner_id", "month", "year", "company_id")
    def _compute_visit_ids(self):
        for wizard in self:
            if not (wizard.partner_id and wizard.month and wizard.year > 0):
                wizard.visit_ids = False
                wizard.visit_count = 0
                wizard.total_duration = 0.0
                continue
            visits = self.env["aftersales.visit"].search(
                wizard._visit_domain(), order="signed_on, id"
            )
            wizard.visit_ids = visits
            wizard.visit_count = len(visits)
            wizard.total_duration = sum(visits.mapped("duration"))

    @api.depends("month", "year")
    @api.depends_context("lang")
    def _compute_month_label(self):
        months = dict(self._fields["month"]._description_selection(self.env))
        for wizard in self:
            wizard.month_label = (
                f"{months.get(wizard.month, '')} {wizard.year}" if wizard.month else ""
            )

    def action_view_visits(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_visit_action_settlement"
        )
        action["domain"] = self._visit_domain()
        action["display_name"] = self.env._(
            "Settlement: %(partner)s, %(month)s",
            partner=self.partner_id.name,
            month=self.month_label,
        )
        action["context"] = {"search_default_group_partner": 0}
        return action

    def action_print(self):
        self.ensure_one()
        action = self.env.ref(
            "aftersales_service.action_report_aftersales_settlement"
        ).report_action(self)
        # The statement downloads and the dialog closes.
        action["close_on_report_download"] = True
        return action
