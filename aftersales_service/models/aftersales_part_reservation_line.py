from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

from .aftersales_part_reservation import AVAILABILITY

INCOMING_STATES = ("waiting", "confirmed", "partially_available", "assigned")


class AftersalesPartReservationLine(models.Model):
    _name = "aftersales.part.reservation.line"
    _description = "Spare-Part Reservation Line"
    _order = "is_shortage desc, date_planned, reservation_id, id"
    _check_company_auto = True

    reservation_id = fields.Many2one(
        "aftersales.part.reservation",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        related="reservation_id.company_id", store=True, index=True
    )
    ticket_id = fields.Many2one(
        related="reservation_id.ticket_id", store=True, index=True
    )
    state = fields.Selection(related="reservation_id.state", store=True, index=True)
    warehouse_id = fields.Many2one(related="reservation_id.warehouse_id", store=True)
    technician_id = fields.Many2one(related="reservation_id.technician_id", store=True)
    technician_user_id = fields.Many2one(
        related="reservation_id.technician_user_id", store=True
    )
    date_planned = fields.Datetime(
        related="reservation_id.date_planned", string="Due Date", store=True
    )
    date_consumed = fields.Datetime(
        related="reservation_id.date_consumed", store=True, index=True
    )

    # The part
    product_id = fields.Many2one(
        "product.product",
        string="Part",
        required=True,
        index=True,
        check_company=True,
        domain="[('is_storable', '=', True)]",
    )
    product_uom_category_id = fields.Many2one(related="product_id.uom_id.category_id")
    product_uom_id = fields.Many2one(
        "uom.uom",
        string="Unit",
        compute="_compute_product_uom_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        domain="[('category_id', '=', product_uom_category_id)]",
    )
    product_qty = fields.Float(
        string="Quantity",
        digits="Product Unit of Measure",
        required=True,
        default=1.0,
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )

    # Stock
    move_id = fields.Many2one(
        "stock.move",
        string="Stock Move",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="stock.group_stock_user",
    )
    qty_reserved = fields.Float(
        string="Reserved",
        digits="Product Unit of Measure",
        compute="_compute_qty_reserved",
        store=True,
        compute_sudo=True,
    )
    shortage_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        compute="_compute_qty_reserved",
        store=True,
        compute_sudo=True,
    )
    is_shortage = fields.Boolean(
        string="Shortage",
        compute="_compute_qty_reserved",
        store=True,
        index=True,
        compute_sudo=True,
    )
    availability = fields.Selection(
        AVAILABILITY, compute="_compute_availability", compute_sudo=True
    )
    expected_date = fields.Datetime(
        compute="_compute_availability",
        compute_sudo=True,
        help="Earliest incoming receipt or transfer of the part into the warehouse.",
    )

    # Consumption
    qty_consumed = fields.Float(
        string="Consumed", digits="Product Unit of Measure", readonly=True, copy=False
    )
    qty_returned = fields.Float(
        string="Returned Unused",
        digits="Product Unit of Measure",
        compute="_compute_qty_returned",
        store=True,
    )
    qty_defective = fields.Float(
        string="Defective Taken Back",
        digits="Product Unit of Measure",
        readonly=True,
        copy=False,
    )
    over_reason = fields.Char(
        string="Reason for Extra",
        readonly=True,
        copy=False,
        help="Why more was consumed than reserved.",
    )
    consumed_product_qty = fields.Float(
        string="Consumed (product unit)",
        digits="Product Unit of Measure",
        compute="_compute_consumed_product_qty",
        store=True,
    )
    visit_id = fields.Many2one(
        "aftersales.visit",
        string="Consumed on Visit",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The visit whose service report lists this part.",
    )

    # Charging
    customer_pays = fields.Boolean(
        compute="_compute_charging",
        store=True,
        readonly=False,
        precompute=True,
        help="Charged to the customer on a quotation; otherwise costed to the "
        "company as warranty.",
    )
    covered_percent = fields.Float(
        string="Covered (%)",
        compute="_compute_charging",
        store=True,
        readonly=False,
        precompute=True,
    )
    # Not stored: said in the reader's language, dates in their format.
    charge_reason = fields.Char(compute="_compute_charge_reason")
    sale_line_id = fields.Many2one(
        "sale.order.line", string="Quotation Line", readonly=True, copy=False
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    warranty_cost = fields.Monetary(readonly=True, copy=False)

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("product_id")
    def _compute_product_uom_id(self):
        for line in self:
            if (
                not line.product_uom_id
                or line.product_uom_id.category_id != line.product_id.uom_id.category_id
            ):
                line.product_uom_id = line.product_id.uom_id

    @api.depends(
        "state", "product_qty", "product_uom_id", "move_id.state", "move_id.quantity"
    )
    def _compute_qty_reserved(self):
        for line in self:
            move = line.move_id
            reserved = 0.0
            if move.state in ("partially_available", "assigned", "done"):
                reserved = move.product_uom._compute_quantity(
                    move.quantity, line.product_uom_id
                )
            line.qty_reserved = reserved
            shortage = 0.0
            if line.state == "confirmed":
                shortage = max(line.product_qty - reserved, 0.0)
            line.shortage_qty = shortage
            line.is_shortage = not float_is_zero(
                shortage, precision_rounding=line.product_uom_id.rounding or 0.01
            )

    @api.depends("qty_reserved", "qty_consumed", "state")
    def _compute_qty_returned(self):
        for line in self:
            line.qty_returned = (
                max(line.qty_reserved - line.qty_consumed, 0.0)
                if line.state == "done"
                else 0.0
            )

    @api.depends("qty_consumed", "product_uom_id")
    def _compute_consumed_product_qty(self):
        for line in self:
            line.consumed_product_qty = line.product_uom_id._compute_quantity(
                line.qty_consumed, line.product_id.uom_id
            )

    @api.depends("state", "is_shortage", "qty_reserved")
    def _compute_availability(self):
        expected = self._expected_dates()
        for line in self:
            line.expected_date = expected.get(line.id, False)
            if line.state != "confirmed":
                line.availability = False
            elif not line.is_shortage:
                line.availability = "reserved"
            elif line.qty_reserved:
                line.availability = "partial"
            elif line.expected_date:
                line.availability = "expected"
            else:
                line.availability = "none"

    @api.depends("product_id", "reservation_id.ticket_id")
    def _compute_charging(self):
        for line in self:
            ticket = line.reservation_id.ticket_id
            if ticket and line.product_id:
                decision, percent, __ = ticket._warranty_charge_decision(
                    "parts", line.product_id
                )
                line.customer_pays = decision != "free"
                line.covered_percent = percent if decision == "partial" else 0.0
                if decision == "free":
                    line.covered_percent = 100.0
            else:
                line.customer_pays = True
                line.covered_percent = 0.0

    @api.depends("product_id", "reservation_id.ticket_id")
    @api.depends_context("lang")
    def _compute_charge_reason(self):
        for line in self:
            ticket = line.reservation_id.ticket_id
            line.charge_reason = (
                ticket._warranty_charge_decision("parts", line.product_id)[2]
                if ticket and line.product_id
                else False
            )

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("product_qty")
    def _check_product_qty(self):
        for line in self:
            if float_compare(line.product_qty, 0.0, precision_digits=6) <= 0:
                raise ValidationError(
                    _(
                        "Quantity: reserve a positive quantity of %(product)s "
                        "(got %(qty)s).",
                        product=line.product_id.display_name,
                        qty=line.product_qty,
                    )
                )

    @api.constrains("product_id")
    def _check_product_storable(self):
        for line in self:
            if not line.product_id.is_storable:
                raise ValidationError(
                    _(
                        "Part: %(product)s is not a storable spare part (its "
                        "inventory is not tracked), it cannot be reserved.",
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("product_id", "product_uom_id")
    def _check_product_uom(self):
        for line in self:
            if line.product_uom_id.category_id != line.product_id.uom_id.category_id:
                raise ValidationError(
                    _(
                        "Unit: %(uom)s is not a unit of %(category)s, the unit "
                        "category of %(product)s.",
                        uom=line.product_uom_id.name,
                        category=line.product_id.uom_id.category_id.name,
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("product_id", "lot_id")
    def _check_lot(self):
        for line in self:
            if line.lot_id and line.lot_id.product_id != line.product_id:
                raise ValidationError(
                    _(
                        "Lot/Serial Number: %(lot)s belongs to %(lot_product)s, "
                        "not to %(product)s.",
                        lot=line.lot_id.name,
                        lot_product=line.lot_id.product_id.display_name,
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("covered_percent")
    def _check_covered_percent(self):
        for line in self:
            if not 0.0 <= line.covered_percent <= 100.0:
                raise ValidationError(
                    _("Covered (%): must be between 0 and 100 percent.")
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        locked = {"product_id", "product_qty", "product_uom_id", "lot_id"}
        # Rights first: who may not write is refused as such.
        self.check_access("write")
        if locked & set(vals) and any(line.state != "draft" for line in self):
            raise UserError(
                _(
                    "Parts of a confirmed reservation cannot be changed: cancel "
                    "it and reserve again."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_confirmed(self):
        if any(line.state not in ("draft", "cancel", "expired") for line in self):
            raise UserError(
                _("Parts of a confirmed reservation cannot be removed: cancel it.")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_reservation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.part.reservation",
            "res_id": self.reservation_id.id,
            "view_mode": "form",
        }

    def action_view_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _expected_dates(self):
        """{line id: earliest incoming move date} for lines short of stock:
        receipts and transfers from elsewhere into the line's warehouse. One
        aggregate query for the set."""
        lines = self.filtered(lambda line: line.is_shortage and line.warehouse_id)
        if not lines:
            return {}
        warehouses = lines.warehouse_id
        groups = (
            self.env["stock.move"]
            .sudo()
            ._read_group(
                [
                    ("product_id", "in", lines.product_id.ids),
                    ("state", "in", INCOMING_STATES),
                    ("location_dest_id.warehouse_id", "in", warehouses.ids),
                ],
                ["product_id", "location_id", "location_dest_id"],
                ["date:min"],
            )
        )
        earliest = {}
        for product, source, dest, date in groups:
            warehouse = dest.warehouse_id
            if source.warehouse_id == warehouse:
                continue  # internal to the warehouse: not an arrival
            key = (product.id, warehouse.id)
            if key not in earliest or date < earliest[key]:
                earliest[key] = date
        return {
            line.id: earliest[(line.product_id.id, line.warehouse_id.id)]
            for line in lines
            if (line.product_id.id, line.warehouse_id.id) in earliest
        }

    def _prepare_move_vals(self):
        self.ensure_one()
        reservation = self.reservation_id
        warehouse = reservation.warehouse_id
        return {
            "name": f"{reservation.name}: {self.product_id.display_name}",
            "product_id": self.product_id.id,
            "product_uom_qty": self.product_qty,
            "product_uom": self.product_uom_id.id,
            "location_id": reservation.location_id.id,
            "location_dest_id": reservation.location_dest_id.id,
            "company_id": reservation.company_id.id,
            "partner_id": reservation.partner_id.id,
            "group_id": reservation.procurement_group_id.id,
            "origin": reservation.name,
            "picking_type_id": warehouse.aftersales_parts_type_id.id,
            "warehouse_id": warehouse.id,
            "date": reservation.date_planned or fields.Datetime.now(),
            "procure_method": "make_to_stock",
        }

    def _reserve_requested_lots(self):
        """Lines asking for a given lot or serial get exactly that one."""
        for line in self.filtered("lot_id"):
            move = line.move_id
            if move.state in ("done", "cancel") or move.move_line_ids.lot_id == (
                line.lot_id
            ):
                continue
            move._do_unreserve()
            move._update_reserved_quantity(
                move.product_qty, move.location_id, lot_id=line.lot_id, strict=False
            )
            move._recompute_state()

    def _is_charged(self):
        self.ensure_one()
        return self.customer_pays and not float_is_zero(
            self.qty_consumed, precision_rounding=self.product_uom_id.rounding
        )

    def _check_consumption(self, values):
        for line, vals in values.items():
            consumed = vals.get("qty_consumed", 0.0)
            defective = vals.get("qty_defective", 0.0)
            rounding = line.product_uom_id.rounding
            product = line.product_id.display_name
            if float_compare(consumed, 0.0, precision_rounding=rounding) < 0:
                raise ValidationError(
                    _(
                        "Consumed: the quantity of %(product)s cannot be negative.",
                        product=product,
                    )
                )
            if float_compare(defective, 0.0, precision_rounding=rounding) < 0:
                raise ValidationError(
                    _(
                        "Defective Taken Back: the quantity of %(product)s cannot "
                        "be negative.",
                        product=product,
                    )
                )
            over = float_compare(
                consumed, line.qty_reserved, precision_rounding=rounding
            )
            if over > 0 and not (vals.get("over_reason") or "").strip():
                raise UserError(
                    _(
                        "Reason for Extra: %(consumed)s %(uom)s of %(product)s "
                        "consumed but only %(reserved)s reserved; say why more "
                        "was used.",
                        consumed=consumed,
                        uom=line.product_uom_id.name,
                        product=product,
                        reserved=line.qty_reserved,
                    )
                )
            tracked = line.product_id.tracking != "none"
            if tracked and (over > 0 or defective):
                raise UserError(
                    _(
                        "%(product)s is tracked by lot or serial: consume at most "
                        "the reserved units here and receive defective units "
                        "with a stock receipt.",
                        product=product,
                    )
                )

    def _prepare_consumption_move_vals(self):
        """Stock moves that settle this line after the parts reached the
        service location: consumed (to the customer), extra (straight from
        the parts location), unused (back), defective (taken back)."""
        self.ensure_one()
        reservation = self.reservation_id
        warehouse = reservation.warehouse_id
        rounding = self.product_uom_id.rounding
        customer = reservation.partner_id.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        service = reservation.location_dest_id
        parts = reservation.location_id
        from_service = min(self.qty_consumed, self.qty_reserved)
        extra = self.qty_consumed - self.qty_reserved
        unused = self.qty_reserved - self.qty_consumed
        base = {
            "product_id": self.product_id.id,
            "product_uom": self.product_uom_id.id,
            "company_id": reservation.company_id.id,
            "partner_id": reservation.partner_id.id,
            "group_id": reservation.procurement_group_id.id,
            "origin": reservation.name,
            "warehouse_id": warehouse.id,
            "procure_method": "make_to_stock",
        }
        todo = [
            (
                from_service,
                service,
                customer,
                _("%(name)s: consumed", name=reservation.name),
            ),
            (extra, parts, customer, _("%(name)s: consumed", name=reservation.name)),
            (
                unused,
                service,
                parts,
                _("%(name)s: unused, back to stock", name=reservation.name),
            ),
            (
                self.qty_defective,
                customer,
                warehouse.aftersales_defective_location_id,
                _("%(name)s: defective part taken back", name=reservation.name),
            ),
        ]
        vals_list = []
        for qty, source, dest, name in todo:
            if float_compare(qty, 0.0, precision_rounding=rounding) <= 0:
                continue
            vals = dict(
                base,
                name=name,
                product_uom_qty=qty,
                location_id=source.id,
                location_dest_id=dest.id,
            )
            if dest == customer and self.sale_line_id:
                vals["sale_line_id"] = self.sale_line_id.id
            vals_list.append(vals)
        return vals_list

    def _prepare_sale_line_vals(self, order):
        self.ensure_one()
        return {
            "order_id": order.id,
            "product_id": self.product_id.id,
            "product_uom_qty": self.qty_consumed,
            "product_uom": self.product_uom_id.id,
            "discount": self.covered_percent if self.covered_percent < 100 else 0.0,
        }

    def _set_warranty_cost(self):
        """Cost of the consumed parts the company bears, stored per line."""
        for line in self:
            share = 1.0 if not line.customer_pays else line.covered_percent / 100.0
            line.warranty_cost = (
                line.product_id.standard_price * line.consumed_product_qty * share
            )
