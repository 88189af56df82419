"""Rules that must not bend: what a flow alone may write is guarded by rights
(the flow checks them, then writes as superuser), never by a context key a
caller could set; and who may not write at all is refused for lack of rights
before any business rule is looked at."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user

from .test_callback import CallbackCase
from .test_parts import PartsCase
from .test_performance_score import OCT, PerformanceCase
from .test_warranty import WarrantyCase

SCORES_BY_HAND = (
    "Scores come from the customer's survey answers; they cannot be edited by hand."
)
STATUS_BY_HAND = (
    "Status: a reservation changes status only through its buttons (Confirm, "
    "Consume, Cancel)."
)
OWNER_BY_HAND = (
    "The owner stays accountable for the ticket until it is closed. Use "
    "'Change Owner' to hand it over with a reason."
)


def access_refused(operation, description, model):
    """The first line of Odoo's refusal for lack of access rights."""
    return rf"^You are not allowed to {operation} '{description}' \({model}\) records\."


class TestCallbackGuards(CallbackCase):
    def test_forged_score_flag_is_refused(self):
        callback = self._closed_ticket().callback_ids
        forged = callback.with_user(self.user_agent).with_context(
            aftersales_callback_scores=True
        )
        with self.assertRaises(UserError) as error:
            forged.write({"satisfaction": 5, "nps_score": 10, "has_scores": True})
        self.assertEqual(str(error.exception), SCORES_BY_HAND)
        self.assertRecordValues(
            callback, [{"satisfaction": 0, "nps_score": 0, "has_scores": False}]
        )

    def test_customer_answer_copies_the_scores(self):
        """The customer answers from the e-mailed link: the survey page runs
        as the public user with the answer in sudo, as Odoo's survey
        controller does; the scores reach the callback."""
        callback = self._closed_ticket().callback_ids.with_user(self.user_agent)
        callback._record_outcome("wrong_number")  # falls back to the e-mail
        self.assertEqual(callback.state, "sent")
        public = self.env.ref("base.public_user")
        answer = callback.sudo().user_input_id.with_user(public).sudo()
        answer._save_lines(self.q_satisfaction, 4)
        answer._save_lines(self.q_solved, self.yes.id)
        answer._save_lines(self.q_conduct, 5)
        answer._save_lines(self.q_nps, 9)
        answer._mark_done()
        self.assertRecordValues(
            callback,
            [
                {
                    "state": "answered",
                    "has_scores": True,
                    "satisfaction": 4,
                    "conduct": 5,
                    "nps_score": 9,
                    "nps_category": "promoter",
                }
            ],
        )

    def test_technician_is_refused_for_rights_not_told_about_scores(self):
        callback = self._closed_ticket().callback_ids
        with self.assertRaisesRegex(
            AccessError,
            access_refused("modify", "After-Sales Callback", "aftersales.callback"),
        ):
            callback.with_user(self.user_technician).write({"satisfaction": 5})

    def test_forged_no_callback_flag_still_schedules_the_callback(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), technician_id=self.emp_technician.id
        )
        ticket.with_context(aftersales_no_callback=True).write(
            {"stage_id": self.stage_solved.id}
        )
        self.assertEqual(len(ticket.callback_ids), 1)
        self.assertEqual(ticket.callback_ids.rule_id, self.rule_standard)


class TestTicketOwnerGuard(CallbackCase):
    def test_forged_owner_change_flag_is_refused(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        forged = ticket.with_user(self.user_agent).with_context(
            aftersales_owner_change=True
        )
        with self.assertRaises(UserError) as error:
            forged.write({"owner_id": self.user_agent2.id})
        self.assertEqual(str(error.exception), OWNER_BY_HAND)
        self.assertEqual(ticket.owner_id, self.user_agent)

    def test_owner_hands_over_with_a_reason(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        action = ticket.with_user(self.user_agent).action_change_owner()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.user_agent)
            .with_context(**action["context"])
        )
        wizard.owner_id = self.user_agent2
        wizard.reason = "Going on leave"
        wizard.save().action_confirm()
        self.assertEqual(ticket.owner_id, self.user_agent2)


