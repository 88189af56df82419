from odoo import _, api, fields, models

FORECAST_METHODS = [
    ("moving_average", "Moving Average"),
    ("exponential", "Exponential Smoothing"),
]

FORECAST_PERIODS = [
    ("week", "Week"),
    ("month", "Month"),
]


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    # After-sales spare parts: where parts are taken from and brought to
    aftersales_parts_type_id = fields.Many2one(
        "stock.picking.type",
        string="After-Sales Parts Operation",
        check_company=True,
        copy=False,
        help="Operation type of the transfers that reserve spare parts for "
        "after-sales tickets.",
    )
    aftersales_parts_location_id = fields.Many2one(
        "stock.location",
        string="Spare Parts Location",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Where spare parts are reserved from; unused parts come back here.",
    )
    aftersales_service_location_id = fields.Many2one(
        "stock.location",
        string="Default Service Location",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Where reserved parts wait for the technician when neither the "
        "team nor the technician's van says otherwise.",
    )
    aftersales_defective_location_id = fields.Many2one(
        "stock.location",
        string="Defective / Repair Location",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Defective parts taken back from customers are received here.",
    )
    # Carry-in / mail-in: customers' units repaired in the workshop
    aftersales_workshop_location_id = fields.Many2one(
        "stock.location",
        string="Workshop Location",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="Customers' units brought or mailed in for repair stay here until "
        "they are returned.",
    )
    aftersales_unit_in_type_id = fields.Many2one(
        "stock.picking.type",
        string="Unit Receipt Operation",
        check_company=True,
        copy=False,
        help="Operation type receiving a customer's unit into the workshop.",
    )
    aftersales_unit_out_type_id = fields.Many2one(
        "stock.picking.type",
        string="Unit Return Operation",
        check_company=True,
        copy=False,
        help="Operation type returning a repaired unit to its customer.",
    )
    # Loaner units lent while the customer's unit is in repair
    aftersales_loaner_location_id = fields.Many2one(
        "stock.location",
        string="Loaner Pool",
        check_company=True,
        copy=False,
        domain="[('usage', '=', 'internal')]",
        help="The loaner units of this service point: outside the stock for "
        "sale, lent from here and taken back here.",
    )
    aftersales_loan_out_type_id = fields.Many2one(
        "stock.picking.type",
        string="Loaner Lending Operation",
        check_company=True,
        copy=False,
    )
    aftersales_loan_in_type_id = fields.Many2one(
        "stock.picking.type",
        string="Loaner Return Operation",
        check_company=True,
        copy=False,
    )
    aftersales_loan_red_days = fields.Integer(
        string="Loaner Red After (days overdue)",
        default=3,
        help="An overdue loaner turns its ticket yellow, and red once it is "
        "this many days overdue.",
    )
    aftersales_parts_expiry_hours = fields.Integer(
        string="Reservation Expiry (hours)",
        default=72,
        help="Confirmed reservations not consumed this many hours after the "
        "planned visit are released automatically.",
    )

    # Demand forecast settings
    aftersales_forecast_method = fields.Selection(
        FORECAST_METHODS,
        string="Forecast Method",
        default="moving_average",
        required=True,
    )
    aftersales_forecast_period = fields.Selection(
        FORECAST_PERIODS,
        string="Forecast Period",
        default="month",
        required=True,
    )
    aftersales_forecast_periods = fields.Integer(
        string="Periods of History",
        default=6,
        help="How many past periods of consumption the forecast reads.",
    )
    aftersales_forecast_alpha = fields.Float(
        string="Smoothing Factor",
        default=0.3,
        help="Weight of the latest period in exponential smoothing (0-1).",
    )
    aftersales_forecast_lead_days = fields.Integer(
        string="Replenishment Lead Time (days)",
        default=14,
    )
    aftersales_forecast_safety_percent = fields.Float(
        string="Safety Stock (%)",
        default=20.0,
    )

    @api.model_create_multi
    def create(self, vals_list):
        warehouses = super().create(vals_list)
        warehouses._aftersales_parts_setup()
        warehouses._aftersales_workshop_setup()
        warehouses._aftersales_loaner_setup()
        return warehouses

    def _aftersales_prepare_location_vals(self, name):
        self.ensure_one()
        return {
            "name": name,
            "usage": "internal",
            "location_id": self.view_location_id.id,
            "company_id": self.company_id.id,
        }

    def _aftersales_prepare_parts_type_vals(self, service_location):
        self.ensure_one()
        return {
            "name": _("After-Sales Parts"),
            "code": "internal",
            "sequence_code": "ASP",
            "warehouse_id": self.id,
            "company_id": self.company_id.id,
            "default_location_src_id": self.aftersales_parts_location_id.id
            or self.lot_stock_id.id,
            "default_location_dest_id": service_location.id,
            "reservation_method": "at_confirm",
            "use_create_lots": False,
            "use_existing_lots": True,
        }

    def _aftersales_parts_setup(self):
        """Create what the spare-part flow needs on each warehouse that lacks
        it: service and defective locations, the parts operation type."""
        Location = self.env["stock.location"].sudo()
        PickingType = self.env["stock.picking.type"].sudo()
        for warehouse in self.sudo():
            vals = {}
            if not warehouse.aftersales_parts_location_id:
                vals["aftersales_parts_location_id"] = warehouse.lot_stock_id.id
            service = warehouse.aftersales_service_location_id
            if not service:
                service = Location.create(
                    warehouse._aftersales_prepare_location_vals(_("Service"))
                )
                vals["aftersales_service_location_id"] = service.id
            if not warehouse.aftersales_defective_location_id:
                vals["aftersales_defective_location_id"] = Location.create(
                    warehouse._aftersales_prepare_location_vals(_("Defective"))
                ).id
            if vals:
                warehouse.write(vals)
            if not warehouse.aftersales_parts_type_id:
                warehouse.aftersales_parts_type_id = PickingType.create(
                    warehouse._aftersales_prepare_parts_type_vals(service)
                )

    @api.model
    def _aftersales_parts_setup_all(self):
        self.sudo().with_context(active_test=False).search([])._aftersales_parts_setup()

    def _aftersales_prepare_unit_type_vals(self, flow, workshop):
        """Operation type receiving (``flow`` "in") or returning ("out") the
        customers' units."""
        self.ensure_one()
        customers = self.env.ref("stock.stock_location_customers")
        if flow == "in":
            return {
                "name": _("After-Sales Unit Receipts"),
                "code": "incoming",
                "sequence_code": "ASIN",
                "default_location_src_id": customers.id,
                "default_location_dest_id": workshop.id,
                "use_create_lots": False,
                "use_existing_lots": True,
                "warehouse_id": self.id,
                "company_id": self.company_id.id,
            }
        return {
            "name": _("After-Sales Unit Returns"),
            "code": "outgoing",
            "sequence_code": "ASOUT",
            "default_location_src_id": workshop.id,
            "default_location_dest_id": customers.id,
            "use_create_lots": False,
            "use_existing_lots": True,
            "warehouse_id": self.id,
            "company_id": self.company_id.id,
        }

    def _aftersales_workshop_setup(self):
        """Create what the carry-in flow needs on each warehouse that lacks
        it: the workshop location, the unit receipt and return operations."""
        Location = self.env["stock.location"].sudo()
        PickingType = self.env["stock.picking.type"].sudo()
        for warehouse in self.sudo():
            workshop = warehouse.aftersales_workshop_location_id
            if not workshop:
                workshop = Location.create(
                    warehouse._aftersales_prepare_location_vals(_("Workshop"))
                )
                warehouse.aftersales_workshop_location_id = workshop
            vals = {}
            if not warehouse.aftersales_unit_out_type_id:
                vals["aftersales_unit_out_type_id"] = PickingType.create(
                    warehouse._aftersales_prepare_unit_type_vals("out", workshop)
                ).id
            if not warehouse.aftersales_unit_in_type_id:
                vals["aftersales_unit_in_type_id"] = PickingType.create(
                    dict(
                        warehouse._aftersales_prepare_unit_type_vals("in", workshop),
                        return_picking_type_id=vals.get(
                            "aftersales_unit_out_type_id",
                            warehouse.aftersales_unit_out_type_id.id,
                        ),
                    )
                ).id
            if vals:
                warehouse.write(vals)

    @api.model
    def _aftersales_workshop_setup_all(self):
        self.sudo().with_context(active_test=False).search(
            []
        )._aftersales_workshop_setup()

    def _aftersales_prepare_loan_type_vals(self, flow, pool):
        """Operation type lending (``flow`` "out") or taking back ("in")
        the loaner units of the pool."""
        self.ensure_one()
        customers = self.env.ref("stock.stock_location_customers")
        outgoing = flow == "out"
        return {
            "name": _("Loaners Lent") if outgoing else _("Loaners Taken Back"),
            "code": "outgoing" if outgoing else "incoming",
            "sequence_code": "LNOUT" if outgoing else "LNIN",
            "default_location_src_id": pool.id if outgoing else customers.id,
            "default_location_dest_id": customers.id if outgoing else pool.id,
            "use_create_lots": False,
            "use_existing_lots": True,
            "warehouse_id": self.id,
            "company_id": self.company_id.id,
        }

    def _aftersales_loaner_setup(self):
        """Create what the loaner flow needs on each warehouse that lacks
        it: the loaner pool location, the lending and return operations."""
        Location = self.env["stock.location"].sudo()
        PickingType = self.env["stock.picking.type"].sudo()
        for warehouse in self.sudo():
            pool = warehouse.aftersales_loaner_location_id
            if not pool:
                pool = Location.create(
                    warehouse._aftersales_prepare_location_vals(_("Loaners"))
                )
                warehouse.aftersales_loaner_location_id = pool
            vals = {}
            if not warehouse.aftersales_loan_out_type_id:
                vals["aftersales_loan_out_type_id"] = PickingType.create(
                    warehouse._aftersales_prepare_loan_type_vals("out", pool)
                ).id
            if not warehouse.aftersales_loan_in_type_id:
                vals["aftersales_loan_in_type_id"] = PickingType.create(
                    warehouse._aftersales_prepare_loan_type_vals("in", pool)
                ).id
            if vals:
                warehouse.write(vals)

    @api.model
    def _aftersales_loaner_setup_all(self):
        self.sudo().with_context(active_test=False).search(
            []
        )._aftersales_loaner_setup()
