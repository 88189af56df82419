from .common import AftersalesHttpCase


class TestCallbackTour(AftersalesHttpCase):
    def test_agent_records_outcome_and_answers_with_the_customer(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), technician_id=self.emp_technician.id
        )
        ticket.stage_id = self.env.ref("aftersales_service.stage_solved")
        callback = ticket.callback_ids
        self.assertEqual(callback.user_id, self.user_agent)

        self.start_tour("/odoo", "aftersales_callback_tour", login="as_agent")
        self.assertEqual(callback.state, "reached")
        self.assertEqual(callback.attempt_ids.outcome, "reached")
        self.assertEqual(callback.attempt_ids.note, "Customer happy to answer")
        answer = callback.sudo().user_input_id
        self.assertEqual(answer.partner_id, self.user_agent.partner_id)

        self.start_tour(
            answer.get_start_url(), "aftersales_callback_survey_tour", login="as_agent"
        )
        self.assertEqual(answer.state, "done")
        self.assertRecordValues(
            callback,
            [
                {
                    "state": "answered",
                    "satisfaction": 2,
                    "solved": "no",
                    "conduct": 4,
                    "nps_score": 3,
                    "nps_category": "detractor",
                    "comment": "The noise is back after two days",
                    "is_unhappy": True,
                }
            ],
        )
        self.assertTrue(callback.complaint_ticket_id.is_complaint)
