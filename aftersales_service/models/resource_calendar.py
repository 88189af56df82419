from odoo import models

# Changes of a calendar that move the deadlines planned on it.
PLANNING_FIELDS = {"attendance_ids", "global_leave_ids", "leave_ids", "tz"}


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def write(self, vals):
        res = super().write(vals)
        if PLANNING_FIELDS & set(vals):
            self._aftersales_replan_sla()
        return res

    def _aftersales_replan_sla(self):
        """Re-plan the open service-level lines planned on these calendars."""
        if not self:
            return
        lines = (
            self.env["aftersales.ticket.sla"]
            .sudo()
            .search([("calendar_id", "in", self.ids), ("reached_date", "=", False)])
        )
        lines._replan()
