from odoo import fields, models


class AftersalesVisitDispatchWizard(models.TransientModel):
    """The candidates for a visit, best first, each with the reasons of its
    rank; the dispatcher assigns one with the button on its line."""

    _name = "aftersales.visit.dispatch.wizard"
    _description = "Suggest a Technician for a Visit"

    visit_id = fields.Many2one(
        "aftersales.visit", required=True, readonly=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="visit_id.partner_id")
    service_address = fields.Char(related="visit_id.service_address")
    product_id = fields.Many2one(related="visit_id.product_id")
    required_skill_id = fields.Many2one(related="visit_id.required_skill_id")
    planned_start = fields.Datetime(related="visit_id.planned_start")
    planned_stop = fields.Datetime(related="visit_id.planned_stop")
    line_ids = fields.One2many(
        "aftersales.visit.dispatch.wizard.line", "wizard_id", string="Candidates"
    )
    outside_hours_confirmed = fields.Boolean(
        string="Confirm Outside Working Hours",
        help="Tick to send a technician whose working hours (or leave) do not "
        "cover the window.",
    )
    certification_override_reason = fields.Char(
        string="Reason Without Certification",
        help="Required to send a technician without a valid certification for "
        "the product line; logged on the visit.",
    )
