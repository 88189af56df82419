import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import float_compare, float_is_zero

_logger = logging.getLogger(__name__)

RESERVATION_STATES = [
    ("draft", "Draft"),
    ("confirmed", "Reserved"),
    ("done", "Consumed"),
    ("expired", "Expired"),
    ("cancel", "Cancelled"),
]

AVAILABILITY = [
    ("reserved", "Reserved"),
    ("partial", "Partially Available"),
    ("expected", "Expected"),
    ("none", "Not Available"),
]

OPEN_STATES = ("draft", "confirmed")
# Written only by the reservation flow (confirm, consume, release), which
# checks the user's rights and then writes them as superuser.
FLOW_FIELDS = {"state", "date_confirmed", "date_consumed"}


class AftersalesPartReservation(models.Model):
    _name = "aftersales.part.reservation"
    _description = "Spare-Part Reservation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "has_shortage desc, date_expiry, id desc"
    _check_company_auto = True

    # Identification
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        compute="_compute_company_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    partner_id = fields.Many2one(
        related="ticket_id.partner_id", string="Customer", store=True
    )
    team_id = fields.Many2one(related="ticket_id.team_id", store=True)
    technician_id = fields.Many2one(related="ticket_id.technician_id", store=True)
    technician_user_id = fields.Many2one(
        related="ticket_id.technician_user_id", store=True, index=True
    )
    requested_by_id = fields.Many2one(
        "res.users",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
        tracking=True,
        help="Who asked for the parts; told when the reservation expires.",
    )
    state = fields.Selection(
        RESERVATION_STATES,
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )

    # Where from, where to
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        compute="_compute_warehouse_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        check_company=True,
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Parts Location",
        compute="_compute_locations",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
    )
    location_dest_id = fields.Many2one(
        "stock.location",
        string="Service Location",
        compute="_compute_locations",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        help="The technician's van or the service point.",
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="stock.group_stock_user",
    )
    procurement_group_id = fields.Many2one(
        "procurement.group",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )

    # Dates
    date_planned = fields.Datetime(
        string="Planned Visit",
        compute="_compute_date_planned",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_confirmed = fields.Datetime(string="Reserved On", readonly=True, copy=False)
    date_expiry = fields.Datetime(
        string="Expires On",
        compute="_compute_date_expiry",
        store=True,
        copy=False,
        help="Unused reservations are released automatically at this time.",
    )
    date_consumed = fields.Datetime(string="Consumed On", readonly=True, copy=False)

    line_ids = fields.One2many(
        "aftersales.part.reservation.line",
        "reservation_id",
        string="Parts",
        copy=True,
    )
    availability = fields.Selection(
        AVAILABILITY,
        compute="_compute_availability",
        store=True,
    )
    has_shortage = fields.Boolean(
        string="Shortage",
        compute="_compute_availability",
        store=True,
        index=True,
    )
    note = fields.Text()

    # Charging
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Quotation",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    warranty_cost = fields.Monetary(
        compute="_compute_warranty_cost",
        store=True,
        help="Cost of the consumed parts the company bears (warranty).",
    )

    # What the current user may do
    can_confirm = fields.Boolean(compute="_compute_can")
    can_consume = fields.Boolean(compute="_compute_can")
    can_cancel = fields.Boolean(compute="_compute_can")
    move_count = fields.Integer(compute="_compute_move_count")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The reservation reference must be unique per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("ticket_id")
    def _compute_company_id(self):
        for reservation in self:
            if reservation.ticket_id:
                reservation.company_id = reservation.ticket_id.company_id

    @api.depends("ticket_id", "company_id")
    def _compute_warehouse_id(self):
        defaults = {}
        for reservation in self:
            company = reservation.company_id or self.env.company
            team = reservation.ticket_id.team_id
            warehouse = team._aftersales_parts_warehouse() if team else False
            if not warehouse or warehouse.company_id != company:
                if company.id not in defaults:
                    defaults[company.id] = self.env["stock.warehouse"].search(
                        [("company_id", "=", company.id)], limit=1
                    )
                warehouse = defaults[company.id]
            reservation.warehouse_id = warehouse

    @api.depends("warehouse_id", "ticket_id")
    def _compute_locations(self):
        warehouses = self.warehouse_id.filtered(
            lambda w: not w.aftersales_parts_type_id
        )
        if warehouses:
            warehouses._aftersales_parts_setup()
        for reservation in self:
            warehouse = reservation.warehouse_id
            team = reservation.ticket_id.team_id
            destination = warehouse.aftersales_service_location_id
            van = reservation.ticket_id.technician_id.sudo().aftersales_van_location_id
            if team.parts_destination == "van" and van:
                destination = van
            elif team.service_location_id:
                destination = team.service_location_id
            reservation.location_id = (
                warehouse.aftersales_parts_location_id or warehouse.lot_stock_id
            )
            reservation.location_dest_id = destination

    @api.depends("ticket_id.appointment_start")
    def _compute_date_planned(self):
        for reservation in self:
            reservation.date_planned = reservation.ticket_id.appointment_start

    @api.depends(
        "state",
        "date_planned",
        "date_confirmed",
        "warehouse_id.aftersales_parts_expiry_hours",
    )
    def _compute_date_expiry(self):
        for reservation in self:
            start = reservation.date_planned or reservation.date_confirmed
            hours = reservation.warehouse_id.aftersales_parts_expiry_hours
            if reservation.state != "confirmed" or not start or hours <= 0:
                reservation.date_expiry = False
            else:
                reservation.date_expiry = start + timedelta(hours=hours)

    @api.depends("state", "line_ids.availability")
    def _compute_availability(self):
        for reservation in self:
            states = set(reservation.line_ids.mapped("availability")) - {False}
            if reservation.state != "confirmed" or not states:
                reservation.availability = False
            elif states == {"reserved"}:
                reservation.availability = "reserved"
            elif "reserved" in states or "partial" in states:
                reservation.availability = "partial"
            elif "expected" in states:
                reservation.availability = "expected"
            else:
                reservation.availability = "none"
            reservation.has_shortage = reservation.availability in (
                "partial",
                "expected",
                "none",
            )

    @api.depends("line_ids.warranty_cost")
    def _compute_warranty_cost(self):
        for reservation in self:
            reservation.warranty_cost = sum(
                reservation.line_ids.mapped("warranty_cost")
            )

    @api.depends("state", "ticket_id.technician_user_id")
    @api.depends_context("uid")
    def _compute_can(self):
        user = self.env.user
        is_stock = user.has_group("stock.group_stock_user")
        is_manager = user.has_group("aftersales_service.group_aftersales_manager")
        for reservation in self:
            is_technician = reservation.ticket_id.technician_user_id == user
            reservation.can_confirm = reservation.state == "draft"
            reservation.can_consume = reservation.state == "confirmed" and (
                is_technician or is_stock or is_manager
            )
            reservation.can_cancel = reservation.state in OPEN_STATES

    def _compute_move_count(self):
        moves = self.env["stock.move"].sudo()
        groups = self.sudo().procurement_group_id
        counts = {}
        if groups:
            counts = {
                group.id: count
                for group, count in moves._read_group(
                    [("group_id", "in", groups.ids)], ["group_id"], ["__count"]
                )
            }
        for reservation in self:
            reservation.move_count = counts.get(
                reservation.sudo().procurement_group_id.id, 0
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        new = self.env._("New")
        todo = [
            vals for vals in vals_list if not vals.get("name") or vals["name"] == new
        ]
        if todo:
            sequence = self.env["ir.sequence"].sudo()
            for vals in todo:
                company = vals.get("company_id") or self.env.company.id
                vals["name"] = (
                    sequence.with_company(company).next_by_code(
                        "aftersales.part.reservation"
                    )
                    or new
                )
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_reserved(self):
        for reservation in self:
            if reservation.state in ("confirmed", "done"):
                raise UserError(
                    _(
                        "Reservation %(name)s holds or consumed stock: cancel it "
                        "instead of deleting it.",
                        name=reservation.name,
                    )
                )

    def write(self, vals):
        # Rights first: who may not write is refused as such.
        self.check_access("write")
        if FLOW_FIELDS & set(vals) and not self.env.su:
            raise UserError(
                _(
                    "Status: a reservation changes status only through its "
                    "buttons (Confirm, Consume, Cancel)."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_confirm(self):
        self._ensure_can_confirm()
        self._reserve()
        return True

    def action_consume(self):
        self.ensure_one()
        self._ensure_can_consume()
        return {
            "type": "ir.actions.act_window",
            "name": _("Consume Parts"),
            "res_model": "aftersales.part.consume.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_reservation_id": self.id},
        }

    def action_cancel(self):
        self._ensure_can_cancel()
        self._release(_("cancelled by %(user)s", user=self.env.user.name))
        return True

    def action_create_quotation(self):
        """The ticket's quotation, updated with the paying lines already
        consumed (e.g. a decision changed afterwards)."""
        self.ticket_id._ensure_can_quote()
        self._create_quotations()
        return self.action_view_sale_order()

    def action_replenish(self):
        """Odoo's procurement for the reservation's missing parts."""
        self.line_ids.filtered("is_shortage").action_replenish()
        return True

    def action_view_sale_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }

    def action_view_moves(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Stock Moves"),
            "res_model": "stock.move",
            "view_mode": "list,form",
            "domain": [("group_id", "in", self.procurement_group_id.ids)],
            "context": {"create": False},
        }

    def action_view_pickings(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Transfers"),
            "res_model": "stock.picking",
            "view_mode": "list,form",
            "domain": [("group_id", "in", self.procurement_group_id.ids)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------

    def _ensure_can_confirm(self):
        for reservation in self:
            if reservation.state != "draft":
                raise UserError(
                    _(
                        "Reservation %(name)s is already %(state)s.",
                        name=reservation.name,
                        state=dict(RESERVATION_STATES)[reservation.state],
                    )
                )
            if not reservation.line_ids:
                raise UserError(
                    _(
                        "Parts: reservation %(name)s lists no part to reserve.",
                        name=reservation.name,
                    )
                )
            if reservation.ticket_id.is_closed:
                raise UserError(
                    _(
                        "Ticket %(ticket)s is closed: no parts can be reserved for it.",
                        ticket=reservation.ticket_id.name,
                    )
                )

    def _ensure_can_consume(self):
        for reservation in self:
            if not reservation.can_consume:
                if reservation.state != "confirmed":
                    raise UserError(
                        _(
                            "Reservation %(name)s is not reserved: only reserved "
                            "parts can be consumed.",
                            name=reservation.name,
                        )
                    )
                raise UserError(
                    _(
                        "Only the ticket's technician or stock staff record the "
                        "parts consumed on %(name)s.",
                        name=reservation.name,
                    )
                )

    def _ensure_can_cancel(self):
        for reservation in self:
            if not reservation.can_cancel:
                raise UserError(
                    _(
                        "Reservation %(name)s is %(state)s: nothing to cancel.",
                        name=reservation.name,
                        state=dict(RESERVATION_STATES)[reservation.state],
                    )
                )

    # ------------------------------------------------------------------
    # Business methods: reserve
    # ------------------------------------------------------------------

    def _prepare_procurement_group_vals(self):
        self.ensure_one()
        return {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "move_type": "direct",
        }

    def _prepare_picking_vals(self):
        self.ensure_one()
        warehouse = self.warehouse_id
        return {
            "picking_type_id": warehouse.aftersales_parts_type_id.id,
            "location_id": self.location_id.id,
            "location_dest_id": self.location_dest_id.id,
            "partner_id": self.partner_id.id,
            "origin": f"{self.name} ({self.ticket_id.name})",
            "group_id": self.procurement_group_id.id,
            "company_id": self.company_id.id,
            "scheduled_date": self.date_planned or fields.Datetime.now(),
            "user_id": self.technician_user_id.id or self.requested_by_id.id,
            "move_type": "direct",
        }

    def _reserve(self):
        """Create and reserve the stock moves of the reservations.

        The stock operations run as superuser: technicians and agents have no
        stock rights. Who asked is logged on the reservation and the
        transfer."""
        user = self.env.user
        reservations = self.sudo()
        # The flow logs its own note with the tracked changes (_write_flow):
        # its links to the stock documents start no tracking of their own.
        untracked = reservations.with_context(mail_notrack=True)
        reservations.warehouse_id.filtered(
            lambda w: not w.aftersales_parts_type_id
        )._aftersales_parts_setup()
        groups = (
            self.env["procurement.group"]
            .sudo()
            .create([r._prepare_procurement_group_vals() for r in reservations])
        )
        for reservation, group in zip(untracked, groups, strict=True):
            reservation.procurement_group_id = group
        # Lock the parts' quants before reading what is available: a
        # concurrent reservation of the same parts waits here and then fails
        # cleanly instead of promising the same unit twice.
        reservations._lock_quants()
        picking_vals = []
        for reservation in reservations:
            vals = reservation._prepare_picking_vals()
            vals["move_ids"] = [
                fields.Command.create(line._prepare_move_vals())
                for line in reservation.line_ids
            ]
            picking_vals.append(vals)
        pickings = reservations._create_pickings(picking_vals)
        for reservation, picking in zip(untracked, pickings, strict=True):
            reservation.picking_id = picking
            for line, move in zip(
                reservation.line_ids, picking.move_ids.sorted("id"), strict=True
            ):
                line.move_id = move
        # The parts operation reserves at confirmation: Odoo's own
        # _action_assign runs inside _action_confirm, for the whole batch.
        # The quants of the parts, read once for the batch (Odoo's own cache,
        # as in _action_done), spare the exact-quant lookups of every move.
        moves = pickings.move_ids
        quants_cache = (
            self.env["stock.quant"]
            .sudo()
            ._get_quants_by_products_locations(moves.product_id, moves.location_id)
        )
        moves.with_context(quants_cache=quants_cache)._action_confirm(merge=False)
        reservations.line_ids._reserve_requested_lots()
        pickings._message_log_batch(
            bodies={
                reservation.picking_id.id: self.env._(
                    "Parts reserved for %(ticket)s on request of %(user)s.",
                    ticket=reservation.ticket_id.name,
                    user=user.name,
                )
                for reservation in reservations
            }
        )
        self._write_flow(
            {"state": "confirmed", "date_confirmed": fields.Datetime.now()},
            notes=lambda reservations: reservations._reserved_notes(user),
        )

    def _create_pickings(self, vals_list):
        """The transfers of the reservations, as superuser, in one batch: their
        references drawn from the operation type's sequence at once, each
        responsible made a follower of all their transfers at once, the
        scheduled date written only where it is not now, once per date (Odoo
        does all three transfer by transfer in ``create``, and e-mails the
        responsible for each transfer)."""
        Picking = (
            self.env["stock.picking"]
            .sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
        )
        by_type = defaultdict(list)
        for vals in vals_list:
            by_type[vals["picking_type_id"]].append(vals)
        for type_id, type_vals in by_type.items():
            sequence = Picking.env["stock.picking.type"].browse(type_id).sequence_id
            if sequence:
                names = sequence._aftersales_next_batch(len(type_vals))
                for vals, name in zip(type_vals, names, strict=True):
                    vals.setdefault("name", name)
        responsibles = [vals.pop("user_id", False) for vals in vals_list]
        dates = [vals.pop("scheduled_date", False) for vals in vals_list]
        pickings = Picking.create(vals_list)
        by_user = defaultdict(list)
        by_date = defaultdict(list)
        for picking, user_id, date in zip(pickings, responsibles, dates, strict=True):
            if user_id:
                by_user[user_id].append(picking.id)
            # created for now (Odoo's default, passed on to the moves)
            if date and picking.scheduled_date != date:
                by_date[date].append(picking.id)
        for date, ids in by_date.items():
            pickings.browse(ids).with_context(mail_notrack=True).write(
                {"scheduled_date": date}
            )
        for user_id, ids in by_user.items():
            # Set at creation: not a change to track. The responsible follows
            # the transfers without an "assigned to you" e-mail for each: they
            # asked for the parts, or their ticket says what they are for.
            pickings.browse(ids).with_context(
                mail_notrack=True, mail_auto_subscribe_no_notify=True
            ).write({"user_id": user_id})
        return pickings

    def _reserved_notes(self, user):
        """{reservation id: the note logged when its parts are reserved}."""
        bodies = {}
        for reservation in self:
            shortages = reservation.line_ids.filtered("is_shortage")
            bodies[reservation.id] = self.env._(
                "Reserved on request of %(user)s.", user=user.name
            )
            if shortages:
                bodies[reservation.id] = self.env._(
                    "Reserved on request of %(user)s. Shortage: %(parts)s.",
                    user=user.name,
                    parts=", ".join(shortages.product_id.mapped("display_name")),
                )
        return bodies

    def _write_flow(self, vals, notes=None):
        """Status and its dates, written by the flow: the user must be allowed
        to change these reservations (access rights and record rules), then
        the values are written as superuser (``write`` refuses them
        otherwise).

        ``notes``: a function of the reservations giving, once the values are
        written, {reservation id: the step's note}; each note is logged with
        the tracked changes of the step in the same message, all of them
        created at once for the batch (instead of Odoo's tracking message
        posted record by record at commit, and a second message)."""
        self.check_access("write")
        if notes is None:
            self.sudo().write(vals)
            return
        tracked = [fname for fname in vals if fname in self._track_get_fields()]
        initial = {
            reservation.id: {fname: reservation[fname] for fname in tracked}
            for reservation in self
        }
        self.sudo().with_context(mail_notrack=True).write(vals)
        messages = self._message_log_batch(bodies=notes(self))
        info = self.fields_get(
            tracked, attributes=("string", "type", "selection", "currency_field")
        )
        Tracking = self.env["mail.tracking.value"].sudo()
        tracking_vals = []
        for reservation, message in zip(self, messages, strict=True):
            for fname in tracked:
                old, new = initial[reservation.id][fname], reservation[fname]
                if old != new:
                    values = Tracking._create_tracking_values(
                        old, new, fname, info[fname], reservation
                    )
                    values["mail_message_id"] = message.id
                    tracking_vals.append(values)
        Tracking.create(tracking_vals)

    def _lock_quants(self, locations=None):
        """SELECT ... FOR NO KEY UPDATE the quants of the reservations' parts
        in ``locations`` and below (default: the source locations), before
        any stock operation reads or changes them.

        A concurrent transaction holding them makes this one wait; if it
        changed them and committed, PostgreSQL raises a serialization failure
        (repeatable read). That error is left to propagate on purpose: Odoo
        rolls the whole request back and runs it again (``retrying``), so the
        second user's operation succeeds on fresh stock figures, or shows the
        shortage when the first one took the last unit.

        Without the lock, Odoo's quant update (``_update_available_quantity``)
        skips a quant another transaction holds (SKIP LOCKED) and books the
        change on a new quant: unreserving creates a quant with a negative
        reservation, and a later unreservation landing on a quant reserved
        less than it releases is cut at zero, so the quants' reserved
        quantity drifts from what the moves reserve. For the same reason,
        quants split earlier are merged here (under our lock) first."""
        products = self.line_ids.product_id
        locations = self.location_id if locations is None else locations
        if not products or not locations:
            return
        query = """
            SELECT q.id, q.product_id, q.location_id, q.lot_id, q.package_id,
                   q.owner_id, q.company_id
              FROM stock_quant q
              JOIN stock_location l ON l.id = q.location_id
             WHERE q.product_id IN %s
               AND ({})
             ORDER BY q.id
               FOR NO KEY UPDATE OF q
        """.format(" OR ".join(["l.parent_path LIKE %s"] * len(locations)))
        params = [tuple(products.ids)] + [f"{loc.parent_path}%" for loc in locations]
        # A serialization failure here is expected and retried: not logged
        # as a "bad query".
        self.env.cr.execute(query, params, log_exceptions=False)
        rows = self.env.cr.fetchall()
        Quant = self.env["stock.quant"].sudo()
        # The quants were locked in SQL: what the ORM cached may be stale.
        Quant.invalidate_model(["quantity", "reserved_quantity"])
        groups = defaultdict(list)
        for quant_id, *key in rows:
            groups[tuple(key)].append(quant_id)
        split = [ids for ids in groups.values() if len(ids) > 1]
        if split:
            Quant.browse(
                [quant_id for ids in split for quant_id in ids]
            )._merge_quants()

    def _stock_locations(self):
        """Every location the reservations' parts pass through: parts,
        service (or van) and defective locations."""
        warehouses = self.warehouse_id
        return (
            self.location_id
            | self.location_dest_id
            | warehouses.aftersales_parts_location_id
            | warehouses.aftersales_service_location_id
            | warehouses.aftersales_defective_location_id
        )

    # ------------------------------------------------------------------
    # Business methods: release
    # ------------------------------------------------------------------

    def _release(self, reason, state="cancel"):
        """Unreserve and cancel the stock moves, close the reservations."""
        reservations = self.filtered(lambda r: r.state in OPEN_STATES)
        if not reservations:
            return
        moves = reservations.sudo().line_ids.move_id.filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        if moves:
            reservations._lock_quants(moves.location_id)
        moves._action_cancel()
        reservations._write_flow({"state": state})
        body = _("Parts released: %(reason)s.", reason=reason)
        reservations._message_log_batch(
            bodies={reservation.id: body for reservation in reservations}
        )

    @api.model
    def _cron_release_expired(self, limit=500):
        """Release confirmed reservations whose expiry has passed. Reads only
        those (indexed on the expiry); one failure does not stop the others."""
        expired = self.search(
            [
                ("date_expiry", "<=", fields.Datetime.now()),
                ("state", "=", "confirmed"),
            ],
            limit=limit,
            order="date_expiry, id",
        )
        for reservation in expired:
            try:
                with self.env.cr.savepoint():
                    reservation._expire()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                # A request changed these parts' stock since the job's
                # transaction began: the next locks would fail the same way.
                # Keep what is done; the job runs again right after.
                _logger.info(
                    "Expired reservations: stock changed concurrently (%s), "
                    "the job runs again",
                    error.pgcode,
                )
                self.env.ref(
                    "aftersales_service.ir_cron_aftersales_part_expiry",
                    raise_if_not_found=False,
                )._trigger()
                break
            except Exception:
                _logger.exception(
                    "Could not release expired reservation %s", reservation.name
                )
        return expired

    def _expire(self):
        self._release(_("expired unused"), state="expired")
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        for reservation in self:
            reservation.activity_schedule(
                activity_type_id=activity_type.id if activity_type else False,
                summary=_("Parts reservation expired"),
                note=_(
                    "The parts reserved for %(ticket)s were not used by "
                    "%(date)s and went back to stock. Reserve again if still "
                    "needed.",
                    ticket=reservation.ticket_id.name,
                    date=fields.Datetime.to_string(reservation.date_planned)
                    if reservation.date_planned
                    else _("the expiry"),
                ),
                user_id=reservation.requested_by_id.id,
            )

    # ------------------------------------------------------------------
    # Business methods: consume
    # ------------------------------------------------------------------

    def _consume(self, values, visit=None):
        """Record what was used and move every part where it belongs.

        ``values``: {reservation line: {"qty_consumed", "qty_defective",
        "over_reason"}}. In one operation: the reserved parts leave for the
        service location, consumed parts go to the customer (on the quotation
        when the customer pays), unused parts return to the parts location,
        defective parts come back into the defective location.

        ``visit``: the visit whose service report lists the parts; by default
        the ticket's only visit on site, if any."""
        self._ensure_can_consume()
        Line = self.env["aftersales.part.reservation.line"]
        lines = Line.concat(*values) if values else Line
        lines._check_consumption(values)
        if visit:
            visit._check_can_record_parts(self.ticket_id)
        else:
            visit = self._consuming_visit()
        user = self.env.user
        now = fields.Datetime.now()
        for line, vals in values.items():
            line.write(
                {
                    "qty_consumed": vals.get("qty_consumed", 0.0),
                    "qty_defective": vals.get("qty_defective", 0.0),
                    "over_reason": vals.get("over_reason") or False,
                    "visit_id": visit.id if visit else False,
                }
            )
        reservations = self.sudo()
        # Every quant this operation moves or unreserves, locked first (see
        # _lock_quants): a concurrent reservation or consumption waits.
        reservations._lock_quants(reservations._stock_locations())
        # 1. The reserved parts leave for the service location.
        carried = reservations.line_ids.move_id.filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        carried_moves = carried.filtered(lambda m: m.quantity)
        (carried - carried_moves)._action_cancel()
        if carried_moves:
            carried_moves.picked = True
            carried_moves._action_done(cancel_backorder=True)
        # 2. The quotation for what the customer pays.
        reservations._create_quotations()
        # 3. Consumption, return of unused parts, defective parts.
        move_vals = []
        for line in reservations.line_ids:
            move_vals += line._prepare_consumption_move_vals()
        moves = self.env["stock.move"].sudo().create(move_vals)
        if moves:
            moves._action_confirm(merge=False)
            moves._action_assign()
            for move in moves:
                if move.quantity != move.product_uom_qty:
                    move.quantity = move.product_uom_qty
            moves.picked = True
            moves._action_done()
        reservations.line_ids._set_warranty_cost()
        self._write_flow({"state": "done", "date_consumed": now})
        body = _("Parts consumption recorded by %(user)s.", user=user.name)
        self._message_log_batch(bodies={reservation.id: body for reservation in self})
        return True

    def _consuming_visit(self):
        """The visit of the reservations' ticket being worked on site, when
        there is exactly one (its report lists the parts consumed)."""
        visits = (
            self.ticket_id.sudo()
            .visit_ids.filtered(lambda v: v.state == "on_site" and not v.signed_on)
            .sudo(False)
        )
        return visits if len(self.ticket_id) == 1 and len(visits) == 1 else None

    def _prepare_sale_order_vals(self):
        self.ensure_one()
        partner = self.partner_id
        return {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "origin": f"{self.ticket_id.name} / {self.name}",
            "warehouse_id": self.warehouse_id.id,
            "user_id": self.ticket_id.owner_id.id,
        }

    def _create_quotations(self):
        """The consumed parts the customer pays go on the ticket's one
        quotation (created or updated): see the ticket's ``_build_quotations``."""
        return self.ticket_id._build_quotations()

    def _get_shortages(self):
        """{product: missing quantity in the product's unit} over the set."""
        missing = defaultdict(float)
        for line in self.line_ids:
            if line.shortage_qty and not float_is_zero(
                line.shortage_qty, precision_rounding=line.product_uom_id.rounding
            ):
                missing[line.product_id] += line.product_uom_id._compute_quantity(
                    line.shortage_qty, line.product_id.uom_id
                )
        return {
            product: qty
            for product, qty in missing.items()
            if float_compare(qty, 0, precision_rounding=product.uom_id.rounding) > 0
        }
