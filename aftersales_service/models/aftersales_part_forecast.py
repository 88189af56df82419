import math
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .stock_warehouse import FORECAST_METHODS, FORECAST_PERIODS

PERIOD_DAYS = {"week": 7.0, "month": 30.4}


class AftersalesPartForecast(models.Model):
    _name = "aftersales.part.forecast"
    _description = "Spare-Part Demand Forecast"
    _order = "suggested_min_qty desc, product_id"
    _check_company_auto = True

    product_id = fields.Many2one(
        "product.product",
        string="Part",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, index=True, readonly=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    method = fields.Selection(FORECAST_METHODS, readonly=True)
    period = fields.Selection(FORECAST_PERIODS, readonly=True)
    period_count = fields.Integer(string="Periods", readonly=True)
    history = fields.Char(
        string="Consumption History",
        readonly=True,
        help="Consumed quantity per period, oldest first.",
    )
    consumed_qty = fields.Float(
        string="Consumed in History",
        digits="Product Unit of Measure",
        readonly=True,
    )
    demand_per_period = fields.Float(
        string="Forecast Demand / Period",
        digits="Product Unit of Measure",
        readonly=True,
    )
    suggested_min_qty = fields.Float(
        string="Suggested Minimum Stock",
        digits="Product Unit of Measure",
        readonly=True,
        help="Forecast demand over the replenishment lead time plus the "
        "safety stock, rounded up to whole units.",
    )
    qty_available = fields.Float(
        string="On Hand",
        digits="Product Unit of Measure",
        compute="_compute_stock_quantities",
    )
    virtual_available = fields.Float(
        string="Forecasted",
        digits="Product Unit of Measure",
        compute="_compute_stock_quantities",
    )
    is_below_min = fields.Boolean(
        string="Below Minimum", compute="_compute_stock_quantities"
    )
    date_computed = fields.Datetime(string="Computed On", readonly=True)

    _sql_constraints = [
        (
            "product_warehouse_uniq",
            "unique(product_id, warehouse_id)",
            "One forecast per part and warehouse.",
        ),
    ]

    def _compute_stock_quantities(self):
        """On-hand and forecast quantities, one batch per warehouse."""
        for warehouse in self.warehouse_id:
            forecasts = self.filtered(lambda f, w=warehouse: f.warehouse_id == w)
            products = forecasts.product_id.with_context(warehouse_id=warehouse.id)
            quantities = products._compute_quantities_dict(None, None, None, None, None)
            for forecast in forecasts:
                qty = quantities.get(forecast.product_id.id, {})
                forecast.qty_available = qty.get("qty_available", 0.0)
                forecast.virtual_available = qty.get("virtual_available", 0.0)
                forecast.is_below_min = (
                    forecast.virtual_available < forecast.suggested_min_qty
                )
        (self - self.filtered("warehouse_id")).update(
            {"qty_available": 0.0, "virtual_available": 0.0, "is_below_min": False}
        )

    @api.model
    def _period_bounds(self, period, count, today):
        """Start dates of the last ``count`` complete periods, oldest first,
        and the start of the current period (the end of the history)."""
        if period == "week":
            current = today - relativedelta(days=today.weekday())
            step = relativedelta(weeks=1)
        else:
            current = today.replace(day=1)
            step = relativedelta(months=1)
        return [current - step * i for i in range(count, 0, -1)], current

    @api.model
    def _forecast(self, series, method, alpha):
        if not series:
            return 0.0
        if method == "exponential":
            level = series[0]
            for value in series[1:]:
                level = alpha * value + (1 - alpha) * level
            return level
        return sum(series) / len(series)

    @api.model
    def _prepare_forecast_vals(self, warehouse, product, series, today):
        demand = self._forecast(
            series,
            warehouse.aftersales_forecast_method,
            min(max(warehouse.aftersales_forecast_alpha, 0.0), 1.0),
        )
        period = warehouse.aftersales_forecast_period
        daily = demand / PERIOD_DAYS[period]
        lead = daily * max(warehouse.aftersales_forecast_lead_days, 0)
        safety = 1 + max(warehouse.aftersales_forecast_safety_percent, 0.0) / 100.0
        # Whole units: a minimum stock of 12.04 boards means 13.
        suggested = math.ceil(round(lead * safety, 6))
        return {
            "product_id": product.id,
            "warehouse_id": warehouse.id,
            "company_id": warehouse.company_id.id,
            "method": warehouse.aftersales_forecast_method,
            "period": period,
            "period_count": len(series),
            "history": " / ".join(f"{value:g}" for value in series),
            "consumed_qty": sum(series),
            "demand_per_period": demand,
            "suggested_min_qty": suggested,
            "date_computed": fields.Datetime.now(),
        }

    @api.model
    def action_refresh(self):
        """Recompute the forecasts of the user's companies' warehouses from
        the consumption recorded on reservations: one aggregate query per
        warehouse setting, one create."""
        warehouses = self.env["stock.warehouse"].search(
            [("company_id", "in", self.env.companies.ids)]
        )
        today = fields.Date.context_today(self)
        Line = self.env["aftersales.part.reservation.line"].sudo()
        vals_list = []
        settings = defaultdict(lambda: self.env["stock.warehouse"])
        for warehouse in warehouses:
            key = (
                warehouse.aftersales_forecast_period,
                max(warehouse.aftersales_forecast_periods, 1),
            )
            settings[key] |= warehouse
        for (period, count), group in settings.items():
            starts, end = self._period_bounds(period, count, today)
            groups = Line._read_group(
                [
                    ("warehouse_id", "in", group.ids),
                    ("state", "=", "done"),
                    ("date_consumed", ">=", fields.Datetime.to_datetime(starts[0])),
                    ("date_consumed", "<", fields.Datetime.to_datetime(end)),
                ],
                ["warehouse_id", "product_id", f"date_consumed:{period}"],
                ["consumed_product_qty:sum"],
            )
            consumed = defaultdict(dict)
            for warehouse, product, start, qty in groups:
                day = start.date() if hasattr(start, "date") else start
                consumed[(warehouse, product)][day] = qty
            for (warehouse, product), by_period in consumed.items():
                series = [by_period.get(start, 0.0) for start in starts]
                vals_list.append(
                    self._prepare_forecast_vals(warehouse, product, series, today)
                )
        self.sudo().search([("warehouse_id", "in", warehouses.ids)]).unlink()
        self.sudo().create(vals_list)
        return {
            "type": "ir.actions.client",
            "tag": "reload",
        }

    def action_update_orderpoints(self):
        """Create or update the reordering rules of the forecast parts (all
        the user's forecasts when none is selected) with the suggested
        minimum, per warehouse, at the warehouse's spare-parts location. One
        search and one create for the set; Odoo's replenishment then does
        the rest. Runs with the user's own rights (stock managers)."""
        forecasts = self or self.search([("company_id", "in", self.env.companies.ids)])
        Orderpoint = self.env["stock.warehouse.orderpoint"].with_context(
            active_test=False
        )
        Orderpoint.check_access("create")
        locations = {
            forecast.id: forecast.warehouse_id.aftersales_parts_location_id
            or forecast.warehouse_id.lot_stock_id
            for forecast in forecasts
        }
        existing = Orderpoint.search(
            [
                ("product_id", "in", forecasts.product_id.ids),
                ("location_id", "in", [loc.id for loc in locations.values()]),
            ]
        )
        by_key = {(op.product_id.id, op.location_id.id): op for op in existing}
        vals_list = []
        updated = Orderpoint
        for forecast in forecasts:
            location = locations[forecast.id]
            minimum = forecast.suggested_min_qty
            orderpoint = by_key.get((forecast.product_id.id, location.id))
            if orderpoint:
                orderpoint.write(
                    {
                        "active": True,
                        "product_min_qty": minimum,
                        "product_max_qty": max(orderpoint.product_max_qty, minimum),
                    }
                )
                updated |= orderpoint
            else:
                vals_list.append(
                    {
                        "product_id": forecast.product_id.id,
                        "warehouse_id": forecast.warehouse_id.id,
                        "location_id": location.id,
                        "company_id": forecast.company_id.id,
                        "product_min_qty": minimum,
                        "product_max_qty": minimum,
                        "trigger": "auto",
                    }
                )
        created = Orderpoint.create(vals_list)
        orderpoints = updated | created
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reordering Rules"),
            "res_model": "stock.warehouse.orderpoint",
            "view_mode": "list,form",
            "domain": [("id", "in", orderpoints.ids)],
            "context": {"search_default_trigger": False},
        }

    @api.model
    def _cron_refresh(self):
        for company in self.env["res.company"].search([]):
            self.with_company(company).with_context(
                allowed_company_ids=company.ids
            ).action_refresh()
