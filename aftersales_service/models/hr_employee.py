from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

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

    def _compute_aftersales_ticket_count(self):
        groups = self.env["aftersales.ticket"]._read_group(
            [("technician_id", "in", self.ids)], ["technician_id"], ["__count"]
        )
        counts = {employee.id: count for employee, count in groups}
        for employee in self:
            employee.aftersales_ticket_count = counts.get(employee.id, 0)

    def action_view_aftersales_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_ticket_action"
        )
        action["domain"] = [("technician_id", "=", self.id)]
        action["context"] = {"default_technician_id": self.id}
        return action
