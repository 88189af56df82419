"""One charging path: consumed parts, labour from the visits' time on site,
travel per team zone, decided per line; one quotation per ticket that the
customer signs on the portal; the invoice from it; covered cost at cost."""

import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase

from .test_contract import START, ContractFixtures
from .test_parts import PartsCase

# A 1x1 transparent PNG: what the portal's signature pad sends.
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


class ChargingCase(PartsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Product = env["product.product"]
        cls.labour_product = Product.create(
            {"name": "Repair Labour", "type": "service", "list_price": 0.0}
        )
        cls.travel_product = Product.create(
            {"name": "Travel", "type": "service", "list_price": 0.0}
        )
        cls.categ_ac = env["product.category"].create({"name": "Air Conditioners"})
        cls.product_ac.categ_id = cls.categ_ac
        Fee = env["aftersales.service.fee"]
        cls.fee_labour = Fee.create(
            {
                "name": "Labour, air conditioners",
                "fee_type": "labour",
                "product_id": cls.labour_product.id,
                "product_categ_id": cls.categ_ac.id,
                "unit_label": "hour",
                "price": 80.0,
                "cost": 50.0,
            }
        )
        cls.fee_labour_default = Fee.create(
            {
                "name": "Labour",
                "fee_type": "labour",
                "product_id": cls.labour_product.id,
                "price": 60.0,
                "cost": 40.0,
            }
        )
        cls.fee_travel = Fee.create(
            {
                "name": "Travel, Hangzhou",
                "fee_type": "travel",
                "product_id": cls.travel_product.id,
                "team_id": cls.team_point.id,
                "unit_label": "visit",
                "price": 30.0,
                "cost": 20.0,
            }
        )
        Fee.create(
            {
                "name": "Travel, elsewhere",
                "fee_type": "travel",
                "product_id": cls.travel_product.id,
                "price": 50.0,
                "cost": 35.0,
                "published": False,
            }
        )
        cls.repair = cls._create_ticket(
            env(user=cls.user_agent),
            product_id=cls.product_ac.id,
            team_id=cls.team_point.id,
            technician_id=cls.emp_technician.id,
        )

    def _repair_on_site(self, ticket=None, parts=None, hours=1.5, days=1):
        """The technician checks in, consumes the parts, checks out after
        ``hours`` (on the first weekday ``days`` from today); returns the
        reservation."""
        ticket = ticket or self.repair
        start, __ = self._working_window(days=days)
        visit = (
            self.env(user=self.user_team)["aftersales.visit"]
            .create(
                {
                    "ticket_id": ticket.id,
                    "technician_id": self.emp_technician.id,
                    "planned_start": start,
                    "planned_stop": start + timedelta(hours=2),
                }
            )
            .with_user(self.user_technician)
        )
        reservation = self._reserve(
            self.user_technician, parts or [(self.part_board, 1)], ticket
        )
        with freeze_time(start):
            visit.action_check_in()
            reservation.with_user(self.user_technician)._consume(
                {
                    line: {"qty_consumed": line.product_qty}
                    for line in reservation.line_ids
                }
            )
        with freeze_time(start + timedelta(hours=hours)):
            visit.action_check_out()
        return reservation


class TestChargingPath(ChargingCase):
    def test_one_quotation_for_parts_labour_and_travel(self):
        reservation = self._repair_on_site()
        ticket = self.repair
        # Consumption already put the charged part on the ticket's quotation.
        order = ticket.sudo().quotation_id
        self.assertTrue(order)
        self.assertEqual(reservation.sudo().sale_order_id, order)
        # One click: labour from the visit's 1.5 h at the category's rate,
        # travel at the team zone's fee, the part at the customer's price.
        ticket.with_user(self.user_agent).action_quote()
        self.assertEqual(ticket.sudo().quotation_id, order)
        labour, travel = ticket.charge_ids.sorted("charge_type")
        self.assertEqual(
            (labour.charge_type, labour.fee_id, labour.quantity),
            ("labour", self.fee_labour, 1.5),
        )
        self.assertEqual((travel.fee_id, travel.quantity), (self.fee_travel, 1.0))
        self.assertEqual(labour.decision, "customer")
        self.assertEqual(labour.reason, "no warranty found for this unit")
        lines = order.order_line
        self.assertEqual(
            sorted(
                (line.product_id.name, line.product_uom_qty, line.price_unit)
                for line in lines
            ),
            [
                ("Control Board CB-7", 1.0, 99.0),
                ("Repair Labour", 1.5, 80.0),
                ("Travel", 1.0, 30.0),
            ],
        )
        self.assertIn("no warranty found for this unit", labour.sale_line_id.name)
        self.assertEqual(order.amount_untaxed, 249.0)
        self.assertEqual(ticket.charged_amount, 249.0)
        self.assertEqual(ticket.covered_cost, 0.0)
        self.assertTrue(order.require_signature)
        self.assertIn(self.customer, order.message_partner_ids)
        # Quote again after a decision changes: the same order is updated.
        labour.with_user(self.user_agent).write(
            {
                "decision": "partial",
                "covered_percent": 50.0,
                "decision_note": "First visit did not fix it",
            }
        )
        ticket.with_user(self.user_agent).action_quote()
        self.assertEqual(ticket.sudo().quotation_id, order)
        self.assertEqual(len(order.order_line), 3)
        self.assertEqual(labour.sale_line_id.discount, 50.0)
        self.assertEqual(order.amount_untaxed, 189.0)
        self.assertEqual(ticket.charged_amount, 189.0)
        self.assertEqual(ticket.covered_cost, 37.5)  # half of 1.5 h at 50
        # A line the company takes over leaves the quotation.
        travel.with_user(self.user_agent).write(
            {"decision": "free", "decision_note": "Travel on us this time"}
        )
        ticket.with_user(self.user_agent).action_quote()
        self.assertEqual(order.amount_untaxed, 159.0)
        self.assertFalse(travel.sale_line_id)
        self.assertEqual(ticket.covered_cost, 57.5)

    def test_covered_repair_valued_at_cost_and_not_quoted(self):
        self.env["aftersales.warranty"].create(
            {
                "partner_id": self.customer.id,
                "lot_id": self.lot_ac1.id,
                "term_id": self.env["aftersales.warranty.term"]
                .create({"name": "Two years", "duration": 2, "duration_unit": "year"})
                .id,
                "delivery_date": "2026-01-10",
            }
        )
        ticket = self._create_ticket(
            self.env(user=self.user_agent),
            lot_id=self.lot_ac1.id,
            team_id=self.team_point.id,
            technician_id=self.emp_technician.id,
        )
        self.assertEqual(ticket.product_id, self.product_ac)
        self._repair_on_site(ticket, hours=2.0)
        ticket.with_user(self.user_agent).action_decide_charges()
        self.assertEqual(set(ticket.charge_ids.mapped("decision")), {"free"})
        # Part 50 at cost, 2 h labour at 50, one trip at 20.
        self.assertEqual(ticket.covered_cost, 170.0)
        self.assertEqual(ticket.charged_amount, 0.0)
        with self.assertRaisesRegex(UserError, "^Nothing to quote"):
            ticket.with_user(self.user_agent).action_quote()
        self.assertFalse(ticket.sudo().quotation_id)
        # The cost report groups it per team and product.
        [(team, product, cost)] = self.env["aftersales.ticket"]._read_group(
            [("id", "=", ticket.id)], ["team_id", "product_id"], ["covered_cost:sum"]
        )
        self.assertEqual(
            (team, product, cost), (self.team_point, self.product_ac, 170.0)
        )

    def test_batch_quote_query_count_does_not_grow(self):
        """Quoting N tickets in one batch: a bounded number of queries per
        ticket (the orders and lines are created once for the batch)."""

        def tickets(count):
            vals = [
                self._ticket_vals(
                    product_id=self.product_ac.id,
                    team_id=self.team_point.id,
                    technician_id=self.emp_technician.id,
                )
                for __ in range(count)
            ]
            batch = self.env["aftersales.ticket"].create(vals)
            start, __ = self._working_window()
            visits = self.env["aftersales.visit"].create(
                [
                    {
                        "ticket_id": ticket.id,
                        "planned_start": start,
                        "planned_stop": start + timedelta(hours=2),
                        "outside_hours_confirmed": True,
                    }
                    for ticket in batch
                ]
            )
            visits.write(
                {"check_in_date": start, "check_out_date": start + timedelta(hours=1)}
            )
            return batch

        def queries(batch):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            batch._build_quotations()
            self.env.flush_all()
            return self.cr.sql_log_count - before

        queries(tickets(2))  # warm up
        small = queries(tickets(5))
        big = queries(tickets(15))
        per_ticket = (big - small) / 10
        self.assertLessEqual(per_ticket, 12, (small, big))
        batch = tickets(5)
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(small + 5 * 12):
            batch._build_quotations()


class TestChargingFollowsFacts(ContractFixtures, ChargingCase):
    """Every charging line (labour, travel, the parts on the reservation
    lines) decides again when the ticket's facts change: here the customer's
    contract, covering parts, becomes active after the parts were reserved.
    What the customer already accepted (a signed quotation) stays."""

    def _covered_ticket(self, lot):
        """A ticket on ``lot`` on a day the contract's on-site service
        covers (the ticket's date is in its first year)."""
        return self._create_ticket(
            self.env(user=self.user_agent),
            lot_id=lot.id,
            resolution_mode="onsite",
            warranty_date=START + timedelta(days=30),
            team_id=self.team_point.id,
            technician_id=self.emp_technician.id,
        )

    def test_contract_activated_later_covers_reserved_and_quoted_parts(self):
        reserved = self._covered_ticket(self.lot_ac1)
        quoted = self._covered_ticket(self.lot_ac2)
        signed = self._covered_ticket(self.lot_washer1)
        reservation = self._reserve(
            self.user_technician, [(self.part_board, 1)], reserved
        )
        self._repair_on_site(quoted)
        self._repair_on_site(signed, days=5)
        (quoted | signed).with_user(self.user_agent).action_quote()
        signed.sudo().quotation_id.action_confirm()
        contract = self._contract(coverage="customer", activate=False)
        self.assertFalse(reserved.contract_id)
        # No contract, no warranty: the part is charged at the customer's
        # price (99), the quotation asks 99 + 1.5 h x 80 + 30 = 249.
        reserved_line = reservation.line_ids
        quoted_line = quoted.part_reservation_ids.line_ids
        signed_line = signed.part_reservation_ids.line_ids
        for line in reserved_line | quoted_line | signed_line:
            self.assertTrue(line.customer_pays)
            self.assertEqual(line.charge_reason, "no warranty found for this unit")
        self.assertEqual(quoted_line.charged_amount, 99.0)
        self.assertEqual(quoted_line.warranty_cost, 0.0)
        quote = quoted.sudo().quotation_id
        self.assertEqual(quote.amount_untaxed, 249.0)
        # The washing machine's labour at the default rate: 99 + 1.5 x 60 + 30.
        self.assertEqual(signed.sudo().quotation_id.amount_untaxed, 219.0)

        contract.with_user(self.user_manager).action_activate()

        self.assertEqual(reserved.contract_id, contract)
        self.assertTrue(contract.entitlement_ids.filtered("covers_parts"))
        # The reserved part is now covered by the contract.
        self.assertFalse(reserved_line.customer_pays)
        self.assertEqual(reserved_line.covered_percent, 100.0)
        self.assertEqual(reserved_line.charge_reason, reserved.entitlement_reason)
        # The consumed part on the draft quotation: nothing to pay, covered
        # at the part's cost (50) in the KPI, off the quotation; the labour
        # (1.5 h at cost 50) and travel (20) are covered too: 145 at cost.
        self.assertFalse(quoted_line.customer_pays)
        self.assertEqual(quoted_line.charged_amount, 0.0)
        self.assertEqual(quoted_line.warranty_cost, 50.0)
        self.assertFalse(quoted_line.sale_line_id)
        self.assertEqual(quoted.charged_amount, 0.0)
        self.assertEqual(quoted.covered_cost, 145.0)
        self.assertEqual(quote.state, "draft")
        self.assertEqual(quote.amount_untaxed, 0.0)
        [(cost,)] = self.env["aftersales.part.reservation.line"]._read_group(
            [("ticket_id", "=", quoted.id)], [], ["warranty_cost:sum"]
        )
        self.assertEqual(cost, 50.0)
        # Consumed and quoted, the quotation signed: what the customer
        # accepted stays.
        self.assertTrue(signed_line.customer_pays)
        self.assertEqual(signed_line.charged_amount, 99.0)
        self.assertEqual(signed_line.warranty_cost, 0.0)
        self.assertEqual(
            set(signed.charge_ids.mapped("decision")), {"customer"}, "labour, travel"
        )
        self.assertEqual(signed.charged_amount, 219.0)
        self.assertEqual(signed.sudo().quotation_id.amount_untaxed, 219.0)

    def test_agent_decision_stays_when_the_contract_becomes_active(self):
        ticket = self._covered_ticket(self.lot_ac1)
        reservation = self._reserve(
            self.user_technician, [(self.part_board, 1)], ticket
        )
        line = reservation.line_ids
        line.with_user(self.user_agent).write(
            {
                "customer_pays": True,
                "covered_percent": 30.0,
                "decision_note": "Goodwill on a known batch",
            }
        )
        self._contract(coverage="customer")
        self.assertTrue(ticket.contract_id)
        self.assertTrue(line.customer_pays)
        self.assertEqual(line.covered_percent, 30.0)
        self.assertEqual(line.decision_note, "Goodwill on a known batch")
        self.assertIn("Goodwill on a known batch", ticket.message_ids[0].body)

    def test_warranty_registered_later_covers_the_reserved_part(self):
        ticket = self._covered_ticket(self.lot_ac1)
        ticket.warranty_date = fields.Date.today()
        line = self._reserve(
            self.user_technician, [(self.part_board, 1)], ticket
        ).line_ids
        self.assertTrue(line.customer_pays)
        warranty = self.env["aftersales.warranty"].create(
            {
                "partner_id": self.customer.id,
                "lot_id": self.lot_ac1.id,
                "term_id": self.env["aftersales.warranty.term"]
                .create({"name": "Two years", "duration": 2, "duration_unit": "year"})
                .id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )
        self.assertEqual(ticket.warranty_id, warranty)
        self.assertFalse(line.customer_pays)
        warranty._void("Serial plate removed")
        self.assertTrue(line.customer_pays)
        self.assertIn("Serial plate removed", line.charge_reason)

    def test_activation_query_count_does_not_grow(self):
        """Activating a contract decides the reserved parts of its units'
        open tickets again in a bounded number of queries per ticket."""
        Lot = self.env["stock.lot"]

        def activate(count):
            lots = Lot.create(
                [
                    {"name": f"QC-{count}-{index}", "product_id": self.product_ac.id}
                    for index in range(count)
                ]
            )
            tickets = self.env["aftersales.ticket"].create(
                [
                    self._ticket_vals(
                        lot_id=lot.id,
                        resolution_mode="onsite",
                        warranty_date=START + timedelta(days=30),
                    )
                    for lot in lots
                ]
            )
            reservations = self.env["aftersales.part.reservation"].create(
                [
                    {
                        "ticket_id": ticket.id,
                        "line_ids": [
                            Command.create(
                                {"product_id": self.part_board.id, "product_qty": 1}
                            )
                        ],
                    }
                    for ticket in tickets
                ]
            )
            contract = self._contract(lots=lots, activate=False)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            contract.action_activate()
            self.env.flush_all()
            spent = self.cr.sql_log_count - before
            self.assertEqual(
                set(reservations.line_ids.mapped("customer_pays")), {False}
            )
            return spent

        activate(2)  # warm up
        small = activate(3)
        big = activate(9)
        self.assertLessEqual((big - small) / 6, 2, (small, big))


class TestChargingRights(ChargingCase):
    def test_technician_cannot_change_charging(self):
        self._repair_on_site()
        ticket = self.repair
        ticket.with_user(self.user_agent).action_decide_charges()
        labour = ticket.charge_ids.filtered(lambda c: c.charge_type == "labour")
        part = ticket.part_reservation_ids.line_ids
        tech = self.user_technician
        with self.assertRaises(AccessError):
            labour.with_user(tech).write(
                {"decision": "free", "decision_note": "I say so"}
            )
        with self.assertRaisesRegex(
            AccessError, "Only after-sales agents and managers"
        ):
            part.with_user(tech).write(
                {"customer_pays": False, "decision_note": "I say so"}
            )
        with self.assertRaisesRegex((AccessError, UserError), "."):
            ticket.with_user(tech).write(
                {"charge_ids": [(1, labour.id, {"decision": "free"})]}
            )
        with self.assertRaisesRegex(
            AccessError, "Only after-sales agents and managers"
        ):
            ticket.with_user(tech).action_quote()
        self.assertEqual(labour.decision, "customer")
        self.assertTrue(part.customer_pays)

    def test_ticket_form_opens_for_every_role(self):
        """The charging view parts load for a technician (no sales rights)
        and for an agent, once quoted."""
        self._repair_on_site()
        self.repair.with_user(self.user_agent).action_quote()
        for user in (self.user_technician, self.user_agent):
            form = Form(self.repair.with_user(user))
            self.assertEqual(form.charged_amount, 249.0)

    def test_agent_changes_with_a_logged_reason(self):
        self._repair_on_site()
        ticket = self.repair
        part = ticket.part_reservation_ids.line_ids
        with self.assertRaisesRegex(UserError, "^Reason for Change: say why"):
            part.with_user(self.user_agent).write({"customer_pays": False})
        self.assertTrue(part.customer_pays)
        part.with_user(self.user_agent).write(
            {"customer_pays": False, "decision_note": "Known board defect"}
        )
        message = ticket.message_ids[0]
        self.assertIn("Control Board CB-7", message.body)
        self.assertIn("from Customer Pays to Free", message.body)
        self.assertIn("Known board defect", message.body)
        self.assertIn("Zhang Agent", message.body)
        # The consumed part is now company cost, at the part's cost.
        self.assertEqual(part.warranty_cost, 50.0)
        self.assertEqual(part.charged_amount, 0.0)
        ticket.with_user(self.user_agent).action_quote()
        self.assertNotIn(
            self.part_board, ticket.sudo().quotation_id.order_line.product_id
        )
        self.assertFalse(part.sale_line_id)

    def test_bad_input(self):
        # Refused and rolled back (Odoo's assertRaises runs in a savepoint).
        with self.assertRaises(ValidationError) as caught:
            self.fee_labour.price = -5.0
        self.assertIn("a price or cost cannot be negative", str(caught.exception))
        with self.assertRaises(ValidationError):
            self.fee_travel.cost = -1.0
        (self.fee_labour | self.fee_travel).invalidate_recordset()
        self.assertEqual((self.fee_labour.price, self.fee_travel.cost), (80.0, 20.0))
        # A quotation edited by hand no longer matches its charging lines.
        self._repair_on_site()
        self.repair.with_user(self.user_agent).action_quote()
        order = self.repair.sudo().quotation_id
        order.order_line.filtered(
            lambda line: line.product_id == self.labour_product
        ).price_unit = 10.0
        with self.assertRaisesRegex(
            UserError,
            r"asks .* for the charges of ticket .* but its charging lines say",
        ):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        # Quote brings it back in line.
        self.repair.with_user(self.user_agent).action_quote()
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        # An accepted quotation does not change any more.
        with self.assertRaisesRegex(UserError, "it cannot change any more"):
            self.repair.with_user(self.user_agent).action_quote()


class TestChargingPortal(ChargingCase, HttpCase):
    def test_charged_repair_quoted_signed_on_portal_and_invoiced(self):
        self._repair_on_site()
        ticket = self.repair
        ticket.with_user(self.user_agent).action_quote()
        order = ticket.sudo().quotation_id
        self.assertEqual(order.amount_untaxed, 249.0)
        # The ticket's portal page links the quotation.
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(f"/my/tickets/{ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f"/my/orders/{order.id}", page.text)
        self.assertIn("Review and sign it", page.text)
        # Sale's own portal: the customer signs and so accepts it.
        response = self.url_open(
            f"/my/orders/{order.id}/accept",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"name": "Wu Customer", "signature": SIGNATURE},
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        result = response.json()
        self.assertNotIn(
            "error", result, result.get("error", {}).get("data", {}).get("debug")
        )
        self.assertIn("redirect_url", result["result"])
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.signed_by, "Wu Customer")
        # The consumed part is not shipped a second time.
        self.assertFalse(order.picking_ids)
        # Sale's own invoicing.
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertEqual(invoice.amount_untaxed, 249.0)
        self.assertEqual(ticket.with_user(self.user_agent).invoice_count, 1)
        action = ticket.with_user(self.user_agent).action_view_invoices()
        self.assertEqual(action["res_id"], invoice.id)

    def test_other_customer_cannot_accept(self):
        self._repair_on_site()
        self.repair.with_user(self.user_agent).action_quote()
        order = self.repair.sudo().quotation_id
        self.env["res.users"].create(
            {
                "login": "as_portal_other",
                "password": "as_portal_other",
                "name": "Qian Portal",
                "partner_id": self.customer_other.id,
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        self.authenticate("as_portal_other", "as_portal_other")
        result = self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {"name": "Qian", "signature": SIGNATURE},
        )
        self.assertEqual(result, {"error": "Invalid order."})
        self.assertEqual(order.state, "draft")

    def test_public_price_list(self):
        self.part_board.aftersales_price_published = True
        self.part_filter.list_price = 20.0
        page = self.url_open("/aftersales/prices")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Labour, air conditioners", page.text)
        self.assertIn("Travel, Hangzhou", page.text)
        self.assertIn("Control Board CB-7", page.text)
        # Unpublished fees and parts stay off the page; nothing personal on it.
        self.assertNotIn("Travel, elsewhere", page.text)
        self.assertNotIn("Filter F-2", page.text)
        self.assertNotIn("Wu Customer", page.text)
