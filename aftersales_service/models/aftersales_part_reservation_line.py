from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

from .aftersales_part_reservation import AVAILABILITY
from .aftersales_ticket_charge import ticket_charge_facts

INCOMING_STATES = ("waiting", "confirmed", "partially_available", "assigned")
# Fields that hold a part's charging decision: only agents and managers
# change them.
PART_DECISION_FIELDS = {"customer_pays", "covered_percent"}


def _part_charge_depends(model):
    """A part's charging depends on the part and on the ticket's charging
    facts, as every charging line does (``ticket_charge_facts``)."""
    return [
        "product_id",
        "reservation_id.ticket_id",
        *ticket_charge_facts(model, "reservation_id.ticket_id"),
    ]


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

    replenishment_picking_id = fields.Many2one(
        "stock.picking",
        string="Replenished By",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
        help="The transfer Odoo's procurement created for the shortage.",
    )
    replenishment_ref = fields.Char(
        string="Replenishment",
        readonly=True,
        copy=False,
        help="The document that brings the missing parts (transfer or purchase order).",
    )
    replenishment_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="When that document brings the parts, as it said when created.",
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
    decision_note = fields.Char(
        string="Reason for Change",
        copy=False,
        help="Why an agent or manager changed the decision (logged on the ticket).",
    )
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Quotation Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price_unit = fields.Monetary(
        string="Unit Price",
        compute="_compute_price_unit",
        store=True,
        help="The part's price for this customer (their pricelist, else the "
        "published sales price).",
    )
    charged_amount = fields.Monetary(
        string="Amount Charged",
        compute="_compute_charged_amount",
        store=True,
    )
    cost_unit = fields.Float(
        string="Unit Cost at Consumption",
        digits="Product Price",
        readonly=True,
        copy=False,
        help="The part's cost (per unit of the product) when it was consumed.",
    )
    warranty_cost = fields.Monetary(
        string="Covered Cost",
        compute="_compute_warranty_cost",
        store=True,
        help="The covered share of the consumed parts at the company's cost "
        "(product cost at consumption).",
    )
    can_decide_charging = fields.Boolean(compute="_compute_can_decide_charging")

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

    # Not stored, read live: the replenishment picking's date is read when
    # shown, without making every picking change look for reservation lines.
    @api.depends("state", "is_shortage", "qty_reserved")
    def _compute_availability(self):
        expected = self._expected_dates()
        for line in self:
            # The document created for this shortage says when it comes.
            picking = line.sudo().replenishment_picking_id
            if picking and picking.state not in ("done", "cancel"):
                line.expected_date = picking.scheduled_date
            elif line.replenishment_date and not picking:
                line.expected_date = line.replenishment_date
            else:
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

    @api.depends(_part_charge_depends)
    def _compute_charging(self):
        for line in self:
            if line._keeps_decision():
                # Not assigned: the stored decision stays (Odoo marks the
                # field computed before calling this method).
                continue
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

    @api.depends(_part_charge_depends)
    @api.depends_context("lang")
    def _compute_charge_reason(self):
        for line in self:
            ticket = line.reservation_id.ticket_id
            line.charge_reason = (
                ticket._warranty_charge_decision("parts", line.product_id)[2]
                if ticket and line.product_id
                else False
            )

    @api.depends("product_id", "product_uom_id", "product_qty", "ticket_id.partner_id")
    def _compute_price_unit(self):
        for line in self:
            product = line.product_id
            if not product:
                line.price_unit = 0.0
                continue
            partner = line.reservation_id.partner_id
            pricelist = partner.sudo().property_product_pricelist
            if pricelist:
                line.price_unit = pricelist._get_product_price(
                    product,
                    line.product_qty or 1.0,
                    currency=line.currency_id,
                    uom=line.product_uom_id,
                )
            else:
                line.price_unit = product.uom_id._compute_price(
                    product.lst_price, line.product_uom_id
                )

    @api.depends("price_unit", "qty_consumed", "customer_pays", "covered_percent")
    def _compute_charged_amount(self):
        for line in self:
            share = 1.0 - line._covered_share()
            amount = line.price_unit * line.qty_consumed * share
            line.charged_amount = (
                line.currency_id.round(amount) if line.currency_id else amount
            )

    @api.depends(
        "cost_unit", "consumed_product_qty", "customer_pays", "covered_percent"
    )
    def _compute_warranty_cost(self):
        """Follows the decision: a part made free later (a contract activated)
        is company cost, at its cost when consumed."""
        for line in self:
            # Lines consumed before the cost was kept: the product's cost.
            unit = line.cost_unit or line.product_id.standard_price
            cost = unit * line.consumed_product_qty * line._covered_share()
            line.warranty_cost = (
                line.currency_id.round(cost) if line.currency_id else cost
            )

    @api.depends_context("uid")
    def _compute_can_decide_charging(self):
        allowed = self.env.user.has_group(
            "aftersales_service.group_aftersales_user_own"
        )
        for line in self:
            line.can_decide_charging = allowed

    def _keeps_decision(self):
        """The part's charging decides again when the ticket's facts change
        (a contract activated, a warranty registered or voided), as the
        labour and travel lines do, except an agent's decision (made with a
        reason) and, once consumed, what the customer accepted (the ticket's
        quotation signed). A line not stored yet is decided."""
        self.ensure_one()
        if not isinstance(self.id, int):
            return False
        if self.decision_note:
            return True
        return self.state == "done" and self.ticket_id._charge_decision_settled()

    def _covered_share(self):
        self.ensure_one()
        if not self.customer_pays:
            return 1.0
        return min(max(self.covered_percent, 0.0), 100.0) / 100.0

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

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(
            set(vals) & PART_DECISION_FIELDS for vals in vals_list
        ):
            self._ensure_can_decide_charging()
        return super().create(vals_list)

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
        if not PART_DECISION_FIELDS & set(vals) or self.env.su:
            return super().write(vals)
        return self._write_decision(vals)

    def _write_decision(self, vals):
        """An agent or manager changes the charging of parts, with a reason
        logged on the ticket; consumed parts' cost and the draft quotation
        follow."""
        self._ensure_can_decide_charging()
        note = (vals.get("decision_note") or "").strip()
        if not note:
            raise UserError(
                _(
                    "Reason for Change: say why the charging decision changes "
                    "(it is logged on the ticket)."
                )
            )
        before = {line.id: line._decision_label() for line in self}
        res = super().write(vals)
        bodies = {}
        for line in self:
            bodies.setdefault(line.ticket_id, []).append(
                _(
                    "Charging of %(item)s changed from %(old)s to %(new)s by "
                    "%(user)s: %(reason)s",
                    item=line.product_id.display_name,
                    old=before[line.id],
                    new=line._decision_label(),
                    user=self.env.user.name,
                    reason=note,
                )
            )
        for ticket, lines in bodies.items():
            ticket.sudo().message_post(
                body="\n".join(lines), subtype_xmlid="mail.mt_note"
            )
        return res

    def _ensure_can_decide_charging(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_user_own"):
            raise AccessError(
                _(
                    "Only after-sales agents and managers change charging "
                    "decisions; technicians record what they find."
                )
            )

    def _decision_label(self):
        self.ensure_one()
        if not self.customer_pays:
            return _("Free")
        if self.covered_percent:
            return _(
                "Partly Charged (%(percent)s%%)", percent=round(self.covered_percent)
            )
        return _("Customer Pays")

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

    def action_replenish(self):
        """Odoo's procurement for the missing parts: the warehouse's resupply
        routes (a transfer from another warehouse), else the part's own
        routes (e.g. Buy when purchasing is installed). The line's expected
        date then comes from the document created."""
        self._ensure_can_replenish()
        lines = self.filtered("is_shortage")
        if not lines:
            raise UserError(
                _("Nothing to replenish: the selected parts are not short of stock.")
            )
        lines.sudo()._run_replenishment()
        return True

    def _ensure_can_replenish(self):
        user = self.env.user
        if not (
            user.has_group("stock.group_stock_user")
            or user.has_group("aftersales_service.group_aftersales_user_own")
        ):
            raise AccessError(
                _("Only the stock staff and after-sales agents replenish parts.")
            )
        self.check_access("write")
        done = self.filtered(lambda line: line.state != "confirmed")
        if done:
            raise UserError(
                _(
                    "Only the parts of an active reservation are replenished "
                    "(%(parts)s is not).",
                    parts=", ".join(done.product_id.mapped("display_name")),
                )
            )

    def _prepare_procurement(self):
        self.ensure_one()
        reservation = self.reservation_id
        warehouse = reservation.warehouse_id
        routes = self.env["stock.route"].search([("supplied_wh_id", "=", warehouse.id)])
        values = {
            "warehouse_id": warehouse,
            "group_id": reservation.procurement_group_id,
            "company_id": reservation.company_id,
            "date_planned": reservation.date_planned or fields.Datetime.now(),
            "date_deadline": reservation.date_planned or False,
            "route_ids": routes,
        }
        return self.env["procurement.group"].Procurement(
            self.product_id,
            self.shortage_qty,
            self.product_uom_id,
            reservation.location_id,
            f"{reservation.name}: {self.product_id.display_name}",
            reservation.name,
            reservation.company_id,
            values,
        )

    def _run_replenishment(self):
        """As superuser (the caller checked the rights): one procurement run
        for the set, then each line notes the document created."""
        Group = self.env["procurement.group"]
        Group.run([line._prepare_procurement() for line in self])
        groups = self.reservation_id.procurement_group_id
        moves = self.env["stock.move"].search(
            [
                ("group_id", "in", groups.ids),
                ("product_id", "in", self.product_id.ids),
                ("state", "not in", ("done", "cancel")),
                ("picking_id", "!=", False),
            ],
            order="id desc",
        )
        for line in self:
            warehouse = line.warehouse_id
            incoming = moves.filtered(
                lambda m, line=line, wh=warehouse: (
                    m.group_id == line.reservation_id.procurement_group_id
                    and m.product_id == line.product_id
                    and m.location_dest_id.warehouse_id == wh
                    and m.location_id.warehouse_id != wh
                )
            )[:1]
            if incoming:
                picking = incoming.picking_id
                line.write(
                    {
                        "replenishment_picking_id": picking.id,
                        "replenishment_ref": picking.name,
                        "replenishment_date": picking.scheduled_date,
                    }
                )
                continue
            document = line._replenishment_purchase()
            if document:
                line.write(document)
        for reservation in self.reservation_id:
            mine = self.filtered(lambda line, r=reservation: line.reservation_id == r)
            reservation.message_post(
                body=self.env._(
                    "Shortage replenished through Odoo's procurement: %(parts)s.",
                    parts=", ".join(
                        f"{line.product_id.display_name} "
                        f"({line.replenishment_ref or self.env._('no document')})"
                        for line in mine
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _replenishment_purchase(self):
        """The purchase order line the Buy route created, when purchasing is
        installed (it is no dependency of this addon)."""
        self.ensure_one()
        if "purchase.order.line" not in self.env:
            return {}
        po_line = self.env["purchase.order.line"].search(
            [
                ("product_id", "=", self.product_id.id),
                ("order_id.origin", "ilike", self.reservation_id.name),
                ("state", "in", ("draft", "sent", "to approve", "purchase")),
            ],
            order="id desc",
            limit=1,
        )
        if not po_line:
            return {}
        return {
            "replenishment_ref": po_line.order_id.name,
            "replenishment_date": po_line.date_planned,
        }

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
        vals = {
            "order_id": order.id,
            "product_id": self.product_id.id,
            "product_uom_qty": self.qty_consumed,
            "product_uom": self.product_uom_id.id,
            "price_unit": self.price_unit,
            "discount": self.covered_percent if self.covered_percent < 100 else 0.0,
        }
        if self.charge_reason:
            vals["name"] = f"{self.product_id.display_name}\n{self.charge_reason}"
        return vals

    def _set_warranty_cost(self):
        """Keep the consumed parts' cost at consumption: the covered cost
        (``warranty_cost``) is valued at it, whatever the decision becomes."""
        for line in self:
            line.cost_unit = line.product_id.standard_price