class TestPartsGuards(PartsCase):
    def test_forged_flow_flag_is_refused(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        forged = reservation.with_user(self.user_technician).with_context(
            aftersales_parts_flow=True
        )
        for vals in ({"state": "done"}, {"date_consumed": "2025-01-01 10:00:00"}):
            with self.assertRaises(UserError) as error:
                forged.write(vals)
            self.assertEqual(str(error.exception), STATUS_BY_HAND)
        self.assertEqual(reservation.state, "confirmed")
        self.assertFalse(reservation.date_consumed)

    def test_flow_changes_the_status_as_the_technician(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        self.assertEqual(reservation.state, "confirmed")
        self.assertTrue(reservation.date_confirmed)
        reservation.with_user(self.user_technician).action_cancel()
        self.assertEqual(reservation.state, "cancel")
        self.assertEqual(self._quant(self.part_board, self.stock), (5.0, 0.0))

    def test_flow_refuses_who_may_not_change_the_reservation(self):
        """Another technician reads nothing of this ticket: the flow checks
        the user's rights before writing as superuser."""
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        with self.assertRaises(AccessError):
            reservation.with_user(self.user_technician2)._release("forged")
        self.assertEqual(reservation.state, "confirmed")

    def test_no_access_is_refused_for_rights_not_told_about_status(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        with self.assertRaisesRegex(
            AccessError,
            access_refused(
                "modify", "Spare-Part Reservation", "aftersales.part.reservation"
            ),
        ):
            reservation.with_user(self.user_plain).write({"state": "done"})

    def test_consumed_serial_part_gets_no_warranty(self):
        """Spare parts consumed on a ticket reach the customer but are not a
        sale: the default warranty term would cover them, yet none is made."""
        self.assertTrue(
            self.env["aftersales.warranty.term"]._find_for_products(
                self.part_serial, self.company
            )
        )
        reservation = self._reserve(
            self.user_technician, [(self.part_serial, 1, {"lot_id": self.lot_c1.id})]
        )
        self._consume_with_form(reservation, self.user_technician, [])
        self.assertEqual(reservation.state, "done")
        self.assertEqual(self._quant(self.part_serial, self.customers), (1.0, 0.0))
        self.assertFalse(
            self.env["aftersales.warranty"].search([("lot_id", "=", self.lot_c1.id)])
        )

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


class TestWarrantyGuards(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_stock = new_test_user(
            cls.env,
            login="as_guard_stock",
            name="Ma Storekeeper",
            groups="stock.group_stock_user",
        )

    def test_forged_skip_flag_still_makes_the_warranty(self):
        lot = self._make_lots(self.product_ac, 1, "GD")
        picking = self._deliver(lot, self.customer, validate=False)
        picking.with_user(self.user_stock).with_context(
            aftersales_skip_warranty=True
        ).button_validate()
        self.assertEqual(picking.state, "done")
        warranty = self.env["aftersales.warranty"].search([("lot_id", "=", lot.id)])
        self.assertEqual(len(warranty), 1)
        self.assertRecordValues(
            warranty,
            [{"partner_id": self.customer.id, "term_id": self.term_ac.id}],
        )


class TestPerformanceGuards(PerformanceCase):
    def test_forged_weights_flag_is_refused(self):
        indicator = self.profile_agent.indicator_ids.filtered(
            lambda i: i.code == "response_timeliness"
        )
        self.assertEqual(indicator.weight, 30.0)
        forged = indicator.with_user(self.user_manager).with_context(
            aftersales_profile_weights=True
        )
        with self.assertRaises(ValidationError) as error:
            forged.write({"weight": 90.0})
            self.env.flush_all()
        self.assertEqual(
            str(error.exception),
            "Profile Customer-Service Agent: the indicator weights must sum to "
            "100% (they sum to 160.0%).",
        )

    def test_manager_moves_weight_in_one_save(self):
        first, second = self.profile_agent.indicator_ids[:2]
        self.assertEqual((first.weight, second.weight), (30.0, 20.0))
        self.profile_agent.with_user(self.user_manager).write(
            {
                "indicator_ids": [
                    Command.update(first.id, {"weight": 45.0}),
                    Command.update(second.id, {"weight": 5.0}),
                ]
            }
        )
        self.env.flush_all()
        self.assertEqual(self.profile_agent.total_weight, 100.0)
        self.assertEqual((first.weight, second.weight), (45.0, 5.0))

    def test_hr_officer_is_refused_for_rights_not_told_the_period_is_locked(self):
        scores = self._build(employees=self.employees, user=self.user_manager)
        scores.with_user(self.user_manager).action_lock()
        score = self._score(self.emp_agent).with_user(self.user_hr)
        with self.assertRaisesRegex(
            AccessError,
            access_refused(
                "modify",
                "After-Sales Performance Scorecard",
                "aftersales.performance.score",
            ),
        ):
            score.write({"target_score": 10.0})
        with self.assertRaisesRegex(
            AccessError,
            access_refused(
                "modify",
                "After-Sales Performance Score Line",
                "aftersales.performance.score.line",
            ),
        ):
            score.line_ids[0].write({"raw_value": 1.0})
        with self.assertRaisesRegex(
            AccessError,
            access_refused(
                "delete",
                "After-Sales Performance Scorecard",
                "aftersales.performance.score",
            ),
        ):
            score.unlink()
        # The manager, who has the rights, is told the business reason.
        with self.assertRaisesRegex(UserError, "locked period cannot be changed"):
            score.with_user(self.user_manager).write({"target_score": 10.0})
        self.assertEqual(score.date_start, OCT)
