"""The three guarantees carried out (issue 14): a return with a credit note
from the original invoice, an exchange and a replacement with a new unit
delivered and a new warranty, on real stock transfers and posted accounting
documents, as the real roles; every refusal leaves nothing written."""

from ast import literal_eval
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, new_test_user

from .test_warranty import WarrantyCase


class GuaranteeCase(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        if not env.company.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", company=env.company, install_demo=False
            )
        cls.warehouse._aftersales_parts_setup()
        cls.warehouse._aftersales_workshop_setup()
        cls.defective = cls.warehouse.aftersales_defective_location_id
        cls.product_ac.write({"list_price": 1000.0, "taxes_id": [Command.clear()]})
        cls.user_stock = new_test_user(
            env,
            login="as_stock_guarantee",
            name="Ma Storekeeper",
            groups="stock.group_stock_user",
        )
        Fault = env["aftersales.fault.code"]
        cls.fault_e4 = Fault.create({"code": "E4", "name": "Compressor"})

    @classmethod
    def _sell(cls, lot, post=True, price=1000.0):
        """Sell, deliver and invoice the serial ``lot`` to the customer."""
        env = cls.env
        env["stock.quant"]._update_available_quantity(
            lot.product_id, cls.stock_location, 1, lot_id=lot
        )
        order = env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": lot.product_id.id,
                            "product_uom_qty": 1,
                            "price_unit": price,
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        assert picking.move_line_ids.lot_id == lot, "serial not reserved"
        picking.move_ids.picked = True
        assert picking.button_validate() is True
        invoice = order._create_invoices()
        if post:
            invoice.action_post()
        return order, picking, invoice

    @classmethod
    def _stock(cls, names):
        """Serials of the air conditioner put into stock: the exchange units."""
        lots = cls.env["stock.lot"].create(
            [{"name": name, "product_id": cls.product_ac.id} for name in names]
        )
        for lot in lots:
            cls.env["stock.quant"]._update_available_quantity(
                cls.product_ac, cls.stock_location, 1, lot_id=lot
            )
        return lots

    def _ticket(self, lot=None, user=None, days_after=0, **vals):
        env = self.env(user=user or self.user_agent)
        vals = {
            "lot_id": (lot or self.lot_ac1).id,
            "performance_failure": True,
            "technician_id": self.emp_technician.id,
            **vals,
        }
        with freeze_time(fields.Date.today() + timedelta(days=days_after)):
            return self._create_ticket(env, **vals).with_env(self.env)

    def _wizard(self, ticket, kind, user=None, **vals):
        user = user or self.user_agent
        action = getattr(ticket.with_user(user), f"action_guarantee_{kind}")()
        form = Form(
            self.env(user=user)["aftersales.guarantee.wizard"].with_context(
                **action["context"]
            )
        )
        for name, value in vals.items():
            setattr(form, name, value)
        return form.save()

    def _refunds(self, invoice):
        return self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])

    def _guarantee_pickings(self, ticket):
        return self.env["stock.picking"].search(
            [("aftersales_guarantee_ticket_id", "in", ticket.ids)], order="id"
        )


