from odoo import fields, models


class AftersalesTeam(models.Model):
    _inherit = "aftersales.team"

    # Spare parts
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Parts Warehouse",
        check_company=True,
        help="Warehouse the team's spare parts are reserved from. Without "
        "one, the parent team's (or the company's first) warehouse is used.",
    )
    service_location_id = fields.Many2one(
        "stock.location",
        string="Service Point Location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where reserved parts wait for the team's technicians.",
    )
    parts_destination = fields.Selection(
        [
            ("point", "Service Point"),
            ("van", "Technician's Van"),
        ],
        string="Deliver Parts To",
        default="point",
        required=True,
        help="Reserved parts go to the technician's van location when set on "
        "the technician, else to the service point location.",
    )

    def _aftersales_parts_warehouse(self):
        """The warehouse of the team or of its nearest ancestor."""
        self.ensure_one()
        team = self
        while team:
            if team.warehouse_id:
                return team.warehouse_id
            team = team.parent_id
        return self.env["stock.warehouse"]
