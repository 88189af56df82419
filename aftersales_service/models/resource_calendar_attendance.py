from odoo import api, models


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    # Working hours added, changed or removed: the cached work intervals of
    # the calendars (resource_calendar.py) are out of date.

    @api.model_create_multi
    def create(self, vals_list):
        attendances = super().create(vals_list)
        self.env["resource.calendar"]._aftersales_clear_work_cache()
        return attendances

    def write(self, vals):
        res = super().write(vals)
        self.env["resource.calendar"]._aftersales_clear_work_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["resource.calendar"]._aftersales_clear_work_cache()
        return res