class TestGuaranteeReturn(GuaranteeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order, cls.delivery, cls.invoice = cls._sell(cls.lot_ac1)
        cls.warranty = cls._warranties(cls, cls.lot_ac1)

    def test_return_with_refund_as_agent(self):
        ticket = self._ticket()
        self.assertEqual(ticket.three_guarantee_right, "return")
        as_agent = ticket.with_user(self.user_agent)
        self.assertTrue(as_agent.can_guarantee_return)
        self.assertTrue(as_agent.can_guarantee_exchange)
        self.assertFalse(as_agent.can_guarantee_replacement)
        wizard = self._wizard(ticket, "return")
        self.assertEqual(wizard.refund_limit, 1000.0)
        self.assertEqual(wizard.refund_amount, 1000.0)
        self.assertEqual(wizard.invoice_ref, self.invoice.name)
        wizard.action_confirm()

        # The unit came back by Odoo's return of its delivery, into the
        # defective stock, and the sale knows it was returned.
        back = self._guarantee_pickings(ticket)
        self.assertEqual(len(back), 1)
        self.assertEqual(back.state, "done")
        self.assertEqual(back.aftersales_guarantee_flow, "return")
        self.assertEqual(back.move_ids.origin_returned_move_id, self.delivery.move_ids)
        self.assertTrue(back.move_ids.to_refund)
        self.assertEqual(back.move_line_ids.lot_id, self.lot_ac1)
        self.assertEqual(back.location_dest_id, self.defective)
        self.assertEqual(self.order.order_line.qty_delivered, 0.0)
        # A posted credit note from the original invoice, for the unit.
        credit = self._refunds(self.invoice)
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.amount_total, 1000.0)
        self.assertEqual(credit.aftersales_ticket_id, ticket)
        # The warranty is void; the ticket shows each step.
        self.assertEqual(self.warranty.state, "void")
        ticket.invalidate_recordset()
        self.assertEqual(ticket.guarantee_state, "done")
        self.assertEqual(ticket.guarantee_kind, "return")
        self.assertEqual(ticket.guarantee_return_picking_id, back)
        self.assertEqual(ticket.guarantee_credit_note_id, credit)
        self.assertEqual(ticket.guarantee_old_warranty_id, self.warranty)
        self.assertEqual(as_agent.guarantee_return_ref, back.name)
        self.assertEqual(as_agent.guarantee_credit_note_ref, credit.name)
        self.assertEqual(as_agent.guarantee_refund_amount, 1000.0)
        self.assertIn("Return carried out", ticket.message_ids[0].body)
        self.assertIn(credit.name, ticket.message_ids[0].body)
        self.assertEqual(
            ticket.action_view_guarantee_credit_note()["res_id"], credit.id
        )
        # Carried out once only.
        self.assertFalse(as_agent.can_guarantee_return)
        with self.assertRaisesMessage(UserError, "already carried out"):
            as_agent._guarantee_carry_out("return")

        # The stock staff see the return among the after-sales moves.
        action = self.env.ref(
            "aftersales_service.stock_picking_action_aftersales_moves"
        )
        seen = self.env(user=self.user_stock)["stock.picking"].search(
            literal_eval(action.domain)
        )
        self.assertIn(back, seen)
        self.assertEqual(
            back.with_user(self.user_stock).aftersales_guarantee_ticket_id, ticket
        )

    def test_partial_refund_and_credit_note_larger_than_invoice(self):
        ticket = self._ticket()
        with self.assertRaisesMessage(
            UserError,
            r"^A credit note of 1200.0 is larger than what the invoice allows for "
            r"this unit \(1000.0: unit price 1000.0, left to refund on the invoice "
            r"1000.0\)\.$",
        ):
            self._wizard(ticket, "return", refund_amount=1200.0).action_confirm()
        # Nothing written: no transfer, no credit note, warranty still active.
        self.assertFalse(self._guarantee_pickings(ticket))
        self.assertFalse(self._refunds(self.invoice))
        self.assertEqual(self.warranty.state, "active")
        self.assertEqual(ticket.guarantee_state, "none")

        self._wizard(ticket, "return", refund_amount=800.0).action_confirm()
        credit = self._refunds(self.invoice)
        self.assertEqual(credit.amount_total, 800.0)
        self.assertEqual(credit.state, "posted")

    def test_return_refused_without_posted_invoice(self):
        lot = self._make_lots(self.product_ac, 1, "DRAFT")
        __, __, invoice = self._sell(lot, post=False)
        warranty = self._warranties(lot)
        ticket = self._ticket(lot=lot)
        with self.assertRaisesMessage(
            UserError, "no posted invoice for Air Conditioner"
        ):
            ticket.with_user(self.user_agent)._guarantee_carry_out("return")
        self.assertFalse(self._guarantee_pickings(ticket))
        self.assertFalse(self._refunds(invoice))
        self.assertEqual(warranty.state, "active")

    def test_right_not_held_is_refused_on_the_server(self):
        # No performance failure: no right at all.
        ticket = self._ticket(performance_failure=False)
        as_agent = ticket.with_user(self.user_agent)
        self.assertEqual(ticket.three_guarantee_right, "none")
        self.assertFalse(as_agent.can_guarantee_return)
        for kind in ("return", "exchange", "replacement"):
            with self.assertRaisesMessage(UserError, "has no right to a"):
                as_agent._guarantee_carry_out(kind)
            with self.assertRaisesMessage(UserError, "has no right to a"):
                getattr(as_agent, f"action_guarantee_{kind}")()
        # Ten days after delivery: an exchange, no longer a return.
        late = self._ticket(days_after=10)
        self.assertEqual(late.three_guarantee_right, "exchange")
        with self.assertRaisesMessage(
            UserError,
            rf"^{late.name} has no right to a Return and Refund: exchange: "
            r"performance failure 10 days after delivery",
        ):
            late.with_user(self.user_agent)._guarantee_carry_out("return")
        self.assertFalse(self._guarantee_pickings(ticket | late))
        self.assertFalse(self._refunds(self.invoice))
        self.assertEqual(self.warranty.state, "active")

    def test_technician_cannot_carry_out(self):
        ticket = self._ticket()
        as_tech = ticket.with_user(self.user_technician)
        self.assertFalse(as_tech.can_guarantee_return)
        with self.assertRaises(AccessError):
            as_tech.action_guarantee_return()
        with self.assertRaises(AccessError):
            as_tech._guarantee_carry_out("return")
        self.assertFalse(self._guarantee_pickings(ticket))
        self.assertEqual(self.warranty.state, "active")


