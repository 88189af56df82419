from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    # A public holiday (a leave without resource) added, moved or removed
    # moves the deadlines planned on its calendar.

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._aftersales_public_calendars()._aftersales_replan_sla()
        return leaves

    def write(self, vals):
        calendars = self._aftersales_public_calendars()
        res = super().write(vals)
        (calendars | self._aftersales_public_calendars())._aftersales_replan_sla()
        return res

    def unlink(self):
        calendars = self._aftersales_public_calendars()
        res = super().unlink()
        calendars._aftersales_replan_sla()
        return res

    def _aftersales_public_calendars(self):
        return self.filtered(lambda leave: not leave.resource_id).calendar_id
