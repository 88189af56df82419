from odoo.exceptions import UserError, ValidationError

from .common import AftersalesCase


class TestTicketBadInput(AftersalesCase):
    def _assert_refused(self, exception, message, **vals):
        Ticket = self.env["aftersales.ticket"].with_user(self.user_agent)
        before = self.env["aftersales.ticket"].search_count([])
        with self.assertRaises(exception) as caught:
            Ticket.create(self._ticket_vals(**vals))
        self.assertIn(message, str(caught.exception))
        self.assertEqual(
            self.env["aftersales.ticket"].search_count([]),
            before,
            "nothing may be written",
        )

    def test_missing_customer(self):
        self._assert_refused(ValidationError, "Customer:", partner_id=False)

    def test_empty_symptom(self):
        self._assert_refused(ValidationError, "Symptom:", symptom="   ")
        self._assert_refused(ValidationError, "Symptom:", symptom=False)

    def test_priority_outside_the_list(self):
        self._assert_refused(
            ValidationError,
            "Priority: 7 is not a valid priority; choose one of Normal, Urgent, "
            "Critical.",
            priority="7",
        )

    def test_serial_of_another_product(self):
        self._assert_refused(
            ValidationError,
            "Serial Number WM-0001 belongs to product Washing Machine W2, not to "
            "Air Conditioner X1",
            product_id=self.product_ac.id,
            lot_id=self.lot_washer1.id,
        )

    def test_serial_of_another_company(self):
        self._assert_refused(
            UserError,
            "Serial Number",
            lot_id=self.lot_other_company.id,
        )

    def test_team_of_another_company(self):
        self._assert_refused(
            UserError,
            "Service Team",
            team_id=self.team_other_company.id,
        )

    def test_batch_with_one_bad_ticket_writes_nothing(self):
        Ticket = self.env["aftersales.ticket"]
        before = Ticket.search_count([])
        with self.assertRaises(ValidationError):
            Ticket.create(
                [
                    self._ticket_vals(),
                    self._ticket_vals(symptom=""),
                    self._ticket_vals(),
                ]
            )
        self.assertEqual(Ticket.search_count([]), before)

    def test_clearing_customer_or_symptom_later(self):
        ticket = self._create_ticket()
        for vals, message in (
            ({"partner_id": False}, "Customer:"),
            ({"symptom": " "}, "Symptom:"),
            ({"priority": "urgent"}, "Priority:"),
        ):
            with self.assertRaises(ValidationError) as caught:
                ticket.write(vals)
            self.assertIn(message, str(caught.exception))
            ticket.invalidate_recordset()
            self.assertEqual(ticket.partner_id, self.customer)
            self.assertEqual(ticket.symptom, "Does not cool")
            self.assertEqual(ticket.priority, "0")

    def test_negative_repeat_window(self):
        with self.assertRaisesRegex(ValidationError, "Repeat Contact Window"):
            self.company.aftersales_repeat_days = -1
