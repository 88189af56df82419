from odoo import api, models


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    # A public holiday (a leave without resource) added, moved or removed
    # moves the deadlines planned on its calendar.

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._aftersales_public_changed()
        leaves._aftersales_public_calendars()._aftersales_replan_sla()
        return leaves

    def write(self, vals):
        calendars = self._aftersales_public_calendars()
        public = self._aftersales_public_changed()
        res = super().write(vals)
        if not public:
            self._aftersales_public_changed()
        (calendars | self._aftersales_public_calendars())._aftersales_replan_sla()
        return res

    def unlink(self):
        calendars = self._aftersales_public_calendars()
        self._aftersales_public_changed()
        res = super().unlink()
        calendars._aftersales_replan_sla()
        return res

    def _aftersales_public_calendars(self):
        return self.filtered(lambda leave: not leave.resource_id).calendar_id

    def _aftersales_public_changed(self):
        """A public holiday (of one calendar or of all) changes the working
        time: clear the cached work intervals. Whether one was among
        ``self``."""
        public = any(not leave.resource_id for leave in self)
        if public:
            self.env["resource.calendar"]._aftersales_clear_work_cache()
        return public
