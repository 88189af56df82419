from odoo import api, fields, models

MEASUREMENT_RESULTS = [
    ("pass", "Pass"),
    ("fail", "Fail"),
]


class AftersalesVisitMeasurement(models.Model):
    """One measurement or test on a visit (supply voltage, refrigerant
    pressure, outlet temperature...) with the value found and the result.
    Part of the service report, locked with it once signed."""

    _name = "aftersales.visit.measurement"
    _description = "After-Sales Visit Measurement"
    _order = "visit_id, sequence, id"
    _check_company_auto = True

    visit_id = fields.Many2one(
        "aftersales.visit",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="visit_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(
        string="Measurement", required=True, help="What was measured or tested."
    )
    expected = fields.Char(help="The expected value or range, e.g. 200-240 V.")
    value = fields.Char(string="Found", help="The value measured, e.g. 221 V.")
    result = fields.Selection(MEASUREMENT_RESULTS)

    @api.model_create_multi
    def create(self, vals_list):
        # Rights first: who may not add to a report is refused as such.
        self.check_access("create")
        visits = self.env["aftersales.visit"].browse(
            {vals["visit_id"] for vals in vals_list if vals.get("visit_id")}
        )
        visits._check_report_unlocked()
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        self.visit_id._check_report_unlocked()
        if vals.get("visit_id"):
            self.env["aftersales.visit"].browse(
                vals["visit_id"]
            )._check_report_unlocked()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        self.visit_id._check_report_unlocked()
