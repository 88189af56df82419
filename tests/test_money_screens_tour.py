"""The money screens in the browser, as the roles that use them: a
salesperson's service contract and its entitlements, an agent's quotation of
a charged repair, an agent's exchange under the three guarantees, a loaner
lent and taken back (the stock user following the pool), and the service
manager's partner settlement, printed."""

from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase
from odoo.tools import format_date

from .common import AftersalesHttpCase
from .test_charging import ChargingCase
from .test_contract import ContractFixtures
from .test_guarantee import GuaranteeCase
from .test_loan import LoanCase
from .test_partner_service import PartnerServiceCase


def _ticket_url(ticket):
    return f"/odoo/action-aftersales_service.aftersales_ticket_action/{ticket.id}"


class TestContractScreensTour(ContractFixtures, AftersalesHttpCase):
    def test_salesperson_reads_entitlements_and_renews(self):
        start = fields.Date.today() - timedelta(days=60)
        contract = self._contract(start=start)
        self.assertEqual(contract.state, "active")
        ticket = self._ticket(mode="remote", day=fields.Date.today())
        self._solve(ticket)
        self.assertEqual(contract.usage_count, 1)
        remote = contract.entitlement_ids.filtered(
            lambda e: e.resolution_mode == "remote"
        )
        self.assertEqual(remote.remaining_label, "1 of 2 left")
        self.assertFalse(contract.renewal_order_id)

        self.start_tour("/odoo", "aftersales_contract_screens_tour", login="as_sales")
        order = contract.renewal_order_id
        self.assertTrue(order)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.order_line.product_id, self.product_contract)
        self.assertEqual(order.user_id, self.user_sales)


class TestChargingScreensTour(ChargingCase, HttpCase):
    def test_agent_quotes_the_charged_repair(self):
        self._repair_on_site()
        ticket = self.repair
        order = ticket.sudo().quotation_id

        self.start_tour(
            _ticket_url(ticket), "aftersales_charging_screens_tour", login="as_agent"
        )
        self.assertEqual(ticket.sudo().quotation_id, order)
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.name")),
            ["Control Board CB-7", "Repair Labour", "Travel"],
        )
        self.assertEqual(order.amount_untaxed, 249.0)
        self.assertEqual(ticket.charged_amount, 249.0)
        labour, travel = ticket.charge_ids.sorted("charge_type")
        self.assertEqual(
            (labour.fee_id, labour.quantity, labour.sale_line_id.order_id),
            (self.fee_labour, 1.5, order),
        )
        self.assertEqual(
            (travel.fee_id, travel.sale_line_id.order_id), (self.fee_travel, order)
        )
        # An agent without Sales rights opens it as the customer reads it; the
        # back-office order form would refuse them (no stock rights).
        action = ticket.with_user(self.user_agent).action_view_quotation()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/my/orders/{order.id}", action["url"])
        self.url_open(action["url"]).raise_for_status()


