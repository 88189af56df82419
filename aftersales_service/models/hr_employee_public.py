from odoo import fields, models


class HrEmployeePublic(models.Model):
    _inherit = "hr.employee.public"

    # Readable by technicians and stock staff without HR rights: the public
    # profile carries it, so reading employees (team lists, reservations)
    # does not stumble on a private field.
    aftersales_van_location_id = fields.Many2one(
        "stock.location",
        string="Van Location",
        readonly=True,
        groups="aftersales_service.group_aftersales_technician,stock.group_stock_user",
    )
