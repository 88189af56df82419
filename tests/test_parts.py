from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user

from odoo.addons.aftersales_service.models.aftersales_part_reservation import (
    AftersalesPartReservation,
)

from .common import AftersalesCase

# Queries of consuming two parts (stock moves, quotation, warranty cost) and of
# cancelling a one-part reservation, the quant lock included.
CONSUME_QUERIES = 200
CANCEL_QUERIES = 70


class PartsCase(AftersalesCase):
    """Real stock: a warehouse with spare parts, stock staff, a customer
    with a pricelist, a ticket assigned to a technician."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_stock = new_test_user(
            env,
            login="as_stock",
            name="Ma Storekeeper",
            groups="stock.group_stock_user",
        )
        cls.user_stock_manager = new_test_user(
            env,
            login="as_stock_mgr",
            name="He Stock Manager",
            groups="stock.group_stock_manager",
        )
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse._aftersales_parts_setup()
        cls.stock = cls.warehouse.lot_stock_id
        cls.service = cls.warehouse.aftersales_service_location_id
        cls.defective = cls.warehouse.aftersales_defective_location_id
        cls.customers = env.ref("stock.stock_location_customers")
        Product = env["product.product"]
        cls.part_board = Product.create(
            {
                "name": "Control Board CB-7",
                "is_storable": True,
                "standard_price": 50.0,
                "list_price": 120.0,
            }
        )
        cls.part_filter = Product.create(
            {
                "name": "Filter F-2",
                "is_storable": True,
                "standard_price": 8.0,
                "list_price": 20.0,
            }
        )
        cls.part_motor = Product.create(
            {"name": "Fan Motor FM-1", "is_storable": True, "standard_price": 30.0}
        )
        cls.part_serial = Product.create(
            {"name": "Compressor C-9", "is_storable": True, "tracking": "serial"}
        )
        cls.service_product = Product.create({"name": "Cleaning", "type": "service"})
        cls.consumable = Product.create({"name": "Tape", "type": "consu"})
        Quant = env["stock.quant"]
        Quant._update_available_quantity(cls.part_board, cls.stock, 5)
        Quant._update_available_quantity(cls.part_filter, cls.stock, 10)
        cls.lot_c1 = env["stock.lot"].create(
            {"name": "C9-001", "product_id": cls.part_serial.id}
        )
        cls.lot_c2 = env["stock.lot"].create(
            {"name": "C9-002", "product_id": cls.part_serial.id}
        )
        Quant._update_available_quantity(
            cls.part_serial, cls.stock, 1, lot_id=cls.lot_c1
        )
        Quant._update_available_quantity(
            cls.part_serial, cls.stock, 1, lot_id=cls.lot_c2
        )
        cls.pricelist = env["product.pricelist"].create(
            {
                "name": "Service Customers",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.part_board.id,
                            "compute_price": "fixed",
                            "fixed_price": 99.0,
                        }
                    )
                ],
            }
        )
        cls.customer.property_product_pricelist = cls.pricelist
        cls.ticket = cls._create_ticket(
            env(user=cls.user_agent), technician_id=cls.emp_technician.id
        )

    def _reserve(self, user, lines, ticket=None, confirm=True):
        env = self.env(user=user)
        reservation = env["aftersales.part.reservation"].create(
            {
                "ticket_id": (ticket or self.ticket).id,
                "line_ids": [
                    Command.create(
                        {"product_id": product.id, "product_qty": qty, **extra}
                    )
                    for product, qty, extra in (
                        line if len(line) == 3 else (*line, {}) for line in lines
                    )
                ],
            }
        )
        if confirm:
            reservation.action_confirm()
        return reservation

    def _quant(self, product, location):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )
        return sum(quants.mapped("quantity")), sum(quants.mapped("reserved_quantity"))

    def _moves(self, reservation):
        return self.env["stock.move"].search(
            [("group_id", "=", reservation.sudo().procurement_group_id.id)]
        )


class TestPartsReservation(PartsCase):
    def test_technician_reserves_real_stock(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 2)])
        self.assertEqual(reservation.state, "confirmed")
        self.assertEqual(reservation.requested_by_id, self.user_technician)
        self.assertRegex(reservation.name, r"^PR\d{2}\d{6}$")
        line = reservation.line_ids
        move = line.sudo().move_id
        self.assertEqual(move.state, "assigned")
        self.assertEqual(move.location_id, self.stock)
        self.assertEqual(move.location_dest_id, self.service)
        self.assertEqual(
            move.picking_id.picking_type_id, self.warehouse.aftersales_parts_type_id
        )
        self.assertEqual(move.picking_id.state, "assigned")
        # The two units are no longer available to anyone else.
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 2.0))
        self.assertEqual(
            self.part_board.with_context(location=self.stock.id).free_qty, 3.0
        )
        self.assertEqual(line.availability, "reserved")
        self.assertEqual(line.qty_reserved, 2.0)
        self.assertFalse(reservation.has_shortage)
        # Who asked is logged on the transfer the flow made with superuser rights.
        self.assertIn("Li Technician", move.picking_id.message_ids[0].body)
        # The technician has no stock rights of their own.
        with self.assertRaises(AccessError):
            self.env["stock.move"].with_user(self.user_technician).browse(move.id).read(
                ["state"]
            )
        with self.assertRaises(AccessError):
            self.env["stock.picking"].with_user(self.user_technician).create(
                {"picking_type_id": self.warehouse.out_type_id.id}
            )

    def test_van_and_service_point_destination(self):
        van = self.env["stock.location"].create(
            {
                "name": "Van Li",
                "usage": "internal",
                "location_id": self.warehouse.view_location_id.id,
            }
        )
        point = self.env["stock.location"].create(
            {
                "name": "Hangzhou Point Shelf",
                "usage": "internal",
                "location_id": self.warehouse.view_location_id.id,
            }
        )
        self.emp_technician.aftersales_van_location_id = van
        self.team_point.service_location_id = point
        self.assertEqual(self.ticket.team_id, self.team_point)
        reservation = self._reserve(self.user_agent, [(self.part_filter, 1)])
        self.assertEqual(reservation.location_dest_id, point)
        self.team_point.parts_destination = "van"
        reservation = self._reserve(self.user_agent, [(self.part_filter, 1)])
        self.assertEqual(reservation.location_dest_id, van)
        self.assertEqual(reservation.line_ids.sudo().move_id.location_dest_id, van)

    def test_requested_lot_is_reserved(self):
        reservation = self._reserve(
            self.user_technician, [(self.part_serial, 1, {"lot_id": self.lot_c2.id})]
        )
        move = reservation.line_ids.sudo().move_id
        self.assertEqual(move.state, "assigned")
        self.assertEqual(move.move_line_ids.lot_id, self.lot_c2)
        quant = self.env["stock.quant"].search(
            [("lot_id", "=", self.lot_c2.id), ("location_id", "=", self.stock.id)]
        )
        self.assertEqual(quant.reserved_quantity, 1.0)

    def test_shortage_partial_expected_and_not_available(self):
        # An incoming receipt of the motor is expected in three days.
        receipt_date = datetime(2030, 1, 15, 9, 0)
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock.id,
                "scheduled_date": receipt_date,
                "move_ids": [
                    Command.create(
                        {
                            "name": "Motor",
                            "product_id": self.part_motor.id,
                            "product_uom_qty": 4,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.stock.id,
                            "date": receipt_date,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        no_stock = self.env["product.product"].create(
            {"name": "Door Seal DS-3", "is_storable": True}
        )
        reservation = self._reserve(
            self.user_technician,
            [
                (self.part_board, 7),
                (self.part_motor, 1),
                (no_stock, 1),
                (self.part_filter, 1),
            ],
        )
        board, motor, seal, filter_ = reservation.line_ids
        self.assertEqual(board.availability, "partial")
        self.assertEqual(board.qty_reserved, 5.0)
        self.assertEqual(board.shortage_qty, 2.0)
        self.assertEqual(motor.availability, "expected")
        self.assertEqual(motor.expected_date, receipt_date)
        self.assertEqual(seal.availability, "none")
        self.assertFalse(seal.expected_date)
        self.assertEqual(filter_.availability, "reserved")
        self.assertTrue(reservation.has_shortage)
        self.assertEqual(reservation.availability, "partial")
        self.assertTrue(self.ticket.has_part_shortage)
        self.assertIn("Shortage", reservation.message_ids[0].body)
        # The stock manager's list shows shortages first.
        full = self._reserve(
            self.user_technician, [(self.part_filter, 1)], confirm=True
        )
        lines = (
            self.env["aftersales.part.reservation.line"]
            .with_user(self.user_stock)
            .search([("state", "=", "confirmed")])
        )
        shortage_flags = lines.mapped("is_shortage")
        self.assertEqual(shortage_flags, sorted(shortage_flags, reverse=True))
        self.assertIn(full.line_ids, lines)
        self.assertEqual(lines[-1].availability, "reserved")
        # When the motors arrive, Odoo reserves them for the waiting line.
        receipt.move_ids.quantity = 4
        receipt.move_ids.picked = True
        receipt._action_done()
        self.assertEqual(motor.availability, "reserved")
        self.assertEqual(motor.sudo().move_id.state, "assigned")

    def _draft_reservations(self, tickets, product):
        return self.env["aftersales.part.reservation"].create(
            [
                {
                    "ticket_id": ticket.id,
                    "line_ids": [
                        Command.create({"product_id": product.id, "product_qty": 1})
                    ],
                }
                for ticket in tickets
            ]
        )

    def _confirm_queries(self, reservations):
        """Queries of a batch confirmation, with what the commit runs
        (tracking and other pre-commit work included)."""
        self.env.cr.flush()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        reservations.action_confirm()
        self.env.cr.flush()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_batch_reservation_query_count(self):
        """A batch reservation costs Odoo's own reservation of each move (the
        quants available, the quant locked, the move line and its quantity:
        five queries) and nothing more per reservation: the transfers'
        references, their followers, the notes with the status change and
        the lines' reserved quantities are written once for the batch."""
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.part_filter, self.stock, 20)
        tickets = self.env["aftersales.ticket"].create(
            [
                self._ticket_vals(technician_id=self.emp_technician.id)
                for __ in range(15)
            ]
        )
        self._confirm_queries(self._draft_reservations(tickets[:1], self.part_filter))
        small = self._draft_reservations(tickets[1:4], self.part_filter)
        large = self._draft_reservations(tickets[4:], self.part_filter)
        small_queries = self._confirm_queries(small)
        large_queries = self._confirm_queries(large)
        self.assertEqual(set((small | large).mapped("state")), {"confirmed"})
        self.assertEqual(self._quant(self.part_filter, self.stock), (30.0, 15.0))
        # 8 reservations more: at most Odoo's five queries per move each
        self.assertLessEqual(large_queries - small_queries, 5 * 8)
        self.assertLessEqual(small_queries, 64)

    def test_batch_reservation_notes_followers_references(self):
        """One message per reservation: the note with its status change; one
        note per transfer saying who asked; each transfer its own reference
        and its responsible (the technician) as a follower."""
        tickets = self.env["aftersales.ticket"].create(
            [self._ticket_vals(technician_id=self.emp_technician.id) for __ in range(3)]
        )
        visit = datetime(2031, 5, 6, 9, 0)
        tickets[1].appointment_start = visit
        reservations = self._draft_reservations(tickets, self.part_filter)
        before = {r.id: len(r.message_ids) for r in reservations}
        reservations.with_user(self.user_technician).action_confirm()
        self.env.cr.flush()  # Odoo's own tracking would be posted here
        pickings = reservations.sudo().picking_id
        self.assertEqual(len(pickings), 3)
        self.assertEqual(len(set(pickings.mapped("name"))), 3)
        prefix = self.warehouse.aftersales_parts_type_id.sequence_id.prefix
        self.assertTrue(
            all(name.startswith(prefix) for name in pickings.mapped("name"))
        )
        for reservation in reservations:
            new = reservation.message_ids[
                : len(reservation.message_ids) - before[reservation.id]
            ]
            self.assertEqual(len(new), 1, "one message per reservation")
            self.assertIn("Reserved on request of Li Technician", new.body)
            self.assertEqual(
                new.sudo().tracking_value_ids.mapped(
                    lambda t: (t.field_id.name, t.old_value_char, t.new_value_char)
                ),
                [("state", "Draft", "Reserved")],
            )
            picking = reservation.sudo().picking_id
            self.assertEqual(picking.user_id, self.user_technician)
            self.assertIn(self.user_technician.partner_id, picking.message_partner_ids)
            self.assertIn("Li Technician", picking.message_ids[0].body)
            self.assertEqual(picking.scheduled_date, picking.move_ids.date)
        # the transfer and its move are planned for the visit
        self.assertEqual(reservations[1].sudo().picking_id.scheduled_date, visit)
        self.assertEqual(reservations[1].sudo().picking_id.move_ids.date, visit)
        self.assertNotEqual(reservations[0].sudo().picking_id.scheduled_date, visit)