class TestGuaranteeScreensTour(GuaranteeCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order, cls.delivery, cls.invoice = cls._sell(cls.lot_ac1)
        cls.warranty = cls._warranties(cls, cls.lot_ac1)

    def test_agent_exchanges_the_unit(self):
        __, new2 = self._stock(["AC-NEW-1", "AC-NEW-2"])
        ticket = self._ticket(days_after=10)
        self.assertEqual(ticket.three_guarantee_right, "exchange")

        self.start_tour(
            _ticket_url(ticket), "aftersales_guarantee_screens_tour", login="as_agent"
        )
        self.assertEqual(ticket.guarantee_kind, "exchange")
        self.assertEqual(ticket.guarantee_state, "delivering")
        self.assertEqual(ticket.guarantee_new_lot_id, new2)
        self.assertEqual(self.warranty.state, "void")
        back, out = self._guarantee_pickings(ticket)
        self.assertEqual(back.state, "done")
        self.assertEqual(back.move_line_ids.lot_id, self.lot_ac1)
        self.assertEqual(out.state, "assigned")
        self.assertEqual(out.move_line_ids.lot_id, new2)


class TestLoanScreensTour(LoanCase, HttpCase):
    def test_agent_lends_and_takes_back_the_stock_user_follows(self):
        self.start_tour(
            _ticket_url(self.ticket), "aftersales_loan_lend_tour", login="as_agent"
        )
        loan = self.ticket.loan_ids
        self.assertEqual(len(loan), 1)
        self.assertEqual((loan.state, loan.lot_id), ("lent", self.loaner1))
        out = self._loan_pickings(loan)
        self.assertEqual(
            (out.state, out.aftersales_guarantee_flow), ("done", "loan_out")
        )
        self.assertEqual(self._lot_quantity(self.loaner1, self.pool), 0.0)
        # The ticket's note gives the return date in the user's format.
        lent_note = self.ticket.message_ids.filtered(
            lambda m: "Loaner Air Conditioner X1 LOAN-1 lent" in (m.body or "")
        )
        self.assertIn(
            f"expected back on {format_date(self.env, loan.expected_return_date)}",
            lent_note.body,
        )

        self.start_tour("/odoo", "aftersales_loan_stock_tour", login="as_stock_loan")
        self.start_tour(
            "/odoo", "aftersales_loan_stock_read_tour", login="as_stock_loan"
        )
        self.assertEqual(loan.state, "lent")

        self.start_tour(
            _ticket_url(self.ticket), "aftersales_loan_take_back_tour", login="as_agent"
        )
        self.assertEqual(loan.state, "returned")
        self.assertEqual(loan.return_condition, "incomplete")
        self.assertEqual(loan.return_note, "No remote control")
        back = self._loan_pickings(loan) - out
        self.assertEqual(
            (back.state, back.aftersales_guarantee_flow), ("done", "loan_in")
        )
        self.assertEqual(self._lot_quantity(self.loaner1, self.pool), 1.0)


class TestSettlementScreensTour(PartnerServiceCase, HttpCase):
    def test_manager_reads_and_prints_the_settlement(self):
        part = self.env["product.product"].create(
            {"name": "Fan Motor", "is_storable": True}
        )
        visits = self.env["aftersales.visit"]
        for ticket, day, hours in (
            (self.ticket_partner, 7, 1.5),
            (self.ticket_partner_unassigned, 29, 2.25),
        ):
            start = datetime(2026, 9, day, 3, 0)
            visits |= visits.create(
                {
                    "ticket_id": ticket.id,
                    "technician_id": self.emp_partner.id,
                    "planned_start": start,
                    "planned_stop": start + timedelta(hours=2),
                    "outside_hours_confirmed": True,
                    "state": "done",
                    "check_in_date": start,
                    "check_out_date": start + timedelta(hours=hours),
                    "signed_by": "Aydin",
                    "signed_on": start + timedelta(hours=hours),
                }
            )
        reservation = self.env["aftersales.part.reservation"].create(
            {
                "ticket_id": self.ticket_partner.id,
                "line_ids": [Command.create({"product_id": part.id, "product_qty": 2})],
            }
        )
        reservation.line_ids.write({"qty_consumed": 2, "visit_id": visits[0].id})
        self.user_manager.tz = "UTC"

        self.start_tour(
            "/odoo", "aftersales_settlement_screens_tour", login="as_manager"
        )
        Report = self.env["ir.actions.report"]
        printed = []
        origin = type(Report)._render_qweb_pdf

        def spy(report, report_ref, res_ids=None, data=None):
            printed.append((report_ref, res_ids))
            return origin(report, report_ref, res_ids=res_ids, data=data)

        self.patch(type(Report), "_render_qweb_pdf", spy)
        Wizard = self.env["aftersales.settlement.wizard"]
        before = Wizard.search([])
        self.start_tour(
            "/odoo/action-aftersales_service.aftersales_settlement_wizard_action",
            "aftersales_settlement_print_tour",
            login="as_manager",
        )
        wizard = Wizard.search([]) - before
        self.assertEqual(wizard.partner_id, self.partner_co)
        self.assertEqual(wizard.visit_ids, visits)
        self.assertEqual(len(printed), 1)
        self.assertEqual(printed[0][1], wizard.ids)
