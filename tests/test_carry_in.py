"""Carry-in / mail-in: the customer's unit is received into the workshop,
stays there and goes back by real stock transfers on its serial; where it is
is always known; the customer gets a receipt and a pickup notice. As the
real roles: agent, technician, dispatcher, stock staff."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .common import AftersalesCase


class CarryInCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_stock = new_test_user(
            env,
            login="as_stock_unit",
            name="Ma Storekeeper",
            groups="stock.group_stock_user",
        )
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse._aftersales_workshop_setup()
        cls.workshop = cls.warehouse.aftersales_workshop_location_id
        cls.customers = env.ref("stock.stock_location_customers")
        cls.warehouse.partner_id.write({"street": "1 Service Road", "city": "Hangzhou"})
        # The unit was delivered to the customer earlier.
        env["stock.quant"]._update_available_quantity(
            cls.product_ac, cls.customers, 1, lot_id=cls.lot_ac1
        )
        cls.ticket = cls._create_ticket(
            env(user=cls.user_agent),
            technician_id=cls.emp_technician.id,
            lot_id=cls.lot_ac1.id,
        )

    def _receive(self, user, lot=None, ticket=None, **vals):
        ticket = ticket or self.ticket
        wizard = (
            self.env(user=user)["aftersales.carry.in.wizard"]
            .with_context(**ticket.with_user(user).action_receive_unit()["context"])
            .create({"lot_id": (lot or self.lot_ac1).id, **vals})
        )
        wizard.action_confirm()
        return self._unit_pickings(ticket)

    def _unit_pickings(self, ticket=None):
        return self.env["stock.picking"].search(
            [("aftersales_ticket_id", "=", (ticket or self.ticket).id)], order="id"
        )

    def _customer_messages(self, subject, ticket=None):
        return (ticket or self.ticket).message_ids.filtered(
            lambda m: subject in (m.subject or "")
        )

    def _lot_quantity(self, location):
        quants = self.env["stock.quant"].search(
            [("lot_id", "=", self.lot_ac1.id), ("location_id", "=", location.id)]
        )
        return sum(quants.mapped("quantity"))


class TestCarryIn(CarryInCase):
    def test_counter_receipt_stay_and_return(self):
        ticket = self.ticket
        self.assertEqual(ticket.unit_whereabouts, "customer")
        self.assertEqual(ticket.unit_location_id, self.customers)

        # The agent receives the unit at the counter.
        receipt = self._receive(
            self.user_agent, condition="Remote control handed over; scratch left"
        )
        self.assertEqual(len(receipt), 1)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(
            receipt.picking_type_id, self.warehouse.aftersales_unit_in_type_id
        )
        self.assertEqual(receipt.move_line_ids.lot_id, self.lot_ac1)
        self.assertEqual(receipt.location_id, self.customers)
        self.assertEqual(receipt.location_dest_id, self.workshop)
        self.assertIn("Zhang Agent", receipt.message_ids[:1].body)
        self.assertEqual(self._lot_quantity(self.workshop), 1.0)
        self.assertEqual(self._lot_quantity(self.customers), 0.0)
        ticket.invalidate_recordset()
        self.assertEqual(ticket.resolution_mode, "carry_in")
        self.assertEqual(ticket.carry_in_state, "in_workshop")
        self.assertEqual(ticket.unit_whereabouts, "workshop")
        self.assertEqual(ticket.unit_location_id, self.workshop)
        self.assertEqual(ticket.carry_in_receipt_ref, receipt.name)
        self.assertEqual(ticket.carry_in_received_date, receipt.date_done)
        self.assertIn("Remote control", ticket.carry_in_condition)

        # The customer got the receipt by e-mail, with the PDF.
        sent = self._customer_messages("We received your unit")
        self.assertEqual(len(sent), 1)
        self.assertIn(self.customer, sent.partner_ids)
        self.assertEqual(sent.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(receipt.name, sent.body)
        self.assertIn("AC-0001", sent.body)
        self.assertEqual(len(sent.attachment_ids), 1)
        self.assertIn("Unit Receipt", sent.attachment_ids.name)

        # Closing while the unit is in the workshop is refused.
        with (
            self.assertRaisesRegex(UserError, "still with us"),
            self.env.cr.savepoint(),
        ):
            ticket.with_user(self.user_agent).stage_id = self.stage_solved
        self.assertFalse(ticket.is_closed)

        # The technician repaired it: ready for pickup.
        ticket.with_user(self.user_technician).action_unit_ready()
        back = self._unit_pickings() - receipt
        self.assertEqual(back.state, "assigned")
        self.assertEqual(
            back.picking_type_id, self.warehouse.aftersales_unit_out_type_id
        )
        self.assertEqual(back.move_line_ids.lot_id, self.lot_ac1)
        self.assertEqual(ticket.carry_in_state, "ready")
        notice = self._customer_messages("Your unit is ready")
        self.assertEqual(len(notice), 1)
        self.assertIn(self.customer, notice.partner_ids)
        self.assertIn("1 Service Road", notice.body)
        self.assertIn(receipt.name, notice.body)
        with (
            self.assertRaisesRegex(UserError, "already waiting for its customer"),
            self.env.cr.savepoint(),
        ):
            ticket.with_user(self.user_agent).action_unit_ready()

        # The customer collects it; the case can close.
        ticket.with_user(self.user_agent).action_unit_hand_over()
        self.assertEqual(back.state, "done")
        ticket.invalidate_recordset()
        self.assertEqual(ticket.carry_in_state, "returned")
        self.assertEqual(ticket.unit_whereabouts, "customer")
        self.assertEqual(self._lot_quantity(self.customers), 1.0)
        self.assertEqual(self._lot_quantity(self.workshop), 0.0)
        self.assertTrue(ticket.carry_in_returned_date)
        ticket.with_user(self.user_agent).stage_id = self.stage_solved
        self.assertTrue(ticket.is_closed)

    def test_receipt_of_another_serial_refused(self):
        with (
            self.assertRaisesRegex(
                UserError,
                "has serial number AC-0002, but .* is about serial number AC-0001",
            ),
            self.env.cr.savepoint(),
        ):
            self._receive(self.user_agent, lot=self.lot_ac2)
        self.assertFalse(self._unit_pickings())
        self.assertFalse(self.ticket.carry_in_state)

    def test_return_of_a_unit_not_received_refused(self):
        ticket = self.ticket.with_user(self.user_technician)
        with (
            self.assertRaisesRegex(UserError, "was not received .* nothing to return"),
            self.env.cr.savepoint(),
        ):
            ticket.action_unit_ready()
        with (
            self.assertRaisesRegex(UserError, "not ready for pickup"),
            self.env.cr.savepoint(),
        ):
            ticket.action_unit_hand_over()
        self.assertFalse(self._unit_pickings())

    def test_unit_received_twice_refused(self):
        self._receive(self.user_agent)
        with (
            self.assertRaisesRegex(UserError, "already with us"),
            self.env.cr.savepoint(),
        ):
            self._receive(self.user_agent)
        self.assertEqual(len(self._unit_pickings()), 1)

    def test_ticket_without_serial_refused(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), product_id=self.product_ac.id
        )
        with (
            self.assertRaisesRegex(UserError, "has no serial number"),
            self.env.cr.savepoint(),
        ):
            ticket.with_user(self.user_agent).action_receive_unit()

    def test_roles_who_may_move_the_unit(self):
        # The dispatcher works the team's tickets.
        self._receive(self.user_team)
        self.assertEqual(self.ticket.carry_in_state, "in_workshop")
        # A technician not assigned to the ticket may not.
        other = self._create_ticket(
            technician_id=self.emp_technician2.id, lot_id=self.lot_ac2.id
        )
        with self.assertRaises(AccessError):
            other.with_user(self.user_technician).action_unit_ready()
        # Stock staff read the ticket but do not work it.
        stock_ticket = self.ticket.with_user(self.user_stock)
        self.assertEqual(stock_ticket.name, self.ticket.name)
        with self.assertRaises(AccessError):
            stock_ticket.action_unit_ready()
        # Technicians and agents have no stock rights of their own.
        receipt = self._unit_pickings()
        with self.assertRaises(AccessError):
            receipt.with_user(self.user_technician).check_access("read")
        with self.assertRaises(AccessError):
            receipt.with_user(self.user_agent).check_access("read")

    def test_stock_staff_see_the_moves(self):
        self._receive(self.user_agent)
        self.ticket.with_user(self.user_agent).action_unit_ready()
        Picking = self.env(user=self.user_stock)["stock.picking"]
        pickings = Picking.search([("aftersales_unit_flow", "!=", False)])
        self.assertEqual(pickings, self._unit_pickings())
        lines = self.env(user=self.user_stock)["stock.move.line"].search(
            [("lot_id", "=", self.lot_ac1.id)]
        )
        self.assertEqual(lines.picking_id, pickings)
        action = self.ticket.with_user(self.user_stock).action_view_unit_transfers()
        self.assertEqual(Picking.search(action["domain"]), pickings)
        self.assertEqual(self.ticket.with_user(self.user_stock).unit_picking_count, 2)

    def test_mail_in_validated_by_stock_staff(self):
        receipt = self._receive(self.user_agent, arrival="mail")
        self.assertEqual(receipt.state, "assigned")
        self.assertTrue(receipt.aftersales_by_mail)
        self.assertEqual(self.ticket.carry_in_state, "expected")
        self.assertEqual(self.ticket.unit_whereabouts, "customer")
        self.assertFalse(self._customer_messages("We received your unit"))
        with (
            self.assertRaisesRegex(UserError, "already expected"),
            self.env.cr.savepoint(),
        ):
            self._receive(self.user_agent)

        # The parcel holds another serial: the stock staff cannot receive it
        # as this customer's unit.
        stock_receipt = receipt.with_user(self.user_stock)
        with (
            self.assertRaisesRegex(
                UserError, "moves the unit of ticket .* serial number AC-0001 only"
            ),
            self.env.cr.savepoint(),
        ):
            stock_receipt.move_line_ids.lot_id = self.lot_ac2
            stock_receipt.button_validate()
        self.assertEqual(receipt.state, "assigned")

        # The right unit arrives.
        stock_receipt.button_validate()
        self.assertEqual(receipt.state, "done")
        self.ticket.invalidate_recordset()
        self.assertEqual(self.ticket.carry_in_state, "in_workshop")
        self.assertEqual(self.ticket.unit_whereabouts, "workshop")
        sent = self._customer_messages("We received your unit")
        self.assertEqual(len(sent), 1)
        self.assertIn(self.customer, sent.partner_ids)

        # Mailed back: the pickup notice says it is shipped.
        self.ticket.with_user(self.user_agent).action_unit_ready()
        notice = self._customer_messages("Your unit is ready")
        self.assertIn("We are sending it back to you", notice.body)

    def test_closing_cancels_a_unit_expected_by_mail(self):
        receipt = self._receive(self.user_agent, arrival="mail")
        self.ticket.with_user(self.user_agent).stage_id = self.stage_solved
        self.assertEqual(receipt.state, "cancel")
        self.assertFalse(self.ticket.carry_in_state)

    def test_customer_without_service_emails_gets_the_receipt_printed(self):
        self.customer.aftersales_no_updates = True
        self._receive(self.user_agent)
        logged = self._customer_messages("We received your unit")
        self.assertEqual(len(logged), 1)
        self.assertEqual(logged.subtype_id, self.env.ref("mail.mt_note"))
        self.assertFalse(logged.partner_ids)
        self.assertEqual(len(logged.attachment_ids), 1)
        html = (
            self.env["ir.actions.report"]
            .with_user(self.user_agent)
            ._render_qweb_html(
                "aftersales_service.action_report_aftersales_unit_receipt",
                self.ticket.ids,
            )[0]
            .decode()
        )
        self.assertIn("AC-0001", html)
        self.assertIn(self.ticket.carry_in_receipt_ref, html)
        self.assertIn("1 Service Road", html)

    def test_unit_never_in_stock_is_not_tracked_yet(self):
        ticket = self._create_ticket(lot_id=self.lot_ac2.id)
        self.assertEqual(ticket.unit_whereabouts, "unknown")
        receipt = self._receive(self.user_team, lot=self.lot_ac2, ticket=ticket)
        self.assertEqual(receipt.state, "done")
        self.assertEqual(ticket.unit_whereabouts, "workshop")

    def test_new_warehouse_gets_a_workshop(self):
        warehouse = self.env["stock.warehouse"].create(
            {"name": "Ningbo Service", "code": "NBS"}
        )
        self.assertEqual(
            warehouse.aftersales_workshop_location_id.location_id,
            warehouse.view_location_id,
        )
        self.assertEqual(warehouse.aftersales_unit_in_type_id.code, "incoming")
        self.assertEqual(warehouse.aftersales_unit_out_type_id.code, "outgoing")
        self.assertEqual(
            warehouse.aftersales_unit_in_type_id.return_picking_type_id,
            warehouse.aftersales_unit_out_type_id,
        )
