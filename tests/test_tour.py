from .common import AftersalesHttpCase


class TestTicketTour(AftersalesHttpCase):
    def test_agent_records_and_hands_over_a_ticket(self):
        self.start_tour("/odoo", "aftersales_ticket_tour", login="as_agent")
        ticket = self.env["aftersales.ticket"].search(
            [("symptom", "=", "Air conditioner blows warm air")]
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.stage_id, self.stage_diagnosis)
        self.assertEqual(ticket.owner_id, self.user_agent2)
        self.assertTrue(
            ticket.message_ids.filtered(lambda m: "On leave next week" in m.body)
        )
