from odoo import fields, models


class AftersalesVisitDispatchWizardLine(models.TransientModel):
    _name = "aftersales.visit.dispatch.wizard.line"
    _description = "Suggest a Technician: Candidate"
    _order = "rank"

    wizard_id = fields.Many2one(
        "aftersales.visit.dispatch.wizard", required=True, ondelete="cascade"
    )
    rank = fields.Integer(readonly=True)
    employee_id = fields.Many2one("hr.employee", string="Technician", readonly=True)
    team_id = fields.Many2one("aftersales.team", readonly=True)
    certified = fields.Boolean(readonly=True)
    available = fields.Boolean(readonly=True)
    within_hours = fields.Boolean(readonly=True)
    assignable = fields.Boolean(readonly=True)
    load = fields.Integer(string="Open Visits This Week", readonly=True)
    certification_note = fields.Char(string="Certification", readonly=True)
    region_note = fields.Char(string="Region", readonly=True)
    availability_note = fields.Char(string="Availability", readonly=True)
    load_note = fields.Char(string="Load", readonly=True)

    def action_assign(self):
        """Send this candidate: the visit is written as the dispatcher, so
        their rights and every check of the visit apply."""
        self.ensure_one()
        wizard = self.wizard_id
        vals = {
            "technician_id": self.employee_id.id,
            **wizard.visit_id._partner_team_vals(self.team_id),
        }
        if wizard.outside_hours_confirmed and not self.within_hours:
            vals["outside_hours_confirmed"] = True
        if not self.certified and (wizard.certification_override_reason or "").strip():
            vals["certification_override_reason"] = (
                wizard.certification_override_reason.strip()
            )
        wizard.visit_id.write(vals)
        return {"type": "ir.actions.act_window_close"}