class TestPartsExpiry(PartsCase):
    def test_expired_reservation_released_and_owner_told(self):
        with freeze_time("2030-03-01 08:00:00"):
            self.ticket.appointment_start = datetime(2030, 3, 2, 9, 0)
            reservation = self._reserve(self.user_technician, [(self.part_board, 2)])
            other = self._reserve(self.user_agent, [(self.part_filter, 1)])
        self.assertEqual(reservation.date_expiry, datetime(2030, 3, 5, 9, 0))
        Reservation = self.env["aftersales.part.reservation"]
        with freeze_time("2030-03-05 08:59:00"):
            Reservation._cron_release_expired()
        self.assertEqual(reservation.state, "confirmed")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 2.0))
        with freeze_time("2030-03-05 09:01:00"):
            Reservation._cron_release_expired()
        self.assertEqual(reservation.state, "expired")
        self.assertEqual(other.state, "expired")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 0.0))
        self.assertEqual(reservation.line_ids.sudo().move_id.state, "cancel")
        activity = reservation.activity_ids
        self.assertEqual(activity.user_id, self.user_technician)
        self.assertEqual(activity.summary, "Parts reservation expired")
        self.assertEqual(other.activity_ids.user_id, self.user_agent)

    def test_one_failure_does_not_stop_the_others(self):
        with freeze_time("2030-03-01 08:00:00"):
            first = self._reserve(self.user_technician, [(self.part_board, 1)])
            second = self._reserve(self.user_technician, [(self.part_filter, 1)])
        original = AftersalesPartReservation._expire

        def failing(records):
            if records == first:
                raise UserError("boom")
            return original(records)

        with (
            freeze_time("2030-03-10 00:00:00"),
            patch.object(AftersalesPartReservation, "_expire", failing),
            self.assertLogs(
                "odoo.addons.aftersales_service.models.aftersales_part_reservation",
                level="ERROR",
            ),
        ):
            self.env["aftersales.part.reservation"]._cron_release_expired()
        self.assertEqual(first.state, "confirmed")
        self.assertEqual(second.state, "expired")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 1.0))
        self.assertEqual(self._quant(self.part_filter, self.stock), (10.0, 0.0))

    def test_expiry_hours_configurable(self):
        self.warehouse.aftersales_parts_expiry_hours = 24
        with freeze_time("2030-03-01 08:00:00"):
            reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        # Without a planned visit, counted from the reservation.
        self.assertEqual(reservation.date_expiry, datetime(2030, 3, 2, 8, 0))


