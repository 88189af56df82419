from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

RESOLUTION_MODES = [
    ("phone", "On the Phone"),
    ("remote", "Remote Support"),
    ("onsite", "On-Site Visit"),
    ("carry_in", "Carry-In / Mail-In"),
    ("exchange", "Exchange"),
]

CARRY_IN_STATES = [
    ("expected", "Expected by Mail"),
    ("in_workshop", "In the Workshop"),
    ("ready", "Ready for Pickup"),
    ("returned", "Returned"),
]

UNIT_WHEREABOUTS = [
    ("customer", "With the Customer"),
    ("workshop", "In the Workshop"),
    ("stock", "In Our Stock"),
    ("transit", "In Transit"),
    ("unknown", "Not in Our Stock Records"),
]

SIMILAR_SCOPES = [
    ("product", "Same Product"),
    ("category", "Same Product Category"),
]

# Below this many solved cases of the same product, the history of the whole
# product category is shown instead.
SIMILAR_MIN_CASES = 3

# Ticket fields a technician (without agent rights) may set on the tickets
# assigned to them: how the case is resolved and what the remote session
# found.
FIELD_TECHNICIAN_FIELDS = {
    "resolution_mode",
    "remedy_id",
    "remote_session_notes",
    "remote_session_duration",
}


class AftersalesTicket(models.Model):
    """Field service slice of the ticket: how the case is resolved and the
    visits planned for it."""

    _inherit = "aftersales.ticket"

    resolution_mode = fields.Selection(
        RESOLUTION_MODES,
        tracking=True,
        index=True,
        help="How the case is resolved. It may change during the case; every "
        "change is tracked.",
    )
    # Remote support
    remote_session_notes = fields.Text(
        help="What was checked and changed during the remote support session(s).",
    )
    remote_session_duration = fields.Float(
        string="Remote Session Time",
        tracking=True,
        help="Time spent with the customer in remote support sessions (hours).",
    )
    # Diagnosis: how the fault was fixed, and how similar cases were
    remedy_id = fields.Many2one(
        "aftersales.fault.remedy",
        compute="_compute_remedy_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        domain="[('fault_code_id', '=', fault_code_id)]",
        help="Which known remedy of the fault fixed the unit; counted in the "
        "history shown on similar cases.",
    )
    similar_case_count = fields.Integer(
        string="Similar Cases",
        compute="_compute_similar_cases",
        compute_sudo=True,
        help="Solved tickets of the same product (or product category) with "
        "the same fault.",
    )
    similar_case_scope = fields.Selection(
        SIMILAR_SCOPES,
        string="Similar Cases Of",
        compute="_compute_similar_cases",
        compute_sudo=True,
    )
    similar_part_count = fields.Integer(
        string="Parts Used in Similar Cases",
        compute="_compute_similar_cases",
        compute_sudo=True,
    )
    similar_case_html = fields.Html(
        string="How Similar Cases Were Resolved",
        compute="_compute_similar_cases",
        compute_sudo=True,
        sanitize=False,
    )
    is_planned_work = fields.Boolean(
        string="Planned Work",
        related="channel_id.planned_work",
        store=True,
        index=True,
        help="Opened by the company for planned work (e.g. a periodic "
        "inspection), not reported by the customer.",
    )
    visit_ids = fields.One2many("aftersales.visit", "ticket_id", string="Visits")
    visit_count = fields.Integer(compute="_compute_visit_count")

    # Carry-in / mail-in: the customer's unit in the workshop
    unit_picking_ids = fields.One2many(
        "stock.picking",
        "aftersales_ticket_id",
        string="Unit Transfers",
        groups="stock.group_stock_user",
    )
    unit_picking_count = fields.Integer(
        string="Unit Transfers Count",
        compute="_compute_unit_picking_count",
        compute_sudo=True,
    )
    carry_in_state = fields.Selection(
        CARRY_IN_STATES,
        string="Carry-In Status",
        compute="_compute_carry_in",
        store=True,
        index="btree_not_null",
        compute_sudo=True,
        help="Where the carry-in stands: unit expected by mail, in the "
        "workshop, ready for pickup, returned to the customer.",
    )
    carry_in_by_mail = fields.Boolean(
        string="Mail-In", compute="_compute_carry_in_details", compute_sudo=True
    )
    carry_in_receipt_ref = fields.Char(
        string="Unit Receipt", compute="_compute_carry_in_details", compute_sudo=True
    )
    carry_in_received_date = fields.Datetime(
        string="Unit Received On",
        compute="_compute_carry_in_details",
        compute_sudo=True,
    )
    carry_in_condition = fields.Text(
        string="Condition at Receipt",
        compute="_compute_carry_in_details",
        compute_sudo=True,
    )
    carry_in_return_ref = fields.Char(
        string="Unit Return", compute="_compute_carry_in_details", compute_sudo=True
    )
    carry_in_ready_date = fields.Datetime(
        string="Ready for Pickup Since",
        compute="_compute_carry_in_details",
        compute_sudo=True,
    )
    carry_in_returned_date = fields.Datetime(
        string="Unit Returned On",
        compute="_compute_carry_in_details",
        compute_sudo=True,
    )
    carry_in_pickup_address = fields.Char(
        string="Pickup Address",
        compute="_compute_carry_in_details",
        compute_sudo=True,
    )
    unit_location_id = fields.Many2one(
        "stock.location",
        compute="_compute_unit_location",
        compute_sudo=True,
        help="Where the customer's unit (the ticket's serial) is now, from the stock.",
    )
    unit_whereabouts = fields.Selection(
        UNIT_WHEREABOUTS,
        string="Unit",
        compute="_compute_unit_location",
        compute_sudo=True,
    )
    unit_location_date = fields.Datetime(
        string="Unit There Since",
        compute="_compute_unit_location",
        compute_sudo=True,
    )

    def _compute_visit_count(self):
        counts = self.env["aftersales.visit"]._count_by("ticket_id", self.ids)
        for ticket in self:
            ticket.visit_count = counts.get(ticket.id, 0)

    @api.depends("fault_code_id")
    def _compute_remedy_id(self):
        for ticket in self:
            if ticket.remedy_id.fault_code_id != ticket.fault_code_id:
                ticket.remedy_id = False

    @api.depends("product_id", "fault_code_id")
    @api.depends_context("lang")
    def _compute_similar_cases(self):
        history = self._similar_case_history()
        QWeb = self.env["ir.qweb"]
        scopes = dict(
            self._fields["similar_case_scope"]._description_selection(self.env)
        )
        for ticket in self:
            found = history.get(ticket)
            if not found:
                ticket.similar_case_count = 0
                ticket.similar_case_scope = False
                ticket.similar_part_count = 0
                ticket.similar_case_html = False
                continue
            ticket.similar_case_count = found["cases"]
            ticket.similar_case_scope = found["scope"]
            ticket.similar_part_count = len(found["parts"])
            ticket.similar_case_html = QWeb._render(
                "aftersales_service.ticket_similar_cases",
                {
                    "ticket": ticket,
                    "history": found,
                    "scope_label": scopes.get(found["scope"], ""),
                },
            )

    def _compute_unit_picking_count(self):
        counts = {}
        if self.ids:
            counts = dict(
                self.env["stock.picking"]._read_group(
                    [("aftersales_ticket_id", "in", self.ids)],
                    ["aftersales_ticket_id"],
                    ["__count"],
                )
            )
        for ticket in self:
            ticket.unit_picking_count = counts.get(ticket, 0)

    def _unit_pickings(self):
        """{ticket id: its unit transfers not cancelled, oldest first}: one
        search for the set."""
        result = {ticket.id: self.env["stock.picking"] for ticket in self}
        ticket_ids = self._may_have("unit_picking_ids").ids
        if ticket_ids:
            pickings = (
                self.env["stock.picking"]
                .sudo()
                .search(
                    [
                        ("aftersales_ticket_id", "in", ticket_ids),
                        ("state", "!=", "cancel"),
                    ],
                    order="id",
                )
            )
            for picking in pickings:
                result[picking.aftersales_ticket_id.id] |= picking
        return result

    @api.depends("unit_picking_ids.state")
    def _compute_carry_in(self):
        pickings = self._unit_pickings()
        for ticket in self:
            last = pickings.get(ticket.id, self.env["stock.picking"])[-1:]
            if not last:
                ticket.carry_in_state = False
            elif last.aftersales_unit_flow == "in":
                ticket.carry_in_state = (
                    "in_workshop" if last.state == "done" else "expected"
                )
            else:
                ticket.carry_in_state = "returned" if last.state == "done" else "ready"

    @api.depends("unit_picking_ids.state")
    def _compute_carry_in_details(self):
        pickings = self._unit_pickings()
        for ticket in self:
            mine = pickings.get(ticket.id, self.env["stock.picking"])
            receipt = mine.filtered(lambda p: p.aftersales_unit_flow == "in")[-1:]
            back = mine.filtered(
                lambda p, r=receipt: p.aftersales_unit_flow == "out" and p.id > r.id
            )[-1:]
            ticket.carry_in_by_mail = receipt.aftersales_by_mail
            ticket.carry_in_receipt_ref = receipt.name or False
            ticket.carry_in_received_date = receipt.date_done
            ticket.carry_in_condition = receipt.aftersales_unit_condition or False
            ticket.carry_in_return_ref = back.name or False
            ticket.carry_in_ready_date = back.create_date if back else False
            ticket.carry_in_returned_date = back.date_done
            warehouse = (back or receipt).picking_type_id.warehouse_id
            address = warehouse.partner_id or ticket.company_id.partner_id
            ticket.carry_in_pickup_address = (
                address._display_address(without_company=True).replace("\n", ", ")
                if receipt
                else False
            )

    @api.depends("lot_id")
    def _compute_unit_location(self):
        """Where each ticket's serial is: the location of its positive quant
        (an internal one first), with the date it came in; one aggregate
        query for the set."""
        found = {}
        lots = self.lot_id
        if lots:
            groups = self.env["stock.quant"]._read_group(
                [("lot_id", "in", lots.ids), ("quantity", ">", 0)],
                ["lot_id", "location_id"],
                ["in_date:max"],
            )
            for lot, location, in_date in groups:
                known = found.get(lot.id)
                if not known or (
                    location.usage == "internal" and known[0].usage != "internal"
                ):
                    found[lot.id] = (location, in_date)
        workshops = ()
        if any(loc.usage == "internal" for loc, __ in found.values()):
            workshops = tuple(
                self.env["stock.warehouse"]
                .search([("aftersales_workshop_location_id", "!=", False)])
                .aftersales_workshop_location_id.mapped("parent_path")
            )
        for ticket in self:
            location, in_date = found.get(
                ticket.lot_id.id, (self.env["stock.location"], False)
            )
            ticket.unit_location_id = location
            ticket.unit_location_date = in_date
            if not location:
                ticket.unit_whereabouts = "unknown" if ticket.lot_id else False
            elif location.usage == "internal":
                ticket.unit_whereabouts = (
                    "workshop"
                    if workshops and location.parent_path.startswith(workshops)
                    else "stock"
                )
            elif location.usage == "transit":
                ticket.unit_whereabouts = "transit"
            else:
                ticket.unit_whereabouts = "customer"

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("remote_session_notes", "remote_session_duration")
    def _check_remote_session(self):
        for ticket in self:
            if ticket.remote_session_duration < 0:
                raise ValidationError(
                    _(
                        "Remote Session Time: %(ticket)s cannot have a negative "
                        "session time.",
                        ticket=ticket.name,
                    )
                )
            recorded = (
                ticket.remote_session_notes or ""
            ).strip() or ticket.remote_session_duration
            if recorded and ticket.resolution_mode != "remote":
                raise ValidationError(
                    _(
                        "Remote session: %(ticket)s is not resolved by remote "
                        "support. Set its resolution mode to Remote Support "
                        "before recording a session.",
                        ticket=ticket.name,
                    )
                )

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _technician_writable_fields(self):
        return super()._technician_writable_fields() | FIELD_TECHNICIAN_FIELDS

    def _sla_targets(self):
        """Planned work is agreed ahead (the visit's due date): no response
        or resolution target runs from the day the ticket is opened."""
        if self.is_planned_work:
            return {}
        return super()._sla_targets()

    def _send_acknowledgement(self):
        """The customer did not write in for planned work: no "we received
        your request" e-mail (the visit's confirmation tells them)."""
        return super(
            AftersalesTicket, self.filtered(lambda t: not t.is_planned_work)
        )._send_acknowledgement()

    def _check_can_close(self, stage):
        """The customer's unit goes back before the case closes."""
        res = super()._check_can_close(stage)
        held = self.filtered(lambda t: t.carry_in_state in ("in_workshop", "ready"))
        if held:
            ticket = held[0]
            raise UserError(
                _(
                    "The customer's unit %(lot)s of %(ticket)s is still with us "
                    "(%(state)s): return it to the customer before closing the "
                    "ticket.",
                    lot=ticket.lot_id.name,
                    ticket=ticket.name,
                    state=dict(
                        self._fields["carry_in_state"]._description_selection(self.env)
                    )[ticket.carry_in_state],
                )
            )
        return res

    def _on_transition(self, kind, previous):
        """A closed case no longer waits for a unit by mail."""
        res = super()._on_transition(kind, previous)
        if kind == "closed":
            expected = (
                self.env["stock.picking"]
                .sudo()
                .search(
                    [
                        ("aftersales_ticket_id", "in", self.ids),
                        ("aftersales_unit_flow", "=", "in"),
                        ("state", "not in", ("done", "cancel")),
                    ]
                )
            )
            if expected:
                expected.action_cancel()
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_receive_unit(self):
        self.ensure_one()
        self._carry_in_check_ticket()
        return {
            "type": "ir.actions.act_window",
            "name": _("Receive the Customer's Unit"),
            "res_model": "aftersales.carry.in.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_ticket_id": self.id,
                "default_lot_id": self.lot_id.id,
            },
        }

    def action_unit_ready(self):
        for ticket in self:
            ticket._carry_in_ready_for_pickup()
        return True

    def action_unit_hand_over(self):
        for ticket in self:
            ticket._carry_in_hand_over()
        return True

    def action_print_unit_receipt(self):
        return self.env.ref(
            "aftersales_service.action_report_aftersales_unit_receipt"
        ).report_action(self)

    def action_view_unit_transfers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Unit Transfers"),
            "res_model": "stock.picking",
            "view_mode": "list,form",
            "domain": [("aftersales_ticket_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_request_similar_parts(self):
        """Request the parts similar cases used, at their usual quantity:
        added to the ticket's draft parts request (a new one when there is
        none), which the user then confirms to reserve them."""
        self.ensure_one()
        if self.is_closed:
            raise UserError(
                _("%(ticket)s is closed: no parts can be requested.", ticket=self.name)
            )
        parts = self._similar_case_history().get(self, {}).get("parts", [])
        if not parts:
            raise UserError(
                _(
                    "No part was used in solved cases of this product and fault: "
                    "request the parts you need with Request Parts."
                )
            )
        Reservation = self.env["aftersales.part.reservation"]
        reservation = Reservation.search(
            [("ticket_id", "=", self.id), ("state", "=", "draft")],
            order="id desc",
            limit=1,
        )
        requested = reservation.line_ids.product_id
        lines = [
            Command.create(
                {"product_id": part["product"].id, "product_qty": part["qty"]}
            )
            for part in parts
            if part["product"] not in requested
        ]
        if reservation:
            if lines:
                reservation.write({"line_ids": lines})
        else:
            reservation = Reservation.create(
                {
                    "ticket_id": self.id,
                    "line_ids": lines,
                    "note": _(
                        "Parts used in similar cases of %(fault)s.",
                        fault=self.fault_code_id.display_name,
                    ),
                }
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("Request Parts"),
            "res_model": "aftersales.part.reservation",
            "res_id": reservation.id,
            "view_mode": "form",
        }

    def action_view_visits(self):
        self.ensure_one()
        return self.env["aftersales.visit"]._action_view(
            [("ticket_id", "=", self.id)],
            {"default_ticket_id": self.id},
        )

    # ------------------------------------------------------------------
    # Carry-in / mail-in
    # ------------------------------------------------------------------

    def _carry_in_warehouse(self):
        """The warehouse whose workshop takes the unit: the team's (or its
        parents'), else the company's first; set up for carry-in."""
        self.ensure_one()
        warehouse = self.team_id._aftersales_parts_warehouse() if self.team_id else None
        if not warehouse or warehouse.company_id != self.company_id:
            warehouse = self.env["stock.warehouse"].search(
                [("company_id", "=", self.company_id.id)], limit=1
            )
        if not warehouse:
            raise UserError(
                _(
                    "%(company)s has no warehouse: a customer's unit can only be "
                    "received into a warehouse's workshop.",
                    company=self.company_id.name,
                )
            )
        if not (
            warehouse.aftersales_unit_in_type_id
            and warehouse.aftersales_unit_out_type_id
        ):
            warehouse._aftersales_workshop_setup()
        return warehouse.sudo()

    def _carry_in_check_ticket(self):
        """Who may work the ticket, on a ticket that can take a unit."""
        self.ensure_one()
        self.check_access("write")
        if self.is_closed:
            raise UserError(
                _(
                    "%(ticket)s is closed: reopen it before moving the customer's "
                    "unit.",
                    ticket=self.name,
                )
            )
        if not self.lot_id:
            raise UserError(
                _(
                    "Serial Number: %(ticket)s has no serial number. A unit is "
                    "received and returned by its serial: set it on the ticket "
                    "first.",
                    ticket=self.name,
                )
            )
        if not self.lot_id.product_id.sudo().is_storable:
            raise UserError(
                _(
                    "%(product)s is not tracked in stock: its units cannot be "
                    "received into the workshop.",
                    product=self.lot_id.product_id.display_name,
                )
            )

    def _carry_in_receive(self, lot, condition=False, by_mail=False):
        """Receive the customer's unit ``lot`` into the workshop: a receipt
        of the warehouse's unit receipt operation, validated at once when the
        unit is handed over at the counter, left for the stock staff to
        validate on arrival when it comes by mail.

        The user must be allowed to work the ticket; the stock operations run
        as superuser (agents and technicians have no stock rights), and who
        asked is logged on the transfer."""
        self.ensure_one()
        self._carry_in_check_ticket()
        if lot != self.lot_id:
            raise UserError(
                _(
                    "The unit handed over has serial number %(found)s, but "
                    "%(ticket)s is about serial number %(lot)s. Check the serial "
                    "plate, or correct the ticket's serial first.",
                    found=lot.name or _("(none)"),
                    ticket=self.name,
                    lot=self.lot_id.name,
                )
            )
        if self.carry_in_state == "expected":
            raise UserError(
                _(
                    "The unit of %(ticket)s is already expected (%(receipt)s): "
                    "validate that receipt when it arrives.",
                    ticket=self.name,
                    receipt=self.carry_in_receipt_ref,
                )
            )
        if self.unit_whereabouts in ("workshop", "stock", "transit"):
            raise UserError(
                _(
                    "The unit %(lot)s is already with us (%(location)s): it "
                    "cannot be received twice.",
                    lot=lot.name,
                    location=self.unit_location_id.display_name,
                )
            )
        if self.resolution_mode not in ("carry_in", "exchange"):
            self.resolution_mode = "carry_in"
        warehouse = self._carry_in_warehouse()
        partner = self.partner_id.sudo()
        source = partner.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        workshop = warehouse.aftersales_workshop_location_id
        picking = self._carry_in_create_picking(
            warehouse.aftersales_unit_in_type_id,
            source,
            workshop,
            {
                "aftersales_unit_flow": "in",
                "aftersales_unit_condition": condition or False,
                "aftersales_by_mail": by_mail,
            },
        )
        move = picking.move_ids
        move._action_confirm()
        move._action_assign()
        move.move_line_ids.write({"lot_id": lot.id, "quantity": 1.0})
        picking._message_log(
            body=self.env._(
                "Customer's unit for %(ticket)s, recorded by %(user)s.",
                ticket=self.name,
                user=self.env.user.name,
            )
        )
        if by_mail:
            self.message_post(
                body=_(
                    "Unit %(lot)s expected by mail: receipt %(receipt)s, to be "
                    "validated by the stock staff when it arrives.",
                    lot=lot.name,
                    receipt=picking.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        else:
            move.picked = True
            picking._action_done()
        return picking

    def _carry_in_ready_for_pickup(self):
        """The repaired unit is ready: a return transfer reserves exactly
        this serial where it is and the customer gets the pickup notice."""
        self.ensure_one()
        self._carry_in_check_ticket()
        if self.carry_in_state == "ready":
            raise UserError(
                _(
                    "The unit of %(ticket)s is already waiting for its customer "
                    "(%(picking)s).",
                    ticket=self.name,
                    picking=self.carry_in_return_ref,
                )
            )
        location = self.unit_location_id
        if self.unit_whereabouts not in ("workshop", "stock"):
            raise UserError(
                _(
                    "The unit %(lot)s of %(ticket)s was not received (it is "
                    "%(where)s): there is nothing to return.",
                    lot=self.lot_id.name,
                    ticket=self.name,
                    where=dict(
                        self._fields["unit_whereabouts"]._description_selection(
                            self.env
                        )
                    )
                    .get(self.unit_whereabouts, "")
                    .lower(),
                )
            )
        warehouse = location.warehouse_id or self._carry_in_warehouse()
        if not warehouse.aftersales_unit_out_type_id:
            warehouse._aftersales_workshop_setup()
        partner = self.partner_id.sudo()
        destination = partner.property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        picking = self._carry_in_create_picking(
            warehouse.aftersales_unit_out_type_id,
            location,
            destination,
            {
                "aftersales_unit_flow": "out",
                "aftersales_by_mail": self.carry_in_by_mail,
            },
        )
        move = picking.move_ids
        move._action_confirm()
        move._do_unreserve()
        move._update_reserved_quantity(1.0, location, lot_id=self.lot_id, strict=False)
        move._recompute_state()
        if move.state != "assigned":
            raise UserError(
                _(
                    "The unit %(lot)s could not be reserved in %(location)s for "
                    "its return: check the stock there.",
                    lot=self.lot_id.name,
                    location=location.display_name,
                )
            )
        picking._message_log(
            body=self.env._(
                "Return of the customer's unit for %(ticket)s, prepared by %(user)s.",
                ticket=self.name,
                user=self.env.user.name,
            )
        )
        self.invalidate_recordset(["carry_in_state"])
        self._carry_in_send("aftersales_service.mail_template_unit_ready")
        return picking

    def _carry_in_hand_over(self):
        """The customer collected the unit (or the carrier took it): the
        return transfer is validated."""
        self.ensure_one()
        self._carry_in_check_ticket()
        picking = (
            self.env["stock.picking"]
            .sudo()
            .search(
                [
                    ("aftersales_ticket_id", "=", self.id),
                    ("aftersales_unit_flow", "=", "out"),
                    ("state", "=", "assigned"),
                ],
                limit=1,
            )
        )
        if not picking:
            raise UserError(
                _(
                    "The unit of %(ticket)s is not ready for pickup: mark it "
                    "ready first.",
                    ticket=self.name,
                )
            )
        picking.move_ids.picked = True
        picking._action_done()
        return picking

    def _carry_in_create_picking(self, picking_type, source, destination, extra):
        self.ensure_one()
        product = self.lot_id.product_id
        vals = {
            "picking_type_id": picking_type.id,
            "partner_id": self.partner_id.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
            "origin": self.name,
            "company_id": self.company_id.id,
            "aftersales_ticket_id": self.id,
            "move_type": "direct",
            "move_ids": [
                Command.create(
                    {
                        "name": product.display_name,
                        "product_id": product.id,
                        "product_uom_qty": 1.0,
                        "product_uom": product.uom_id.id,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                        "company_id": self.company_id.id,
                        "partner_id": self.partner_id.id,
                    }
                )
            ],
            **extra,
        }
        return (
            self.env["stock.picking"]
            .sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
            .create(vals)
        )

    def _carry_in_send(self, template_xmlid):
        """The receipt or the pickup notice, in the ticket's chatter: e-mailed
        to the customer unless they stopped the service e-mails (then logged
        for the counter to print)."""
        self.ensure_one()
        template = self.env.ref(template_xmlid).sudo()
        ticket = self.sudo()
        ticket.invalidate_recordset()
        if ticket._wants_updates():
            ticket.message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
                email_layout_xmlid="mail.mail_notification_light",
                author_id=self.env.user.partner_id.id,
            )
            return
        values = template._generate_template(
            ticket.ids, ("subject", "body_html", "report_template_ids")
        )[ticket.id]
        ticket.message_post(
            body=values["body_html"],
            subject=values["subject"],
            attachments=values.get("attachments", []),
            subtype_xmlid="mail.mt_note",
            author_id=self.env.user.partner_id.id,
        )

    # ------------------------------------------------------------------
    # Fault history
    # ------------------------------------------------------------------

    def _similar_case_history(self):
        """How solved cases with the same fault were resolved, for each
        ticket with a product and a fault code, in ONE aggregate query for
        the whole set: remedies and consumed parts of the closed, solved
        tickets of the company with the same fault code and the same product
        or product category (the ticket itself left out).

        The product's own history is used when it has at least
        ``SIMILAR_MIN_CASES`` cases, else the whole category's.

        Returns {ticket: {"scope": "product" | "category", "cases": n,
        "remedies": [{"remedy", "cases", "share"}], "parts": [{"product",
        "cases", "share", "qty"}]}}, most frequent first."""
        todo = self.filtered(lambda t: t.product_id and t.fault_code_id)
        if not todo:
            return {}
        for model, fnames in (
            (
                "aftersales.ticket",
                [
                    "product_id",
                    "fault_code_id",
                    "remedy_id",
                    "outcome",
                    "is_closed",
                    "company_id",
                    "active",
                ],
            ),
            (
                "aftersales.part.reservation.line",
                ["ticket_id", "state", "product_id", "consumed_product_qty"],
            ),
        ):
            self.env[model].flush_model(fnames)
        rows = [
            (
                index,
                ticket._origin.id or 0,
                ticket.product_id._origin.id,
                ticket.product_id.categ_id._origin.id or 0,
                ticket.fault_code_id._origin.id,
                (ticket.company_id or self.env.company)._origin.id,
            )
            for index, ticket in enumerate(todo)
        ]
        self.env.cr.execute(
            """
            WITH me AS (
                SELECT *
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[],
                              %s::int[], %s::int[])
                    AS m(idx, ticket_id, product_id, categ_id, fault_id, company_id)
            ), cases AS (
                SELECT m.idx AS for_id,
                       t.id,
                       t.remedy_id,
                       t.product_id = m.product_id AS same_product
                  FROM me m
                  JOIN aftersales_ticket t
                    ON t.fault_code_id = m.fault_id
                   AND t.company_id = m.company_id
                   AND t.id != m.ticket_id
                  JOIN product_product pp ON pp.id = t.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE t.is_closed
                   AND t.outcome = 'solved'
                   AND t.active
                   AND (t.product_id = m.product_id OR pt.categ_id = m.categ_id)
            )
            SELECT for_id, same_product, 'case', 0, count(*), 0.0::float
              FROM cases
             GROUP BY for_id, same_product
            UNION ALL
            SELECT for_id, same_product, 'remedy', remedy_id, count(*), 0.0::float
              FROM cases
             WHERE remedy_id IS NOT NULL
             GROUP BY for_id, same_product, remedy_id
            UNION ALL
            SELECT s.for_id, s.same_product, 'part', l.product_id,
                   count(DISTINCT s.id), sum(l.consumed_product_qty)::float
              FROM cases s
              JOIN aftersales_part_reservation_line l
                ON l.ticket_id = s.id
               AND l.state = 'done'
               AND l.consumed_product_qty > 0
             GROUP BY s.for_id, s.same_product, l.product_id
            """,
            [list(column) for column in zip(*rows, strict=True)],
        )
        # {ticket: {same_product: {kind: {key: [cases, qty]}}}}
        counts = defaultdict(
            lambda: defaultdict(
                lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
            )
        )
        for for_id, same_product, kind, key, cases, qty in self.env.cr.fetchall():
            entry = counts[for_id][same_product][kind][key]
            entry[0] += cases
            entry[1] += qty or 0.0
        scoped = {}
        for for_id, by_scope in counts.items():
            if by_scope[True]["case"][0][0] >= SIMILAR_MIN_CASES:
                scope, parts_of = "product", [by_scope[True]]
            else:
                scope, parts_of = "category", [by_scope[True], by_scope[False]]
            merged = defaultdict(lambda: defaultdict(lambda: [0, 0]))
            for part in parts_of:
                for kind, keys in part.items():
                    for key, (cases, qty) in keys.items():
                        merged[kind][key][0] += cases
                        merged[kind][key][1] += qty
            if merged["case"][0][0]:
                scoped[for_id] = (scope, merged)
        # Records read once for every ticket of the set.
        remedies = (
            self.env["aftersales.fault.remedy"]
            .with_context(active_test=False)
            .browse({key for __, merged in scoped.values() for key in merged["remedy"]})
        )
        products = (
            self.env["product.product"]
            .with_context(active_test=False)
            .browse({key for __, merged in scoped.values() for key in merged["part"]})
        )
        remedy_by_id = {remedy.id: remedy for remedy in remedies}
        product_by_id = {product.id: product for product in products}
        result = {}
        for for_id, (scope, merged) in scoped.items():
            total = merged["case"][0][0]
            ranked_remedies = sorted(
                merged["remedy"].items(), key=lambda item: (-item[1][0], item[0])
            )
            ranked_parts = sorted(
                merged["part"].items(),
                key=lambda item: (-item[1][0], -item[1][1], item[0]),
            )
            result[todo[for_id]] = {
                "scope": scope,
                "cases": total,
                "remedies": [
                    {
                        "remedy": remedy_by_id[key],
                        "cases": cases,
                        "share": self._similar_share(cases, total),
                    }
                    for key, (cases, __) in ranked_remedies
                ],
                "parts": [
                    {
                        "product": product_by_id[key],
                        "cases": cases,
                        "share": self._similar_share(cases, total),
                        "qty": self._similar_part_qty(product_by_id[key], qty / cases),
                    }
                    for key, (cases, qty) in ranked_parts
                ],
            }
        return result

    @api.model
    def _similar_part_qty(self, product, average):
        """The usual quantity of a part: the average per case, in whole units
        for parts counted in units (half up), else to the unit's rounding;
        never less than one unit's rounding."""
        uom = product.uom_id
        rounding = uom.rounding
        unit_categ_id = self.env["ir.model.data"]._xmlid_to_res_id(
            "uom.product_uom_categ_unit"
        )
        if uom.category_id.id == unit_categ_id:
            rounding = max(rounding, 1.0)
        return max(float_round(average, precision_rounding=rounding), rounding)

    @api.model
    def _similar_share(self, cases, total):
        """Percentage of the similar cases, rounded half up."""
        return int(float_round(100.0 * cases / total, precision_digits=0))