class TestGuaranteeExchange(GuaranteeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order, cls.delivery, cls.invoice = cls._sell(cls.lot_ac1)
        cls.warranty = cls._warranties(cls, cls.lot_ac1)

    def test_exchange_delivers_a_new_unit_with_its_warranty(self):
        new1, new2 = self._stock(["AC-NEW-1", "AC-NEW-2"])
        ticket = self._ticket(days_after=10)
        self.assertEqual(ticket.three_guarantee_right, "exchange")
        wizard = self._wizard(ticket, "exchange", lot_id=new2)
        self.assertEqual(wizard.available_lot_ids, new1 | new2)
        wizard.action_confirm()

        back, out = self._guarantee_pickings(ticket)
        self.assertEqual(back.state, "done")
        self.assertEqual(back.move_line_ids.lot_id, self.lot_ac1)
        self.assertEqual(back.location_dest_id, self.defective)
        self.assertFalse(back.move_ids.to_refund)
        self.assertEqual(self.warranty.state, "void")
        # The new unit is reserved on a real delivery, not yet handed over.
        self.assertEqual(out.aftersales_guarantee_flow, "delivery")
        self.assertEqual(out.picking_type_id, self.warehouse.out_type_id)
        self.assertEqual(out.state, "assigned")
        self.assertEqual(out.move_line_ids.lot_id, new2)
        self.assertEqual(ticket.guarantee_state, "delivering")
        self.assertEqual(ticket.guarantee_new_lot_id, new2)
        self.assertTrue(ticket.with_user(self.user_agent).can_guarantee_deliver)
        self.assertFalse(self._refunds(self.invoice))

        # The stock staff validate the delivery.
        out.with_user(self.user_stock).button_validate()
        self.assertEqual(out.state, "done")
        new_warranty = self._warranties(new2)
        self.assertEqual(new_warranty.state, "active")
        self.assertEqual(new_warranty.partner_id, self.customer)
        self.assertEqual(new_warranty.replaces_warranty_id, self.warranty)
        self.assertEqual(new_warranty.sale_order_id, self.order)
        self.assertEqual(new_warranty.aftersales_guarantee_ticket_id, ticket)
        self.assertEqual(self.warranty.replaced_by_warranty_id, new_warranty)
        self.assertEqual(ticket.guarantee_state, "done")
        self.assertEqual(ticket.guarantee_new_warranty_id, new_warranty)
        self.assertIn("New unit AC-NEW-2 delivered", ticket.message_ids[0].body)
        self.assertEqual(
            self.warranty.action_view_replaced_by()["res_id"], new_warranty.id
        )
        self.assertEqual(
            new_warranty.action_view_replaces()["res_id"], self.warranty.id
        )

    def test_exchange_without_a_unit_in_stock_is_refused(self):
        ticket = self._ticket(days_after=10)
        with self.assertRaisesMessage(
            UserError,
            r"^No unit of Air Conditioner X1 in stock at .* for the Exchange: "
            r"receive one first\. Nothing was done\.$",
        ):
            ticket.with_user(self.user_agent)._guarantee_carry_out("exchange")
        self.assertFalse(self._guarantee_pickings(ticket))
        self.assertEqual(self.warranty.state, "active")
        self.assertEqual(ticket.guarantee_state, "none")

    def test_exchange_of_a_serial_not_in_stock_is_refused(self):
        (free,) = self._stock(["AC-FREE"])
        elsewhere = self._make_lots(self.product_ac, 1, "AWAY")
        ticket = self._ticket(days_after=10)
        with self.assertRaisesMessage(
            UserError,
            r"^Serial number AWAY-00000 is not free .*: choose one of AC-FREE",
        ):
            ticket.with_user(self.user_agent)._guarantee_carry_out(
                "exchange", new_lot=elsewhere
            )
        self.assertFalse(self._guarantee_pickings(ticket))
        self.assertEqual(self.warranty.state, "active")

    def test_replacement_needs_a_managers_approval(self):
        self._stock(["AC-REP-1"])
        for __ in range(2):
            repaired = self._ticket(days_after=20, fault_code_id=self.fault_e4.id)
            repaired.stage_id = self.stage_solved
        ticket = self._ticket(days_after=30, fault_code_id=self.fault_e4.id)
        self.assertEqual(ticket.three_guarantee_right, "replacement")
        as_agent = ticket.with_user(self.user_agent)
        self.assertFalse(as_agent.can_guarantee_replacement)
        with self.assertRaisesMessage(
            UserError, "the replacement waits for a manager's approval"
        ):
            as_agent._guarantee_carry_out("replacement")
        as_agent.action_propose_replacement()
        # The agent cannot approve it; the manager can.
        with self.assertRaisesMessage(
            UserError, r"^Only an after-sales manager approves a replacement\.$"
        ):
            as_agent.action_approve_replacement()
        self.assertEqual(ticket.replacement_state, "proposed")
        with self.assertRaisesMessage(UserError, "waits for a manager's approval"):
            as_agent._guarantee_carry_out("replacement")
        self.assertFalse(self._guarantee_pickings(ticket))
        ticket.with_user(self.user_manager).action_approve_replacement()
        self.assertTrue(as_agent.can_guarantee_replacement)

        self._wizard(ticket, "replacement").action_confirm()
        self.assertEqual(ticket.guarantee_state, "delivering")
        # The new unit handed over at the counter by the agent.
        as_agent.action_guarantee_deliver()
        back, out = self._guarantee_pickings(ticket)
        self.assertEqual(out.state, "done")
        self.assertEqual(ticket.guarantee_state, "done")
        self.assertEqual(ticket.guarantee_kind, "replacement")
        new_warranty = ticket.guarantee_new_warranty_id
        self.assertEqual(new_warranty.lot_id.name, "AC-REP-1")
        self.assertEqual(self.warranty.replaced_by_warranty_id, new_warranty)
        # The technician may not hand over units.
        with self.assertRaises(AccessError):
            ticket.with_user(self.user_technician).action_guarantee_deliver()


class TestGuaranteePortal(GuaranteeCase, HttpCase):
    """The customer follows the return or exchange on the portal page of
    their service request."""

    def test_portal_shows_the_exchange_and_the_refund(self):
        __, __, invoice = self._sell(self.lot_ac1)
        ticket = self._ticket()
        self._wizard(ticket, "return").action_confirm()
        credit = self._refunds(invoice)
        lot = self._make_lots(self.product_ac, 1, "PORTAL")
        self._sell(lot)
        (new,) = self._stock(["AC-PORTAL-NEW"])
        exchange = self._ticket(lot=lot)
        self._wizard(exchange, "exchange", lot_id=new).action_confirm()

        self.authenticate("as_portal", "as_portal")
        page = self.url_open(ticket.access_url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Return and Refund", page.text)
        self.assertIn(ticket.guarantee_return_picking_id.name, page.text)
        self.assertIn(credit.name, page.text)
        page = self.url_open(exchange.access_url)
        self.assertIn("New Unit to Deliver", page.text)
        self.assertIn("AC-PORTAL-NEW", page.text)
        self.assertIn("being prepared for you", page.text)
        exchange.with_user(self.user_agent).action_guarantee_deliver()
        page = self.url_open(exchange.access_url)
        self.assertIn("delivered", page.text)
        self.assertIn(exchange.guarantee_new_warranty_id.name, page.text)
        # Another customer's request stays closed to this customer.
        self.authenticate(None, None)
        self.assertEqual(self.url_open(ticket.access_url).status_code, 200)
        self.assertNotIn(credit.name, self.url_open(ticket.access_url).text)