class TestPartsConsumption(PartsCase):
    def _consume_with_form(self, reservation, user, values):
        action = reservation.with_user(user).action_consume()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(user)
            .with_context(**action["context"])
        )
        for index, vals in enumerate(values):
            with wizard_form.line_ids.edit(index) as line:
                for field, value in vals.items():
                    setattr(line, field, value)
        wizard_form.save().action_confirm()

    def test_consume_return_unused_defective_and_charge(self):
        reservation = self._reserve(
            self.user_technician, [(self.part_board, 3), (self.part_filter, 2)]
        )
        board, filter_ = reservation.line_ids
        self.assertTrue(board.customer_pays)
        # The agent decides the filters are on the company, with a reason.
        filter_.with_user(self.user_agent).write(
            {"customer_pays": False, "decision_note": "Goodwill: filter recall"}
        )
        self._consume_with_form(
            reservation,
            self.user_technician,
            [{"qty_consumed": 2, "qty_defective": 1}, {"qty_consumed": 2}],
        )
        self.assertEqual(reservation.state, "done")
        self.assertEqual((board.qty_consumed, board.qty_returned), (2.0, 1.0))
        # Unused board back in stock, consumed ones at the customer, the
        # defective one in the defective location, nothing left reserved.
        self.assertEqual(self._quant(self.part_board, self.stock), (3.0, 0.0))
        self.assertEqual(self._quant(self.part_board, self.service), (0.0, 0.0))
        self.assertEqual(self._quant(self.part_board, self.defective), (1.0, 0.0))
        self.assertEqual(self._quant(self.part_filter, self.stock), (8.0, 0.0))
        moves = self._moves(reservation)
        self.assertEqual(set(moves.mapped("state")), {"done"})
        to_customer = moves.filtered(
            lambda m: (
                m.location_dest_id == self.customers and m.product_id == self.part_board
            )
        )
        self.assertEqual(sum(to_customer.mapped("quantity")), 2.0)
        self.assertEqual(reservation.sudo().picking_id.state, "done")
        # The customer pays the boards at their pricelist; the filters are
        # warranty cost.
        order = reservation.sudo().sale_order_id
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.pricelist_id, self.pricelist)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.order_line.product_id, self.part_board)
        self.assertEqual(order.order_line.product_uom_qty, 2.0)
        self.assertEqual(order.order_line.price_unit, 99.0)
        self.assertEqual(filter_.warranty_cost, 16.0)
        self.assertEqual(board.warranty_cost, 0.0)
        self.assertEqual(self.ticket.part_warranty_cost, 16.0)
        # Confirming the quotation does not ship the parts a second time.
        order = order.with_env(self.env)
        order.action_confirm()
        self.assertEqual(order.order_line.qty_delivered, 2.0)
        self.assertFalse(order.picking_ids)

    def test_consume_and_cancel_query_count(self):
        """Consumption and cancel lock the parts' quants first (one query;
        see test_parts_concurrency): their query counts stay bounded. A first
        consumption and cancel warm the caches, the second ones are counted."""
        parts = [(self.part_board, 1), (self.part_filter, 1)]
        warm, counted = (self._reserve(self.user_technician, parts) for __ in "ab")
        warm_cancel, cancelled = (
            self._reserve(self.user_technician, [(self.part_board, 1)]) for __ in "ab"
        )

        def consume(reservation):
            board, filter_ = reservation.line_ids
            reservation.with_user(self.user_technician)._consume(
                {
                    board: {"qty_consumed": 1, "qty_defective": 1},
                    filter_: {"qty_consumed": 1},
                }
            )
            self.env.flush_all()

        consume(warm)
        self.env.invalidate_all()
        with self.assertQueryCount(CONSUME_QUERIES):
            consume(counted)
        self.assertEqual(counted.state, "done")
        warm_cancel.with_user(self.user_technician).action_cancel()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(CANCEL_QUERIES):
            cancelled.with_user(self.user_technician).action_cancel()
            self.env.flush_all()
        self.assertEqual(cancelled.state, "cancel")
        self.assertEqual(self._quant(self.part_board, self.stock), (3.0, 0.0))

    def test_consume_more_than_reserved_needs_reason(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        line = reservation.line_ids
        with self.assertRaisesRegex(
            UserError,
            r"^Reason for Extra: 2\.0 Units of Control Board CB-7 consumed but "
            r"only 1\.0 reserved; say why more was used\.$",
        ):
            reservation.with_user(self.user_technician)._consume(
                {line: {"qty_consumed": 2.0}}
            )
        self.assertEqual(reservation.state, "confirmed")
        self.assertEqual(line.qty_consumed, 0.0)
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 1.0))
        reservation.with_user(self.user_technician)._consume(
            {line: {"qty_consumed": 2.0, "over_reason": "Second board burnt on test"}}
        )
        self.assertEqual(self._quant(self.part_board, self.stock), (3.0, 0.0))
        self.assertEqual(line.over_reason, "Second board burnt on test")

    def test_negative_consumption_refused(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        with self.assertRaisesRegex(
            ValidationError,
            r"^Consumed: the quantity of Control Board CB-7 cannot be negative\.$",
        ):
            reservation._consume({reservation.line_ids: {"qty_consumed": -1.0}})
        self.assertEqual(reservation.state, "confirmed")

    def test_agent_requests_but_does_not_consume(self):
        reservation = self._reserve(self.user_agent, [(self.part_board, 1)])
        self.assertEqual(reservation.state, "confirmed")
        self.assertFalse(reservation.with_user(self.user_agent).can_consume)
        with self.assertRaisesRegex(UserError, "Only the ticket's technician"):
            reservation.with_user(self.user_agent).action_consume()
        with self.assertRaisesRegex(UserError, "Only the ticket's technician"):
            reservation.with_user(self.user_agent)._consume(
                {reservation.line_ids: {"qty_consumed": 1.0}}
            )
        self.assertEqual(reservation.state, "confirmed")
        # The stock staff can record it.
        self._consume_with_form(reservation, self.user_stock, [{"qty_consumed": 1}])
        self.assertEqual(reservation.state, "done")

    def _warranted_ticket(self, day, lot=None):
        """A ticket on a unit delivered on 10 January 2026 with a one-year
        warranty, its parts repaired under a 90-day repair warranty."""
        term = self.env["aftersales.warranty.term"].create(
            {"name": "One year", "duration": 1, "duration_unit": "year"}
        )
        warranty = self.env["aftersales.warranty"].create(
            {
                "partner_id": self.customer.id,
                "lot_id": (lot or self.lot_ac1).id,
                "term_id": term.id,
                "delivery_date": "2026-01-10",
            }
        )
        with freeze_time(day):
            ticket = self._create_ticket(
                self.env(user=self.user_agent),
                lot_id=(lot or self.lot_ac1).id,
                technician_id=self.emp_technician.id,
            )
        return ticket, warranty

    def test_charging_follows_the_warranty_decision(self):
        ticket, __ = self._warranted_ticket("2026-03-01")
        covered = self._reserve(self.user_technician, [(self.part_board, 1)], ticket)
        self.assertFalse(covered.line_ids.customer_pays)
        self.assertEqual(covered.line_ids.covered_percent, 100.0)
        self.assertEqual(
            covered.line_ids.charge_reason, "unit warranty until 01/09/2027"
        )
        late, __ = self._warranted_ticket("2027-02-01", self.lot_ac2)
        charged = self._reserve(self.user_technician, [(self.part_board, 1)], late)
        self.assertTrue(charged.line_ids.customer_pays)
        self.assertEqual(
            charged.line_ids.charge_reason, "unit warranty ended 01/09/2027"
        )

    def test_consumed_parts_get_a_repair_warranty_when_solved(self):
        ticket, warranty = self._warranted_ticket("2026-08-01")
        reservation = self._reserve(
            self.user_technician, [(self.part_board, 2), (self.part_filter, 1)], ticket
        )
        board, filter_ = reservation.line_ids
        # One board used, the filter not: only the board is a replaced part.
        with freeze_time("2026-08-02 09:00:00"):
            reservation.with_user(self.user_technician)._consume(
                {board: {"qty_consumed": 1.0}, filter_: {"qty_consumed": 0.0}}
            )
        with freeze_time("2026-08-05"):
            ticket.with_user(self.user_technician).stage_id = self.stage_solved
        repair = warranty.component_ids.filtered(lambda c: c.kind == "repair")
        self.assertEqual(repair.product_id, self.part_board)
        self.assertEqual(repair.ticket_id, ticket)
        # The part's warranty runs from the day it was fitted, not the closing.
        self.assertEqual(repair.start_date, date(2026, 8, 2))
        self.assertEqual(repair.end_date, date(2026, 10, 30))

    def test_cancelled_ticket_starts_no_repair_warranty(self):
        ticket, warranty = self._warranted_ticket("2026-08-01")
        reservation = self._reserve(
            self.user_technician, [(self.part_board, 1)], ticket
        )
        reservation.with_user(self.user_technician)._consume(
            {reservation.line_ids: {"qty_consumed": 1.0}}
        )
        ticket.with_user(self.user_agent).stage_id = self.env.ref(
            "aftersales_service.stage_cancelled"
        )
        self.assertFalse(warranty.component_ids.filtered(lambda c: c.kind == "repair"))


class TestPartsCancel(PartsCase):
    def test_cancelling_ticket_releases_everything(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 2)])
        draft = self._reserve(self.user_agent, [(self.part_filter, 1)], confirm=False)
        picking = reservation.sudo().picking_id
        self.ticket.with_user(self.user_agent).stage_id = self.env.ref(
            "aftersales_service.stage_cancelled"
        )
        self.assertEqual(reservation.state, "cancel")
        self.assertEqual(draft.state, "cancel")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 0.0))
        self.assertEqual(picking.state, "cancel")
        self.assertIn("Cancelled", reservation.message_ids[0].body)

    def test_closing_after_consumption_keeps_it(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        reservation.with_user(self.user_technician)._consume(
            {reservation.line_ids: {"qty_consumed": 1.0}}
        )
        self.ticket.stage_id = self.stage_solved
        self.assertEqual(reservation.state, "done")
        self.assertEqual(self._quant(self.part_board, self.stock), (4.0, 0.0))

    def test_cancelling_reservation_releases(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 3)])
        reservation.with_user(self.user_technician).action_cancel()
        self.assertEqual(reservation.state, "cancel")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 0.0))
        self.assertEqual(reservation.line_ids.sudo().move_id.state, "cancel")
        with self.assertRaisesRegex(UserError, "nothing to cancel"):
            reservation.action_cancel()

    def test_closed_ticket_cannot_reserve(self):
        reservation = self._reserve(
            self.user_agent, [(self.part_board, 1)], confirm=False
        )
        self.ticket.stage_id = self.stage_solved
        reservation.sudo().state = "draft"  # released by the closing; try again
        with self.assertRaisesRegex(UserError, "is closed: no parts can be reserved"):
            reservation.action_confirm()
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 0.0))


