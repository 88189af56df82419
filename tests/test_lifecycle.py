"""The ticket's one lifecycle: what each stage transition does, as the real
roles, and the facts that change elsewhere (issue 10)."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError

from .test_sla_common import SlaCase, at


class LifecycleCase(SlaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.stage_cancelled = env.ref("aftersales_service.stage_cancelled")
        cls.term = env["aftersales.warranty.term"].create(
            {
                "name": "Air conditioner: 1 year, repair time added",
                "duration": 1,
                "duration_unit": "year",
                "start_rule": "delivery",
                "extend_by_repair_time": True,
            }
        )
        cls.warranty = env["aftersales.warranty"].create(
            {
                "partner_id": cls.customer.id,
                "lot_id": cls.lot_ac1.id,
                "term_id": cls.term.id,
                "delivery_date": "2026-01-10",
            }
        )
        cls.Callback = env["aftersales.callback"]

    def _ticket(self, when=None, user=None, **vals):
        vals.setdefault("lot_id", self.lot_ac1.id)
        vals.setdefault("complexity", "simple")
        env = self.env(user=user or self.user_agent)
        return self._sla_ticket(when or at(0, 10), env, **vals)

    def _callbacks(self, ticket, states=("todo", "reached", "sent")):
        return self.Callback.search(
            [("ticket_id", "=", ticket.id), ("state", "in", list(states))]
        )

    def _status(self, ticket):
        return {line.target_type: line.status for line in ticket.sla_ids}


class TestTransitions(LifecycleCase):
    def test_solved_meets_targets_extends_warranty_and_schedules_callback(self):
        ticket = self._ticket(warranty_date="2026-03-02")
        with freeze_time(at(0, 14)):
            ticket.with_user(self.user_technician).stage_id = self.stage_solved
        self.assertEqual(ticket.outcome, "solved")
        self.assertEqual(ticket.closed_date, at(0, 14))
        self.assertEqual(self._status(ticket), {"response": "met", "resolution": "met"})
        # 2 March -> 2 March: no day in repair, no extension
        self.assertEqual(self.warranty.repair_days, 0)
        self.assertEqual(len(self._callbacks(ticket)), 1)

    def test_cancelled_is_no_repair_no_sla_no_callback(self):
        ticket = self._ticket(warranty_date="2026-02-20")
        with freeze_time(at(2, 12)):  # after the Monday 15:00 deadline
            ticket.with_user(self.user_agent).stage_id = self.stage_cancelled
        self.assertEqual(ticket.outcome, "cancelled")
        self.assertEqual(ticket.closed_date, at(2, 12))
        self.assertEqual(
            self._status(ticket),
            {"response": "cancelled", "resolution": "cancelled"},
            "neither met nor failed",
        )
        self.assertFalse(any(ticket.sla_ids.mapped("next_check")))
        self.assertFalse(any(ticket.sla_ids.mapped("reached_date")))
        self.assertEqual(ticket.sla_status, "cancelled")
        self.assertEqual(self.warranty.repair_days, 0, "no extension")
        self.assertFalse(self._callbacks(ticket, states=("todo",)))
        # no repair for the three-guarantee count
        later = self._ticket(at(3, 10))
        self.assertEqual(later.repair_count, 0)

    def test_solved_then_cancelled_changes_nothing_it_must_not(self):
        # In repair from 20 February; solved Monday 2 March 14:00: 10 days
        ticket = self._ticket(warranty_date="2026-02-20")
        with freeze_time(at(0, 14)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(self.warranty.repair_days, 10)
        self.assertEqual(self.warranty.end_date, date(2027, 1, 19))
        callback = self._callbacks(ticket)
        self.assertEqual(len(callback), 1)
        # Two days later the agent finds it was no repair: cancelled
        with freeze_time(at(2, 11)):
            ticket.with_user(self.user_agent).stage_id = self.stage_cancelled
        self.assertEqual(ticket.closed_date, at(0, 14), "the case ended then")
        self.assertEqual(self.warranty.repair_days, 0, "extension taken back")
        self.assertEqual(self.warranty.end_date, date(2027, 1, 9))
        self.assertEqual(callback.state, "cancelled")
        self.assertEqual(self._status(ticket)["resolution"], "cancelled")
        self.assertEqual(self._status(ticket)["response"], "cancelled")
        # Cancelled -> solved again: one extension, one new callback
        with freeze_time(at(2, 12)):
            ticket.with_user(self.user_agent).stage_id = self.stage_solved
        self.assertEqual(ticket.closed_date, at(0, 14))
        self.assertEqual(self.warranty.repair_days, 10)
        self.assertEqual(self._status(ticket), {"response": "met", "resolution": "met"})
        self.assertEqual(len(self._callbacks(ticket)), 1)
        # Solved -> solved: nothing happens twice
        with freeze_time(at(2, 13)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(self.warranty.repair_days, 10)

    def test_reopen_runs_the_clock_again_and_a_second_close_extends_once(self):
        ticket = self._ticket(warranty_date="2026-02-20")
        with freeze_time(at(0, 14)):
            ticket.stage_id = self.stage_solved
        with freeze_time(at(0, 16)):
            ticket.stage_id = self.stage_diagnosis
        self.assertFalse(ticket.closed_date)
        resolution = self._line(ticket, "resolution")
        self.assertFalse(resolution.reached_date)
        self.assertEqual(resolution.status, "failed", "15:00 has passed")
        with freeze_time(at(2, 10)):
            ticket.stage_id = self.stage_solved
        self.assertEqual(ticket.closed_date, at(2, 10))
        self.assertEqual(resolution.status, "late")
        self.assertEqual(self.warranty.repair_days, 10, "extended once")

    def test_cancelled_reopened_runs_its_targets_again(self):
        ticket = self._ticket()
        with freeze_time(at(0, 11)):
            ticket.stage_id = self.stage_cancelled
        with freeze_time(at(0, 12)):
            ticket.stage_id = self.stage_diagnosis
        self.assertEqual(
            self._status(ticket), {"response": "on_time", "resolution": "on_time"}
        )
        self.assertTrue(all(ticket.sla_ids.mapped("next_check")))

    def test_created_cancelled_gets_cancelled_targets_and_no_callback(self):
        ticket = self._ticket(stage_id=self.stage_cancelled.id)
        self.assertEqual(ticket.closed_date, at(0, 10))
        self.assertEqual(set(self._status(ticket).values()), {"cancelled"})
        self.assertFalse(self._callbacks(ticket, states=("todo",)))

    def test_a_rule_for_the_cancelled_stage_still_calls_back(self):
        rule = self.env.ref("aftersales_service.callback_rule_cancelled")
        rule.action = "callback"
        ticket = self._ticket()
        with freeze_time(at(0, 11)):
            ticket.stage_id = self.stage_cancelled
        self.assertEqual(self._callbacks(ticket).rule_id, rule)

    def test_stage_change_of_a_batch_groups_transitions(self):
        open_ticket = self._ticket()
        solved = self._ticket()
        with freeze_time(at(0, 11)):
            solved.stage_id = self.stage_solved
        tickets = open_ticket | solved
        with freeze_time(at(0, 12)):
            tickets.stage_id = self.stage_cancelled
        self.assertEqual(open_ticket.closed_date, at(0, 12))
        self.assertEqual(solved.closed_date, at(0, 11))
        self.assertEqual(set(self._status(open_ticket).values()), {"cancelled"})
        self.assertEqual(set(self._status(solved).values()), {"cancelled"})


class TestGuards(LifecycleCase):
    def test_forged_owner_change_flag_is_refused(self):
        ticket = self._ticket()
        forged = ticket.with_user(self.user_agent).with_context(
            aftersales_owner_change=True
        )
        with self.assertRaisesRegex(UserError, r"Use 'Change Owner'"):
            forged.write({"owner_id": self.user_agent2.id})
        self.assertEqual(ticket.owner_id, self.user_agent)

    def test_technician_writes_only_what_the_hooks_allow(self):
        ticket = self._ticket()
        as_tech = ticket.with_user(self.user_technician)
        as_tech.write({"resolution": "<p>Replaced the fan</p>"})
        with self.assertRaisesRegex(UserError, r"not: Priority\.$"):
            as_tech.write({"priority": "2"})


class TestFactsChangedElsewhere(LifecycleCase):
    def test_customer_made_vip_replans_open_lines(self):
        ticket = self._ticket(partner_id=self.customer_vip_contact.id)
        self.customer_vip.aftersales_vip = False
        ticket.invalidate_recordset()
        self.assertEqual(ticket.sla_policy_id, self.policy_normal)
        response = self._line(ticket, "response")
        self.assertEqual(response.target_hours, 24.0)
        with freeze_time(at(0, 11)):
            self.customer_vip.aftersales_vip = True
        self.assertEqual(ticket.sla_policy_id, self.policy_vip)
        self.assertEqual(response.target_hours, self.policy_vip.response_hours)

    def test_product_moved_to_another_category_replans(self):
        categ = self.env["product.category"].create({"name": "Commercial units"})
        policy = self.env["aftersales.sla.policy"].create(
            {
                "name": "Commercial",
                "product_categ_id": categ.id,
                "response_hours": 1,
                "resolution_simple_hours": 2,
                "resolution_general_hours": 8,
                "resolution_complex_hours": 16,
            }
        )
        ticket = self._ticket()
        self.assertEqual(self._line(ticket, "resolution").target_hours, 4.0)
        with freeze_time(at(0, 11)):
            self.product_ac.product_tmpl_id.categ_id = categ
        self.assertEqual(ticket.sla_policy_id, policy)
        self.assertEqual(self._line(ticket, "resolution").target_hours, 2.0)
        self.assertEqual(self._line(ticket, "resolution").deadline, at(0, 12))

    def test_parent_category_moved_replans(self):
        parent = self.env["product.category"].create({"name": "Commercial"})
        child = self.env["product.category"].create({"name": "Split units"})
        self.product_ac.product_tmpl_id.categ_id = child
        policy = self.env["aftersales.sla.policy"].create(
            {
                "name": "Commercial",
                "product_categ_id": parent.id,
                "response_hours": 1,
                "resolution_simple_hours": 2,
                "resolution_general_hours": 8,
                "resolution_complex_hours": 16,
            }
        )
        ticket = self._ticket()
        self.assertNotEqual(ticket.sla_policy_id, policy)
        with freeze_time(at(0, 11)):
            child.parent_id = parent
        self.assertEqual(ticket.sla_policy_id, policy)
        self.assertEqual(self._line(ticket, "resolution").target_hours, 2.0)

    def test_warranty_found_later_and_voided_replan(self):
        out_policy = self.env["aftersales.sla.policy"].create(
            {
                "name": "Out of warranty: slower",
                "warranty_state": "out",
                "response_hours": 48,
                "resolution_simple_hours": 16,
                "resolution_general_hours": 40,
                "resolution_complex_hours": 80,
            }
        )
        in_policy = self.env["aftersales.sla.policy"].create(
            {
                "name": "In warranty",
                "warranty_state": "in",
                "response_hours": 8,
                "resolution_simple_hours": 3,
                "resolution_general_hours": 16,
                "resolution_complex_hours": 40,
            }
        )
        ticket = self._ticket(lot_id=self.lot_washer1.id, warranty_date="2026-03-02")
        self.assertEqual(ticket.warranty_status, "unknown")
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.target_hours, 4.0)
        with freeze_time(at(0, 11)):
            warranty = self.env["aftersales.warranty"].create(
                {
                    "partner_id": self.customer.id,
                    "lot_id": self.lot_washer1.id,
                    "term_id": self.term.id,
                    "delivery_date": "2026-01-05",
                }
            )
        self.assertEqual(ticket.warranty_status, "in")
        self.assertEqual(ticket.sla_policy_id, in_policy)
        self.assertEqual(resolution.target_hours, 3.0)
        with freeze_time(at(0, 11)):
            warranty.write({"void_reason": "Unit modified by a third party"})
            warranty.with_user(self.user_manager).action_void()
        self.assertEqual(ticket.warranty_status, "out")
        self.assertEqual(ticket.sla_policy_id, out_policy)
        self.assertEqual(resolution.target_hours, 16.0)


class TestActivitiesSettle(LifecycleCase):
    def _sla_activities(self, ticket):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "aftersales.ticket"),
                ("res_id", "=", ticket.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("aftersales_service.mail_activity_type_sla").id,
                ),
            ]
        )

    def test_at_risk_activity_is_done_when_the_target_is_met(self):
        ticket = self._ticket(priority="1")  # response 2 h: at risk at 11:30
        self._run_cron(at(0, 11, 30))
        self.assertEqual(self._line(ticket, "response").status, "at_risk")
        self.assertTrue(self._sla_activities(ticket))
        with freeze_time(at(0, 11, 40)):
            ticket.with_user(self.user_agent).message_post(
                body="We send a technician tomorrow morning.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(self._line(ticket, "response").status, "met")
        self.assertFalse(self._sla_activities(ticket))

    def test_escalation_activities_are_done_when_the_ticket_closes(self):
        ticket = self._ticket()
        self._run_cron(at(0, 15))
        self.assertEqual(ticket.traffic_light, "red")
        self.assertTrue(self._sla_activities(ticket))
        with freeze_time(at(0, 16)):
            ticket.stage_id = self.stage_cancelled
        self.assertFalse(self._sla_activities(ticket))
