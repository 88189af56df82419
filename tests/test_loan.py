"""Loaner units (issue 14): a pool per service point, lent from a ticket by
a real delivery, taken back by a receipt with the condition checked; an
overdue loaner reminds its responsible and turns the ticket yellow, then
red. As the real roles; a loaner already lent is refused."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user

from .common import AftersalesCase


class LoanCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_stock = new_test_user(
            env,
            login="as_stock_loan",
            name="Ma Storekeeper",
            groups="stock.group_stock_user",
        )
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse._aftersales_loaner_setup()
        cls.pool = cls.warehouse.aftersales_loaner_location_id
        cls.customers = env.ref("stock.stock_location_customers")
        Lot = env["stock.lot"]
        cls.loaner1 = Lot.create({"name": "LOAN-1", "product_id": cls.product_ac.id})
        cls.loaner2 = Lot.create({"name": "LOAN-2", "product_id": cls.product_ac.id})
        for lot in cls.loaner1 | cls.loaner2:
            env["stock.quant"]._update_available_quantity(
                cls.product_ac, cls.pool, 1, lot_id=lot
            )
        cls.ticket = cls._create_ticket(
            env(user=cls.user_agent),
            technician_id=cls.emp_technician.id,
            lot_id=cls.lot_ac1.id,
        ).with_env(env)

    def _new_loan(self, ticket=None, lot=None, user=None):
        user = user or self.user_agent
        ticket = (ticket or self.ticket).with_user(user)
        action = ticket.action_lend_loaner()
        form = Form(
            self.env(user=user)["aftersales.loan"].with_context(**action["context"])
        )
        form.lot_id = lot or self.loaner1
        return form.save()

    def _lot_quantity(self, lot, location):
        return sum(
            self.env["stock.quant"]
            .search([("lot_id", "=", lot.id), ("location_id", "=", location.id)])
            .mapped("quantity")
        )

    def _loan_pickings(self, loans):
        return self.env["stock.picking"].search(
            [("aftersales_loan_id", "in", loans.ids)], order="id"
        )


class TestLoan(LoanCase):
    def test_lend_and_take_back_late(self):
        loan = self._new_loan()
        self.assertEqual(loan.state, "draft")
        self.assertEqual(loan.warehouse_id, self.warehouse)
        self.assertEqual(loan.user_id, self.user_agent)
        self.assertEqual(loan.partner_id, self.customer)
        resolution = self.ticket.sla_ids.filtered(
            lambda line: line.target_type == "resolution"
        )
        expected = (
            resolution.deadline.date()
            if resolution
            else fields.Date.today() + timedelta(days=7)
        )
        self.assertEqual(loan.expected_return_date, expected)

        loan.action_lend()
        out = self._loan_pickings(loan)
        self.assertEqual(out.state, "done")
        self.assertEqual(out.aftersales_guarantee_flow, "loan_out")
        self.assertEqual(
            out.picking_type_id, self.warehouse.aftersales_loan_out_type_id
        )
        self.assertEqual(out.move_line_ids.lot_id, self.loaner1)
        self.assertEqual(self._lot_quantity(self.loaner1, self.pool), 0.0)
        self.assertEqual(self._lot_quantity(self.loaner1, self.customers), 1.0)
        # A loaner stays the company's: no warranty for the customer.
        self.assertFalse(
            self.env["aftersales.warranty"].search([("lot_id", "=", self.loaner1.id)])
        )
        self.assertEqual(loan.state, "lent")
        self.assertEqual(loan.out_picking_ref, out.name)
        self.assertIn(
            "Loaner Air Conditioner X1 LOAN-1 lent", self.ticket.message_ids[0].body
        )
        self.assertEqual(self.ticket.loan_alert, "none")
        self.assertEqual(self.ticket.loan_count, 1)
        light = self.ticket.traffic_light
        self.assertNotEqual(light, "red")

        # One day late: the responsible is reminded once, the ticket is yellow.
        Loan = self.env["aftersales.loan"]
        with freeze_time(loan.expected_return_date + timedelta(days=1)):
            self.assertEqual(Loan._cron_remind_overdue(), loan)
            Loan._cron_remind_overdue()
        self.assertEqual(loan.alert, "yellow")
        self.assertEqual(loan.overdue_days, 1)
        self.assertEqual(len(loan.activity_ids), 1)
        self.assertEqual(loan.activity_ids.user_id, self.user_agent)
        self.assertIn("LOAN-1", loan.activity_ids.summary)
        self.assertEqual(self.ticket.loan_alert, "yellow")
        self.assertIn(self.ticket.traffic_light, ("yellow", "red"))
        # Past the warehouse's red threshold (3 days): red.
        with freeze_time(loan.expected_return_date + timedelta(days=5)):
            Loan._cron_remind_overdue()
        self.assertEqual(loan.alert, "red")
        self.assertEqual(self.ticket.loan_alert, "red")
        self.assertEqual(self.ticket.traffic_light, "red")
        self.assertEqual(len(loan.activity_ids), 1)

        # Taken back: the condition must be checked first.
        as_agent = loan.with_user(self.user_agent)
        with self.assertRaisesRegex(UserError, "record its condition"):
            as_agent.action_take_back()
        as_agent.write({"return_condition": "incomplete", "return_note": "No remote"})
        with freeze_time(loan.expected_return_date + timedelta(days=5)):
            as_agent.action_take_back()
        back = self._loan_pickings(loan) - out
        self.assertEqual(back.state, "done")
        self.assertEqual(back.aftersales_guarantee_flow, "loan_in")
        self.assertEqual(back.move_line_ids.lot_id, self.loaner1)
        self.assertEqual(self._lot_quantity(self.loaner1, self.pool), 1.0)
        self.assertEqual(loan.state, "returned")
        self.assertEqual(loan.alert, "none")
        self.assertFalse(loan.activity_ids)
        self.assertIn("5 days late", self.ticket.message_ids[0].body)
        self.assertIn("Accessories Missing", self.ticket.message_ids[0].body)
        self.assertFalse(self.ticket.loan_alert)

    def _loan_mails(self, loans):
        return self.env["mail.mail"].search(
            [("model", "=", "aftersales.loan"), ("res_id", "in", loans.ids)],
            order="id",
        )

    def test_customer_is_emailed_once_per_overdue_level(self):
        """The overdue job e-mails the customer, in their language: once
        when overdue, once more when long overdue; a rerun sends nothing."""
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("aftersales_service.mail_template_loan_overdue")
        template.with_context(lang="fr_FR").subject = (
            "[{{ object.ticket_id.name }}] Merci de rapporter le prêt "
            "{{ object.lot_id.name }}"
        )
        french = self.customer.copy({"name": "Dupont Client", "lang": "fr_FR"})
        other = self._create_ticket(
            self.env(user=self.user_agent),
            partner_id=french.id,
            lot_id=self.lot_ac2.id,
        )
        loan = self._new_loan()
        loan_fr = self._new_loan(ticket=other, lot=self.loaner2)
        (loan | loan_fr).action_lend()
        loans = loan | loan_fr
        due = max(loans.mapped("expected_return_date"))
        loans.write({"expected_return_date": due})
        Loan = self.env["aftersales.loan"]
        with freeze_time(due):
            Loan._cron_remind_overdue()
        self.assertFalse(self._loan_mails(loans), "not overdue yet")
        with freeze_time(due + timedelta(days=1)):
            Loan._cron_remind_overdue()
            Loan._cron_remind_overdue()
        mails = self._loan_mails(loans)
        self.assertEqual(len(mails), 2)
        mail, mail_fr = (mails.filtered(lambda m, x=x: m.res_id == x.id) for x in loans)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(
            mail.subject, f"[{self.ticket.name}] Please bring back loaner LOAN-1"
        )
        self.assertIn("was due back on", mail.body_html)
        self.assertNotIn("second reminder", mail.body_html)
        self.assertEqual(mail_fr.recipient_ids, french)
        self.assertEqual(
            mail_fr.subject, f"[{other.name}] Merci de rapporter le prêt LOAN-2"
        )
        self.assertEqual(set(loans.mapped("customer_reminded_alert")), {"yellow"})
        # Long overdue (past the warehouse's 3 red days): one more each.
        with freeze_time(due + timedelta(days=5)):
            Loan._cron_remind_overdue()
            Loan._cron_remind_overdue()
        mails = self._loan_mails(loans) - mails
        self.assertEqual(len(mails), 2)
        self.assertTrue(all("second reminder" in m.body_html for m in mails))
        self.assertEqual(set(loans.mapped("customer_reminded_alert")), {"red"})
        with freeze_time(due + timedelta(days=9)):
            Loan._cron_remind_overdue()
        self.assertEqual(len(self._loan_mails(loans)), 4)

    def test_damaged_loaner_leaves_the_pool(self):
        self.warehouse._aftersales_parts_setup()
        loan = self._new_loan()
        loan.action_lend()
        loan.return_condition = "damaged"
        loan.with_user(self.user_agent).action_take_back()
        defective = self.warehouse.aftersales_defective_location_id
        self.assertEqual(self._lot_quantity(self.loaner1, defective), 1.0)
        self.assertEqual(self._lot_quantity(self.loaner1, self.pool), 0.0)

    def test_loaner_already_lent_is_refused(self):
        first = self._new_loan()
        first.action_lend()
        other_ticket = self._create_ticket(
            self.env(user=self.user_agent), lot_id=self.lot_ac2.id
        )
        second = self._new_loan(ticket=other_ticket)
        with self.assertRaisesRegex(
            UserError,
            rf"^Loaner LOAN-1 is already lent to Wu Customer.* \({first.name}, ticket "
            rf"{self.ticket.name}\) until .*: choose another one\.$",
        ):
            second.action_lend()
        self.assertEqual(second.state, "draft")
        self.assertFalse(self._loan_pickings(second))
        # A serial that is not in the pool is refused too.
        stray = self.env["stock.lot"].create(
            {"name": "NOT-IN-POOL", "product_id": self.product_ac.id}
        )
        second.lot_id = stray
        with self.assertRaisesRegex(UserError, "is not free in the loaner pool"):
            second.action_lend()
        self.assertFalse(self._loan_pickings(second))
        # Another loaner goes.
        second.lot_id = self.loaner2
        second.action_lend()
        self.assertEqual(second.state, "lent")

    def test_roles(self):
        # Technicians see the loaners of their tickets but lend none.
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.user_technician).action_lend_loaner()
        with self.assertRaises(AccessError):
            self.env(user=self.user_technician)["aftersales.loan"].create(
                {
                    "ticket_id": self.ticket.id,
                    "product_id": self.product_ac.id,
                    "lot_id": self.loaner1.id,
                }
            )
        loan = self._new_loan()
        with self.assertRaises(AccessError):
            loan.with_user(self.user_technician).action_lend()
        loan.action_lend()
        self.assertEqual(loan.with_user(self.user_technician).state, "lent")
        # Stock staff see every loaner and its moves, and the ticket.
        as_stock = self.env(user=self.user_stock)
        self.assertEqual(as_stock["aftersales.loan"].search([]), loan)
        moves = as_stock["stock.picking"].search(
            [("aftersales_guarantee_flow", "!=", False)]
        )
        self.assertEqual(moves, self._loan_pickings(loan))
        self.assertEqual(
            loan.with_user(self.user_stock).ticket_id.name, self.ticket.name
        )
        with self.assertRaises(AccessError):
            loan.with_user(self.user_stock).action_take_back()

    def test_availability_per_product_and_service_point(self):
        action = (
            self.env["aftersales.loan"]
            .with_user(self.user_stock)
            .action_loaner_availability()
        )
        Quant = self.env(user=self.user_stock)["stock.quant"]
        self.assertEqual(
            Quant.search(action["domain"]).lot_id, self.loaner1 | self.loaner2
        )
        groups = Quant._read_group(
            action["domain"], ["location_id", "product_id"], ["quantity:sum"]
        )
        self.assertEqual(groups, [(self.pool, self.product_ac, 2.0)])
        self._new_loan().action_lend()
        self.assertEqual(Quant.search(action["domain"]).lot_id, self.loaner2)

    def test_overdue_job_query_count_does_not_grow(self):
        """The daily job reminds any number of overdue loaners in the same
        number of queries."""
        Lot = self.env["stock.lot"]
        loans = self.env["aftersales.loan"]
        for index in range(6):
            lot = Lot.create(
                {"name": f"POOL-{index}", "product_id": self.product_ac.id}
            )
            self.env["stock.quant"]._update_available_quantity(
                self.product_ac, self.pool, 1, lot_id=lot
            )
            ticket = self._create_ticket(
                self.env(user=self.user_agent), lot_id=self.lot_ac1.id
            )
            loan = self._new_loan(ticket=ticket, lot=lot)
            loan.action_lend()
            loans |= loan
        Loan = self.env["aftersales.loan"]

        def run():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            Loan._cron_remind_overdue()
            self.env.flush_all()
            return self.cr.sql_log_count - before

        late = max(loans.mapped("expected_return_date")) + timedelta(days=1)
        loans[2:].write({"expected_return_date": late + timedelta(days=30)})
        with freeze_time(late):
            run()  # warm the caches: reminds the first two
            loans.activity_ids.unlink()
            loans.customer_reminded_alert = False
            small = run()
        self.assertEqual(len(loans.activity_ids), 2)
        self.assertEqual(len(self._loan_mails(loans)), 4)  # warm-up and run
        loans.activity_ids.unlink()
        loans.customer_reminded_alert = False
        loans[2:].write({"expected_return_date": late - timedelta(days=1)})
        with freeze_time(late):
            large = run()
        self.assertEqual(len(loans.activity_ids), 6)
        self.assertEqual(len(self._loan_mails(loans)), 10)
        self.assertEqual(small, large)