class TestPartsBadInput(PartsCase):
    def _assert_refused(self, exception, message, line_vals):
        Reservation = self.env["aftersales.part.reservation"].with_user(
            self.user_technician
        )
        before = Reservation.search_count([])
        with self.assertRaisesRegex(exception, message), self.env.cr.savepoint():
            Reservation.create(
                {"ticket_id": self.ticket.id, "line_ids": [Command.create(line_vals)]}
            )
        self.assertEqual(Reservation.search_count([]), before)

    def test_zero_and_negative_quantities(self):
        for qty in (0, -2):
            self._assert_refused(
                ValidationError,
                r"^Quantity: reserve a positive quantity of Control Board CB-7",
                {"product_id": self.part_board.id, "product_qty": qty},
            )

    def test_not_a_storable_part(self):
        for product in (self.consumable, self.service_product):
            self._assert_refused(
                ValidationError,
                rf"^Part: {product.name} is not a storable spare part",
                {"product_id": product.id, "product_qty": 1},
            )

    def test_unit_of_another_category(self):
        self._assert_refused(
            ValidationError,
            r"^Unit: kg is not a unit of Unit, the unit category of Control Board",
            {
                "product_id": self.part_board.id,
                "product_qty": 1,
                "product_uom_id": self.env.ref("uom.product_uom_kgm").id,
            },
        )

    def test_lot_of_another_product(self):
        self._assert_refused(
            ValidationError,
            r"^Lot/Serial Number: AC-0001 belongs to Air Conditioner X1, not to "
            r"Compressor C-9\.$",
            {
                "product_id": self.part_serial.id,
                "product_qty": 1,
                "lot_id": self.lot_ac1.id,
            },
        )

    def test_confirmed_lines_are_frozen(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            reservation.line_ids.with_user(self.user_technician).product_qty = 3
        with self.assertRaisesRegex(UserError, "holds or consumed stock"):
            reservation.with_user(self.user_stock_manager).unlink()


class TestPartsAccess(PartsCase):
    def test_roles(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        # Another technician neither sees nor reserves for this ticket.
        with self.assertRaises(AccessError):
            reservation.with_user(self.user_technician2).read(["name"])
        with self.assertRaises(AccessError):
            self.env["aftersales.part.reservation"].with_user(
                self.user_technician2
            ).create({"ticket_id": self.ticket.id})
        # A plain employee has no access at all.
        with self.assertRaises(AccessError):
            reservation.with_user(self.user_plain).read(["name"])
        # Stock staff see every reservation and the ticket reference, but do
        # not edit tickets.
        Reservation = self.env["aftersales.part.reservation"]
        other_ticket = self._create_ticket(technician_id=self.emp_technician2.id)
        other = self._reserve(
            self.user_technician2, [(self.part_filter, 1)], other_ticket
        )
        seen = Reservation.with_user(self.user_stock).search([])
        self.assertIn(reservation, seen)
        self.assertIn(other, seen)
        self.assertEqual(
            reservation.with_user(self.user_stock).ticket_id.name, self.ticket.name
        )
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.user_stock).write({"symptom": "x"})
        # The stock manager can release any reservation.
        other.with_user(self.user_stock_manager).action_cancel()
        self.assertEqual(other.state, "cancel")

    def test_status_changes_only_through_the_flow(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        for user in (self.user_technician, self.user_stock):
            with self.assertRaises(UserError) as caught:
                reservation.with_user(user).write({"state": "done"})
            self.assertIn(
                "changes status only through its buttons", str(caught.exception)
            )
        self.assertEqual(reservation.state, "confirmed")
        # The buttons still work for the same users.
        reservation.with_user(self.user_stock).action_cancel()
        self.assertEqual(reservation.state, "cancel")

    def test_multi_company(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        self.user_stock.write(
            {
                "company_ids": [Command.set(self.other_company.ids)],
                "company_id": self.other_company.id,
            }
        )
        with self.assertRaises(AccessError):
            reservation.with_user(self.user_stock).read(["name"])


class TestPartsForecast(PartsCase):
    def _consume_on(self, date, qty):
        with freeze_time(date):
            reservation = self._reserve(self.user_technician, [(self.part_filter, qty)])
            reservation._consume({reservation.line_ids: {"qty_consumed": qty}})

    def test_moving_average_and_exponential(self):
        self.env["stock.quant"]._update_available_quantity(
            self.part_filter, self.stock, 100
        )
        self.warehouse.write(
            {
                "aftersales_forecast_period": "month",
                "aftersales_forecast_periods": 3,
                "aftersales_forecast_lead_days": 61,
                "aftersales_forecast_safety_percent": 0.0,
            }
        )
        self._consume_on("2030-01-10 10:00:00", 3)
        self._consume_on("2030-02-10 10:00:00", 6)
        self._consume_on("2030-03-10 10:00:00", 9)
        self._consume_on("2030-04-02 10:00:00", 50)  # current month: not history
        Forecast = self.env["aftersales.part.forecast"].with_user(
            self.user_stock_manager
        )
        with freeze_time("2030-04-15 10:00:00"):
            Forecast.action_refresh()
        forecast = Forecast.search([("product_id", "=", self.part_filter.id)])
        self.assertEqual(forecast.history, "3 / 6 / 9")
        self.assertEqual(forecast.demand_per_period, 6.0)
        # 6 a month (30.4 days) over 61 days of lead time: 12.04 -> 13.
        self.assertEqual(forecast.suggested_min_qty, 13.0)
        self.assertEqual(forecast.qty_available, 100 + 10 - 3 - 6 - 9 - 50)
        self.warehouse.write(
            {
                "aftersales_forecast_method": "exponential",
                "aftersales_forecast_alpha": 0.5,
            }
        )
        with freeze_time("2030-04-15 10:00:00"):
            Forecast.action_refresh()
        forecast = Forecast.search([("product_id", "=", self.part_filter.id)])
        # 3 -> 0.5*6 + 0.5*3 = 4.5 -> 0.5*9 + 0.5*4.5 = 6.75
        self.assertAlmostEqual(forecast.demand_per_period, 6.75)
        self.assertEqual(forecast.method, "exponential")
        # Technicians do not read the forecast.
        with self.assertRaises(AccessError):
            self.env["aftersales.part.forecast"].with_user(self.user_technician).search(
                []
            )
