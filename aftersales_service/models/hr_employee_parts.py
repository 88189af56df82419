from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    aftersales_van_location_id = fields.Many2one(
        "stock.location",
        string="Van Location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        groups="aftersales_service.group_aftersales_technician,stock.group_stock_user",
        help="Stock location of the technician's service van: reserved "
        "parts go there when the team delivers parts to vans.",
    )
