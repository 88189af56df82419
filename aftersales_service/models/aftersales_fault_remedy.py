from odoo import fields, models


class AftersalesFaultRemedy(models.Model):
    """One known way of fixing a fault of the catalogue. The technician
    records on the ticket which remedy fixed it, so the next technician sees
    which remedies worked most often for the same product and fault."""

    _name = "aftersales.fault.remedy"
    _description = "After-Sales Fault Remedy"
    _order = "fault_code_id, sequence, id"

    fault_code_id = fields.Many2one(
        "aftersales.fault.code",
        required=True,
        index=True,
        ondelete="cascade",
    )
    name = fields.Char(
        string="Remedy",
        required=True,
        translate=True,
        help="What was done, e.g. Replace the start capacitor.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        related="fault_code_id.company_id", store=True, index=True
    )
