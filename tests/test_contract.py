"""Service contracts and entitlements: sold on a sale order, looked up by
each ticket and visit in one indexed query, consumed exactly once when the
service is done, chargeable with the reason in words once used up or ended;
renewal reminders and the renewal quotation; as the real roles."""

from contextlib import contextmanager
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import AftersalesCase, AftersalesHttpCase
from .test_visit_report import PNG_B64, VisitCase

# 2030-03-04 is a Monday: the visit window of VisitCase.
START = date(2029, 6, 1)


class ContractFixtures:
    """A 3-year maintenance contract template sold as a service product."""

    @contextmanager
    def _refused(self, exception, message):
        """Refused with ``message``, and (Odoo's assertRaises) rolled back."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), message)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_sales = new_test_user(
            env,
            login="as_sales",
            name="Sun Salesperson",
            groups="sales_team.group_sale_salesman",
        )
        cls.template = env["aftersales.contract.template"].create(
            {
                "name": "Maintenance Plus",
                "duration_months": 36,
                "response_tier": "premium",
                "reminder_days": 30,
                "line_ids": [
                    Command.create(
                        {
                            "name": "On-site repair",
                            "resolution_mode": "onsite",
                            "month_from": 0,
                            "month_to": 12,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Carry-in repair",
                            "resolution_mode": "carry_in",
                            "month_from": 12,
                            "month_to": 36,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Remote software visit",
                            "resolution_mode": "remote",
                            "month_from": 0,
                            "month_to": 36,
                            "quantity": 2,
                        }
                    ),
                ],
            }
        )
        cls.product_contract = env["product.product"].create(
            {
                "name": "Maintenance Plus (3 years)",
                "type": "service",
                "list_price": 1200.0,
                "aftersales_contract_template_id": cls.template.id,
            }
        )

    @classmethod
    def _contract(cls, lots=None, start=START, activate=True, **vals):
        contract = (
            cls.env["aftersales.contract"]
            .with_user(cls.user_manager)
            .create(
                {
                    **cls.template._prepare_contract_vals(),
                    "partner_id": cls.customer.id,
                    "date_start": start,
                    "lot_ids": [Command.set((lots or cls.lot_ac1).ids)],
                    "product_id": cls.product_contract.id,
                    "price": 1200.0,
                    **vals,
                }
            )
        )
        if activate:
            contract.action_activate()
        return contract

    def _ticket(self, lot=None, mode=None, day=None, **vals):
        return self._create_ticket(
            lot_id=(lot or self.lot_ac1).id,
            resolution_mode=mode,
            warranty_date=day or START + timedelta(days=30),
            **vals,
        )

    def _solve(self, tickets):
        tickets.write({"stage_id": self.stage_solved.id})


class ContractCase(ContractFixtures, AftersalesCase):
    pass


class TestContractSale(ContractCase):
    def test_salesperson_sells_a_contract_for_the_serials_on_the_order(self):
        env = self.env(user=self.user_sales)
        order = env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product_contract.id,
                            "aftersales_contract_lot_ids": [
                                Command.set((self.lot_ac1 | self.lot_ac2).ids)
                            ],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        contract = order.order_line.aftersales_contract_id
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.lot_ids, self.lot_ac1 | self.lot_ac2)
        self.assertEqual(contract.template_id, self.template)
        self.assertEqual(contract.response_tier, "premium")
        today = fields.Date.context_today(contract)
        self.assertEqual(contract.date_start, today)
        self.assertEqual(
            contract.date_end, today + relativedelta(months=36) - timedelta(days=1)
        )
        self.assertEqual(contract.price, 1200.0)
        self.assertEqual(order.aftersales_contract_count, 1)
        # three coverage lines for each of the two units
        self.assertEqual(len(contract.entitlement_ids), 6)
        # the salesperson reads what they sold but changes nothing
        self.assertEqual(contract.with_user(self.user_sales).name, contract.name)
        with self.assertRaises(AccessError):
            contract.with_user(self.user_sales).write({"price": 1.0})
        with self.assertRaises(AccessError):
            env["aftersales.contract.template"].create({"name": "Cheap"})

    def test_without_serials_the_contract_waits_for_them(self):
        order = self.env(user=self.user_sales)["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product_contract.id})
                ],
            }
        )
        order.action_confirm()
        contract = order.order_line.aftersales_contract_id.sudo()
        self.assertEqual(contract.state, "draft")
        self.assertFalse(contract.entitlement_ids)
        with self._refused(UserError, "choose the serial numbers"):
            contract.with_user(self.user_manager).action_activate()
        contract.with_user(self.user_manager).write(
            {"lot_ids": [Command.set(self.lot_washer1.ids)]}
        )
        contract.with_user(self.user_manager).action_activate()
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.entitlement_ids.lot_id, self.lot_washer1)

    def test_manager_configures_templates_agents_do_not(self):
        with self.assertRaises(AccessError):
            self.template.with_user(self.user_agent).write({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.template.with_user(self.user_technician).write({"name": "Mine"})
        self.template.with_user(self.user_manager).write({"name": "Maintenance Max"})
        self.assertEqual(self.template.name, "Maintenance Max")


class TestEntitlementLookup(ContractCase):
    def test_ticket_finds_the_entitlement_of_its_mode_and_period(self):
        contract = self._contract()
        year1 = self._ticket(mode="onsite")
        self.assertEqual(year1.contract_id, contract)
        self.assertEqual(year1.entitlement_id.name, "On-site repair")
        self.assertTrue(year1.entitlement_covers)
        self.assertEqual(year1.entitlement_left, "Unlimited")
        # year 2: carry-in covered, on site not
        year2_day = START + relativedelta(months=14)
        year2 = self._ticket(mode="carry_in", day=year2_day)
        self.assertEqual(year2.entitlement_id.name, "Carry-in repair")
        self.assertTrue(year2.entitlement_covers)
        onsite2 = self._ticket(mode="onsite", day=year2_day)
        self.assertFalse(onsite2.entitlement_covers)
        self.assertIn("covers", onsite2.entitlement_reason)
        self.assertIn("not On-Site Visit", onsite2.entitlement_reason)
        # counted remote services say what is left
        remote = self._ticket(mode="remote")
        self.assertEqual(remote.entitlement_left, "2 of 2 left")
        # another customer's unit: nothing
        other = self._ticket(lot=self.lot_ac2, mode="onsite")
        self.assertFalse(other.entitlement_id)
        self.assertFalse(other.entitlement_covers)

    def test_lookup_is_one_query_for_any_number_of_units(self):
        self._contract()
        Entitlement = self.env["aftersales.contract.entitlement"]
        queries = [
            (self.lot_ac1.id, self.customer.id, "onsite", START + timedelta(days=i))
            for i in range(50)
        ]
        Entitlement._lookup(queries[:1])
        with self.assertQueryCount(1):
            found = Entitlement._lookup(queries)
        self.assertEqual(len(found), 50)
        self.assertEqual(set(e.name for e in found), {"On-site repair"})

    def test_customer_wide_contract_covers_every_unit(self):
        contract = self._contract(lots=self.lot_ac1, coverage="customer")
        ticket = self._ticket(lot=self.lot_washer1, mode="onsite")
        self.assertEqual(ticket.contract_id, contract)
        self.assertTrue(ticket.entitlement_covers)

    def test_contract_activated_later_reaches_the_open_ticket(self):
        ticket = self._ticket(mode="onsite")
        self.assertFalse(ticket.contract_id)
        contract = self._contract()
        self.assertEqual(ticket.contract_id, contract)
        contract.with_user(self.user_manager).action_cancel()
        ticket.invalidate_recordset()
        self.assertFalse(ticket.contract_id)

    def test_sla_policy_matches_the_contract_tier(self):
        Policy = self.env["aftersales.sla.policy"]
        premium = Policy.create(
            {
                "name": "Premium contract",
                "contract_tier": "premium",
                "response_hours": 1,
            }
        )
        without = self._ticket(lot=self.lot_ac2, mode="onsite")
        self.assertNotEqual(without.sla_policy_id, premium)
        self._contract()
        ticket = self._ticket(mode="onsite")
        self.assertEqual(ticket.sla_policy_id, premium)

    def test_ticket_lookup_query_count_does_not_grow(self):
        self._contract(lots=self.lot_ac1 | self.lot_ac2)
        self._create_ticket(lot_id=self.lot_ac1.id)  # warm caches
        vals = [
            self._ticket_vals(lot_id=self.lot_ac1.id, resolution_mode="onsite")
            for __ in range(2)
        ]
        Ticket = self.env["aftersales.ticket"]
        counts = []
        for size in (2, 12):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Ticket.create(vals[:1] * size).mapped("entitlement_covers")
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - before)
        # ten tickets more: a few queries per ticket (chatter, sequences,
        # SLA), not the lookup's
        self.assertLess(counts[1] - counts[0], 10 * 25)


class TestConsumption(ContractCase):
    def test_solved_ticket_uses_one_counted_service_exactly_once(self):
        contract = self._contract()
        ticket = self._ticket(mode="remote")
        self._solve(ticket)
        self.assertEqual(len(ticket.contract_usage_ids), 1)
        self.assertEqual(ticket.entitlement_id.used_count, 1)
        self.assertEqual(ticket.entitlement_left, "1 of 2 left")
        # reopened and solved again: still one use
        ticket.write({"stage_id": self.stage_diagnosis.id})
        self._solve(ticket)
        self.assertEqual(contract.usage_count, 1)
        # a second use of the same ticket by hand: refused, nothing written
        with self._refused(ValidationError, "consumed once"):
            self.env["aftersales.contract.usage"].create(
                {"entitlement_id": ticket.entitlement_id.id, "ticket_id": ticket.id}
            )
        self.assertEqual(ticket.entitlement_id.used_count, 1)

    def test_the_database_refuses_a_concurrent_second_use(self):
        self._contract()
        ticket = self._ticket(mode="remote")
        self._solve(ticket)
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.cr.execute(
                    "INSERT INTO aftersales_contract_usage "
                    "(entitlement_id, ticket_id, company_id, date) "
                    "SELECT entitlement_id, ticket_id, company_id, date "
                    "FROM aftersales_contract_usage WHERE ticket_id = %s",
                    [ticket.id],
                )

    def test_cancelled_ticket_uses_nothing(self):
        self._contract()
        ticket = self._ticket(mode="remote")
        cancelled = self.env["aftersales.stage"].search(
            [("outcome", "=", "cancelled")], limit=1
        )
        ticket.write({"stage_id": cancelled.id})
        self.assertFalse(ticket.contract_usage_ids)

    def test_used_up_service_is_charged_with_the_reason(self):
        self._contract()
        first, second, third = (self._ticket(mode="remote") for __ in range(3))
        self._solve(first | second)
        self.assertEqual(first.entitlement_id.used_count, 2)
        self.assertFalse(third.entitlement_covers)
        self.assertEqual(
            third.entitlement_reason,
            f"contract {first.contract_id.name}: all 2 Remote software visit used",
        )
        Charge = self.env["aftersales.ticket.charge"]
        charged = Charge.create({"ticket_id": third.id, "charge_type": "labour"})
        self.assertEqual(charged.decision, "customer")
        self.assertEqual(charged.reason, third.entitlement_reason)
        # the tickets that used it stay covered
        free = Charge.create({"ticket_id": first.id, "charge_type": "labour"})
        self.assertEqual(free.decision, "free")
        self.assertIn("covered by contract", free.reason)
        # solving the third uses nothing more
        self._solve(third)
        self.assertFalse(third.contract_usage_ids)
        self.assertEqual(first.entitlement_id.used_count, 2)

    def test_ended_contract_is_charged_with_the_date(self):
        contract = self._contract()
        late = self._ticket(mode="carry_in", day=contract.date_end + timedelta(days=3))
        self.assertEqual(late.contract_id, contract)
        self.assertFalse(late.entitlement_covers)
        self.assertIn("ended on", late.entitlement_reason)
        charge = self.env["aftersales.ticket.charge"].create(
            {"ticket_id": late.id, "charge_type": "travel"}
        )
        self.assertEqual(charge.decision, "customer")
        self.assertIn("ended on", charge.reason)

    def test_technician_reads_entitlements_but_cannot_change_them(self):
        contract = self._contract()
        ticket = self._ticket(mode="onsite", technician_id=self.emp_technician.id)
        as_tech = ticket.with_user(self.user_technician)
        self.assertEqual(as_tech.entitlement_id.name, "On-site repair")
        self.assertTrue(as_tech.entitlement_covers)
        entitlement = contract.entitlement_ids[:1].with_user(self.user_technician)
        self.assertTrue(entitlement.remaining_label)
        with self.assertRaises(AccessError):
            entitlement.write({"quantity": 99})
        with self.assertRaises(AccessError):
            contract.with_user(self.user_technician).write({"price": 0})
        with self.assertRaises(AccessError):
            self.env["aftersales.contract.usage"].with_user(self.user_agent).create(
                {"entitlement_id": entitlement.id, "ticket_id": ticket.id}
            )


class TestVisitConsumption(VisitCase, ContractCase):
    def test_signed_visit_uses_one_on_site_service_once(self):
        contract = self._contract(
            line_ids=[
                Command.clear(),
                Command.create(
                    {
                        "name": "On-site visit",
                        "resolution_mode": "onsite",
                        "month_from": 0,
                        "month_to": 12,
                        "quantity": 5,
                    }
                ),
            ]
        )
        visit = self._visit(state="on_site")
        self.assertEqual(visit.entitlement_id.contract_id, contract)
        self.assertEqual(visit.entitlement_left, "5 of 5 left")
        self._write_report(visit)
        visit.with_user(self.user_technician)._sign("Wu Customer", PNG_B64)
        self.assertEqual(contract.usage_count, 1)
        visit.invalidate_recordset()
        self.assertEqual(visit.contract_usage_id.visit_id, visit)
        self.assertEqual(visit.entitlement_left, "4 of 5 left")
        # the ticket solved afterwards uses nothing more
        self.ticket.write({"stage_id": self.stage_solved.id})
        self.assertEqual(contract.usage_count, 1)
        self.assertEqual(self.ticket.entitlement_left, "4 of 5 left")


class TestContractBadInput(ContractCase):
    def test_overlapping_contract_for_one_serial_is_refused(self):
        first = self._contract()
        second = self._contract(start=START + relativedelta(months=6), activate=False)
        with self._refused(ValidationError, "already covered by contract"):
            second.action_activate()
        second.invalidate_recordset()
        self.assertEqual(second.state, "draft")
        self.assertFalse(second.entitlement_ids)
        # after the first ends, it may start
        later = self._contract(start=first.date_end + timedelta(days=1))
        self.assertEqual(later.state, "active")

    def test_end_before_start_and_negative_numbers_are_refused(self):
        Contract = self.env["aftersales.contract"].with_user(self.user_manager)
        count = Contract.search_count([])
        with self._refused(ValidationError, "is before the start"):
            Contract.create(
                {
                    "partner_id": self.customer.id,
                    "date_start": START,
                    "date_end": START - timedelta(days=1),
                }
            )
        with self._refused(ValidationError, "price cannot be negative"):
            self._contract(price=-5, activate=False)
        with self._refused(ValidationError, "cannot be negative"):
            self.template.with_user(self.user_manager).line_ids[:1].write(
                {"quantity": -1}
            )
        with self._refused(ValidationError, "must end after it starts"):
            self.template.with_user(self.user_manager).line_ids[:1].write(
                {"month_to": 0}
            )
        self.assertEqual(Contract.search_count([]), count)


class TestRenewal(ContractCase):
    def test_daily_job_reminds_once_and_expires(self):
        today = fields.Date.context_today(self.env["aftersales.contract"])
        ending = self._contract(
            start=today - relativedelta(months=36) + timedelta(days=20)
        )
        ended = self._contract(
            lots=self.lot_ac2,
            start=today - relativedelta(months=36) - timedelta(days=2),
        )
        later = self._contract(lots=self.lot_washer1, start=today)
        Contract = self.env["aftersales.contract"]
        expired, reminded = Contract._cron_renewal()
        self.assertEqual((expired, reminded), (1, 1))
        self.assertEqual(ended.state, "expired")
        self.assertEqual(ending.reminder_sent_date, today)
        self.assertFalse(later.reminder_sent_date)
        activity = ending.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_manager)
        mail = self.env["mail.mail"].search(
            [("model", "=", "aftersales.contract"), ("res_id", "=", ending.id)]
        )
        self.assertEqual(len(mail), 1)
        self.assertIn("ends soon", mail.subject)
        # the next day: nothing twice
        self.assertEqual(Contract._cron_renewal(), (0, 0))
        self.assertEqual(len(ending.activity_ids), 1)

    def test_renew_in_one_click_and_confirm(self):
        contract = self._contract(renewal_price=1000.0)
        action = contract.with_user(self.user_sales).action_renew()
        order = self.env["sale.order"].browse(action["res_id"])
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(order.order_line.product_id, self.product_contract)
        self.assertEqual(order.order_line.price_unit, 1000.0)
        self.assertEqual(contract.renewal_order_id, order)
        self.assertFalse(contract.can_renew)
        with self._refused(UserError, "cannot be renewed now"):
            contract.with_user(self.user_sales).action_renew()
        order.with_user(self.user_sales).action_confirm()
        renewal = order.order_line.aftersales_contract_id
        self.assertEqual(contract.renewed_by_id, renewal)
        self.assertEqual(renewal.renewal_of_id, contract)
        self.assertEqual(renewal.date_start, contract.date_end + timedelta(days=1))
        self.assertEqual(renewal.lot_ids, contract.lot_ids)
        self.assertEqual(renewal.state, "active")

    def test_contract_inspections_use_the_same_generator(self):
        today = fields.Date.context_today(self.env["aftersales.contract"])
        contract = self._contract(
            start=today - relativedelta(months=6) + timedelta(days=10),
            inspection_interval=6,
        )
        Contract = self.env["aftersales.contract"]
        created = Contract._cron_generate_inspections()
        self.assertEqual(created, 1)
        visit = self.env["aftersales.visit"].search(
            [("plan_res_model", "=", "aftersales.contract")]
        )
        self.assertEqual(visit.plan_res_id, contract.id)
        self.assertEqual(visit.visit_type, "inspection")
        self.assertEqual(visit.ticket_id.lot_id, self.lot_ac1)
        self.assertEqual(contract.inspection_count, 1)
        self.assertEqual(Contract._cron_generate_inspections(), 0)
        # planned work of the contract uses no counted service
        visit.ticket_id.write({"stage_id": self.stage_solved.id})
        self.assertFalse(visit.ticket_id.contract_usage_ids)


class TestContractRecordRules(ContractCase):
    def test_other_company_and_other_customer_see_nothing(self):
        contract = self._contract()
        other_manager = new_test_user(
            self.env,
            login="as_other_mgr_c",
            groups="aftersales_service.group_aftersales_manager",
            company_id=self.other_company.id,
            company_ids=[Command.set(self.other_company.ids)],
        )
        self.assertFalse(
            self.env["aftersales.contract"].with_user(other_manager).search([])
        )
        self.assertFalse(
            self.env["aftersales.contract.entitlement"]
            .with_user(other_manager)
            .search([])
        )
        other_portal = new_test_user(
            self.env,
            login="as_other_portal_c",
            groups="base.group_portal",
            partner_id=self.customer_other.id,
        )
        with self.assertRaises(AccessError):
            contract.with_user(other_portal).check_access("read")
        contract.with_user(self.portal_user).check_access("read")
        with self.assertRaises(AccessError):
            contract.with_user(self.portal_user).write({"price": 0})


class TestContractPortal(ContractFixtures, AftersalesHttpCase):
    """The customer's contracts on the portal, over HTTP."""

    def test_customer_sees_their_contracts_and_what_is_left(self):
        mine = self._contract()
        theirs = self._contract(lots=self.lot_ac2, partner_id=self.customer_other.id)
        ticket = self._ticket(mode="remote")
        self._solve(ticket)
        self.authenticate("as_portal", "as_portal")
        page = self.url_open("/my/contracts")
        self.assertEqual(page.status_code, 200)
        self.assertIn(mine.name, page.text)
        self.assertNotIn(theirs.name, page.text)
        detail = self.url_open(f"/my/contracts/{mine.id}")
        self.assertIn("Remote software visit", detail.text)
        self.assertIn("1 of 2 left", detail.text)
        self.assertIn("AC-0001", detail.text)
        refused = self.url_open(f"/my/contracts/{theirs.id}", allow_redirects=False)
        self.assertEqual(refused.status_code, 303)
        self.assertTrue(refused.headers["Location"].endswith("/my"))
        home = self.url_open("/my/home")
        self.assertIn("/my/contracts", home.text)

    def test_public_visitor_is_sent_to_log_in(self):
        self._contract()
        page = self.url_open("/my/contracts", allow_redirects=False)
        self.assertEqual(page.status_code, 303)
        self.assertIn("/web/login", page.headers["Location"])
