"""Warranty on the ticket: status at the ticket date, three guarantees,
exclusions, replacement rule, charging decisions (issue 4)."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError

from .test_warranty import DELIVERY_DAY, WarrantyCase


class TestTicketWarranty(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Air conditioner AC-0001 delivered on 2026-01-10: unit until
        # 2027-01-09, electrical parts until 2027-07-09, remote until
        # 2026-07-09.
        with freeze_time(DELIVERY_DAY):
            cls._deliver(cls.lot_ac1, cls.customer)
        cls.warranty = cls.env["aftersales.warranty"].search(
            [("lot_id", "=", cls.lot_ac1.id)]
        )
        Fault = cls.env["aftersales.fault.code"]
        cls.fault_e4 = Fault.create({"code": "E4", "name": "Compressor"})
        cls.fault_e9 = Fault.create({"code": "E9", "name": "Sensor"})

    def _ticket(self, day, user=None, **vals):
        env = self.env(user=user or self.user_agent)
        vals.setdefault("lot_id", self.lot_ac1.id)
        vals.setdefault("technician_id", self.emp_technician.id)
        with freeze_time(day):
            return self._create_ticket(env, **vals)

    # ------------------------------------------------------------------
    # Status
    # ------------------------------------------------------------------

    def test_status_in_warranty_with_remaining_days(self):
        ticket = self._ticket("2026-03-01")
        self.assertEqual(ticket.warranty_id, self.warranty)
        self.assertEqual(ticket.warranty_status, "in")
        self.assertEqual(ticket.warranty_remaining_days, 314)
        self.assertEqual(ticket.warranty_end_date, date(2027, 1, 9))
        action = ticket.action_view_warranty()
        self.assertEqual(action["res_id"], self.warranty.id)

    def test_status_partly_when_a_component_ended(self):
        ticket = self._ticket("2026-08-01")
        self.assertEqual(ticket.warranty_status, "partly")
        # Covered until the electrical parts end.
        self.assertEqual(ticket.warranty_remaining_days, 342)
        self.assertEqual(ticket.warranty_end_date, date(2027, 7, 9))
        self.assertEqual(
            ticket.warranty_status_reason,
            "partly in warranty: whole unit, Electrical parts covered, "
            "Remote control ended",
        )

    def test_status_partly_when_only_a_component_covers(self):
        ticket = self._ticket("2027-03-01")
        self.assertEqual(ticket.warranty_status, "partly")
        self.assertEqual(ticket.warranty_remaining_days, 130)
        self.assertEqual(ticket.warranty_end_date, date(2027, 7, 9))

    def test_status_out_of_warranty(self):
        ticket = self._ticket("2027-07-10")
        self.assertEqual(ticket.warranty_status, "out")
        self.assertEqual(ticket.warranty_remaining_days, 0)
        self.assertEqual(ticket.warranty_status_reason, "warranty ended 01/09/2027")

    def test_status_unknown_without_serial(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), product_id=self.product_washer.id
        )
        self.assertFalse(ticket.warranty_id)
        self.assertEqual(ticket.warranty_status, "unknown")

    def test_product_and_customer_identify_the_warranty(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), product_id=self.product_ac.id
        )
        self.assertEqual(ticket.warranty_id, self.warranty)
        # A second unit of the same product: no longer identified.
        with freeze_time(DELIVERY_DAY):
            self._deliver(self.lot_ac2, self.customer)
        ticket2 = self._create_ticket(
            self.env(user=self.user_agent), product_id=self.product_ac.id
        )
        self.assertFalse(ticket2.warranty_id)
        self.assertEqual(ticket2.warranty_status, "unknown")

    def test_ticket_finds_a_warranty_registered_later(self):
        with freeze_time("2026-03-01"):
            ticket = self._create_ticket(
                self.env(user=self.user_agent), lot_id=self.lot_washer1.id
            )
        self.assertEqual(ticket.warranty_status, "unknown")
        self.env["aftersales.warranty"].with_user(self.user_manager).create(
            {
                "partner_id": self.customer.id,
                "lot_id": self.lot_washer1.id,
                "term_id": self.term_washer.id,
                "delivery_date": "2025-06-01",
            }
        )
        self.assertEqual(ticket.warranty_id.lot_id, self.lot_washer1)
        self.assertEqual(ticket.warranty_status, "in")
        self.assertEqual(ticket.warranty_end_date, date(2027, 5, 31))

    def test_void_warranty_is_out(self):
        self.warranty.write({"void_reason": "Unit modified by a third party"})
        self.warranty.with_user(self.user_manager).action_void()
        ticket = self._ticket("2026-03-01")
        self.assertEqual(ticket.warranty_status, "out")
        self.assertEqual(
            ticket.warranty_status_reason,
            "warranty void: Unit modified by a third party",
        )

    def test_status_search_filter(self):
        inside = self._ticket("2026-03-01")
        outside = self._ticket("2027-08-01")
        Ticket = self.env["aftersales.ticket"]
        found = Ticket.search([("warranty_status", "=", "in")])
        self.assertIn(inside, found)
        self.assertNotIn(outside, found)

    # ------------------------------------------------------------------
    # Three guarantees, at the day boundaries
    # ------------------------------------------------------------------

    def test_return_on_day_7(self):
        ticket = self._ticket("2026-01-17", performance_failure=True)
        self.assertEqual(ticket.three_guarantee_right, "return")
        self.assertEqual(
            ticket.three_guarantee_reason,
            "return: performance failure 7 days after delivery, within 7 days",
        )

    def test_exchange_on_day_8(self):
        ticket = self._ticket("2026-01-18", performance_failure=True)
        self.assertEqual(ticket.three_guarantee_right, "exchange")
        self.assertEqual(
            ticket.three_guarantee_reason,
            "exchange: performance failure 8 days after delivery, within 15 days",
        )

    def test_exchange_on_day_9_reason(self):
        ticket = self._ticket("2026-01-19", performance_failure=True)
        self.assertEqual(
            ticket.three_guarantee_reason,
            "exchange: performance failure 9 days after delivery, within 15 days",
        )

    def test_exchange_on_day_15(self):
        ticket = self._ticket("2026-01-25", performance_failure=True)
        self.assertEqual(ticket.three_guarantee_right, "exchange")

    def test_no_right_on_day_16(self):
        ticket = self._ticket("2026-01-26", performance_failure=True)
        self.assertEqual(ticket.three_guarantee_right, "none")
        self.assertFalse(ticket.three_guarantee_reason)
        # Still in warranty: repaired free of charge.
        self.assertEqual(ticket.warranty_status, "in")

    def test_no_return_without_performance_failure(self):
        ticket = self._ticket("2026-01-12")
        self.assertEqual(ticket.three_guarantee_right, "none")

    def test_configured_days(self):
        self.term_ac.write({"return_days": 3, "exchange_days": 10})
        ticket = self._ticket("2026-01-14", performance_failure=True)
        self.assertEqual(
            ticket.three_guarantee_reason,
            "exchange: performance failure 4 days after delivery, within 10 days",
        )
        self.term_ac.three_guarantee = False
        ticket.invalidate_recordset()
        self.assertEqual(ticket.three_guarantee_right, "none")

    def test_exclusion_cancels_the_right(self):
        ticket = self._ticket("2026-01-12", performance_failure=True)
        ticket.with_user(
            self.user_technician
        ).warranty_exclusion_id = self.exclusion_liquid
        self.assertEqual(ticket.three_guarantee_right, "none")
        self.assertEqual(
            ticket.three_guarantee_reason,
            "no three-guarantee right: excluded, Liquid damage",
        )

    # ------------------------------------------------------------------
    # Repairs of the same fault and replacement
    # ------------------------------------------------------------------

    def _repaired(self, day, fault=None):
        ticket = self._ticket(day, fault_code_id=(fault or self.fault_e4).id)
        ticket.stage_id = self.stage_solved
        return ticket

    def test_replacement_after_two_repairs_needs_a_manager(self):
        self._repaired("2026-03-01")
        self._repaired("2026-04-01")
        # Another fault does not count.
        self._repaired("2026-04-15", fault=self.fault_e9)
        ticket = self._ticket("2026-05-01", fault_code_id=self.fault_e4.id)
        self.assertEqual(ticket.repair_count, 2)
        self.assertEqual(ticket.three_guarantee_right, "replacement")
        self.assertEqual(
            ticket.three_guarantee_reason,
            "replacement: fault E4 already repaired 2 times and still failing "
            "(limit 2 repairs)",
        )
        as_agent = ticket.with_user(self.user_agent)
        with self.assertRaisesMessage(
            UserError,
            rf"^Ticket {ticket.name}: another repair is blocked, replacement: fault "
            r"E4 already repaired 2 times",
        ):
            as_agent.stage_id = self.stage_solved
        self.assertFalse(ticket.is_closed)
        self.assertTrue(as_agent.can_propose_replacement)
        self.assertFalse(as_agent.can_approve_replacement)
        as_agent.action_propose_replacement()
        self.assertEqual(ticket.replacement_state, "proposed")
        with self.assertRaisesMessage(
            UserError, r"^Only an after-sales manager approves a replacement\.$"
        ):
            as_agent.action_approve_replacement()
        as_manager = ticket.with_user(self.user_manager)
        self.assertTrue(as_manager.can_approve_replacement)
        as_manager.action_approve_replacement()
        self.assertEqual(ticket.replacement_state, "approved")
        self.assertEqual(ticket.replacement_approved_by_id, self.user_manager)
        as_agent.stage_id = self.stage_solved
        self.assertTrue(ticket.is_closed)

    def test_one_repair_does_not_block(self):
        self._repaired("2026-03-01")
        ticket = self._ticket("2026-05-01", fault_code_id=self.fault_e4.id)
        self.assertEqual(ticket.repair_count, 1)
        self.assertEqual(ticket.three_guarantee_right, "none")
        self.assertFalse(ticket.can_propose_replacement)
        with self.assertRaisesMessage(UserError, r"a replacement is proposed when"):
            ticket.action_propose_replacement()
        ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.is_closed)

    def test_repair_counts_in_batch(self):
        self._repaired("2026-03-01")
        self._repaired("2026-04-01")
        tickets = self._ticket(
            "2026-05-01", fault_code_id=self.fault_e4.id
        ) + self._ticket("2026-05-01", fault_code_id=self.fault_e9.id)
        more = (
            tickets
            + self._ticket("2026-05-02", fault_code_id=self.fault_e4.id)
            + self._ticket("2026-05-02", fault_code_id=self.fault_e9.id)
        )
        queries = []
        for batch in (tickets, more):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            counts = batch.mapped("repair_count")
            queries.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts, [2, 0, 2, 0])
        # one aggregate query for the set: twice the tickets, same queries
        self.assertEqual(queries[0], queries[1])

    # ------------------------------------------------------------------
    # Exclusions and charging
    # ------------------------------------------------------------------

    def _charges(self, ticket):
        return {
            (c.charge_type, False): (c.decision, c.reason) for c in ticket.charge_ids
        }

    def test_charges_follow_the_component_warranties(self):
        ticket = self._ticket("2026-08-01")
        # Parts are decided per part (for the reservation lines), from the
        # component that covers it on the ticket's date.
        decisions = {
            part.name: ticket._warranty_charge_decision("parts", part)
            for part in self.part_board | self.part_remote | self.part_filter
        }
        self.assertEqual(
            decisions,
            {
                "Control Board": (
                    "free",
                    100.0,
                    "Electrical parts warranty until 07/09/2027",
                ),
                "Remote Control": (
                    "customer",
                    0.0,
                    "Remote control warranty ended 07/09/2026",
                ),
                "Air Filter": ("free", 100.0, "unit warranty until 01/09/2027"),
            },
        )
        # Labour and travel are the ticket's own charging lines.
        ticket.action_decide_charges()
        self.assertEqual(
            self._charges(ticket),
            {
                ("labour", False): ("free", "unit warranty until 01/09/2027"),
                ("travel", False): ("free", "unit warranty until 01/09/2027"),
            },
        )

    def test_partial_and_uncovered_lines(self):
        lot = self._make_lots(self.product_washer, 1, "WPC")
        with freeze_time(DELIVERY_DAY):
            self._deliver(lot, self.customer)
        with freeze_time("2026-03-01"):
            ticket = self._create_ticket(self.env(user=self.user_agent), lot_id=lot.id)
        ticket.action_decide_charges()
        self.assertEqual(
            self._charges(ticket),
            {
                ("labour", False): (
                    "partial",
                    "unit warranty until 01/09/2028 covers 50%",
                ),
                ("travel", False): (
                    "customer",
                    "Travel not covered by the warranty term",
                ),
            },
        )
        labour = ticket.charge_ids.filtered(lambda c: c.charge_type == "labour")
        self.assertEqual(labour.covered_percent, 50.0)

    def test_out_of_warranty_customer_pays(self):
        ticket = self._ticket("2027-08-01")
        ticket.action_decide_charges()
        self.assertEqual(set(ticket.charge_ids.mapped("decision")), {"customer"})
        self.assertEqual(
            set(ticket.charge_ids.mapped("reason")), {"unit warranty ended 01/09/2027"}
        )

    def test_technician_sets_exclusion_on_site(self):
        ticket = self._ticket("2026-03-01")
        ticket.action_decide_charges()
        self.assertEqual(set(ticket.charge_ids.mapped("decision")), {"free"})
        self._flush_tracking()
        as_tech = ticket.with_user(self.user_technician)
        as_tech.write(
            {
                "warranty_exclusion_id": self.exclusion_liquid.id,
                "warranty_exclusion_note": "Water inside the indoor unit",
            }
        )
        self._flush_tracking()
        self.assertEqual(set(ticket.charge_ids.mapped("decision")), {"customer"})
        self.assertEqual(
            set(ticket.charge_ids.mapped("reason")), {"excluded: Liquid damage"}
        )
        # Logged on the ticket ...
        tracked = ticket.sudo().message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "warranty_exclusion_id"
        )
        self.assertEqual(tracked.new_value_char, "Liquid damage")
        self.assertEqual(
            tracked.mail_message_id.author_id, self.user_technician.partner_id
        )
        # ... and the customer is told why.
        told = ticket.sudo().message_ids.filtered(
            lambda m: self.customer in m.partner_ids
        )
        self.assertEqual(len(told), 1)
        self.assertIn("Liquid entered the unit", told.body)
        # Technicians still cannot change other intake facts.
        with self.assertRaisesMessage(UserError, r"^As a technician you can change"):
            as_tech.symptom = "Something else"

    def test_technician_cannot_set_exclusion_on_others_tickets(self):
        ticket = self._ticket("2026-03-01", technician_id=self.emp_technician2.id)
        with self.assertRaises(AccessError):
            ticket.with_user(self.user_technician).write(
                {"warranty_exclusion_id": self.exclusion_liquid.id}
            )

    def test_charges_follow_ticket_visibility(self):
        ticket = self._ticket("2026-03-01")
        ticket.action_decide_charges()
        charges = ticket.charge_ids
        self.assertEqual(
            len(charges.with_user(self.user_technician).read(["reason"])), 2
        )
        with self.assertRaises(AccessError):
            charges.with_user(self.user_technician2).read(["reason"])
        with self.assertRaises(AccessError):
            charges.with_user(self.user_agent2).read(["reason"])
        charges.with_user(self.user_manager).read(["reason"])

    def test_technician_reads_the_warranty(self):
        ticket = self._ticket("2026-03-01").with_user(self.user_technician)
        self.assertEqual(ticket.warranty_id.end_date, date(2027, 1, 9))
        with self.assertRaises(AccessError):
            ticket.warranty_id.write({"acceptance_date": "2026-02-01"})

    def test_time_in_repair_extends_the_warranty(self):
        ticket = self._ticket("2026-03-01")
        with freeze_time("2026-03-11 10:00:00"):
            ticket.stage_id = self.stage_solved
        # Not configured: no change.
        self.assertEqual(self.warranty.end_date, date(2027, 1, 9))
        self.term_ac.extend_by_repair_time = True
        ticket = self._ticket("2026-04-01")
        with freeze_time("2026-04-11 10:00:00"):
            ticket.with_user(self.user_technician).stage_id = self.stage_solved
        self.assertEqual(self.warranty.repair_days, 10)
        self.assertEqual(self.warranty.end_date, date(2027, 1, 19))
        self.assertIn(ticket.name, self.warranty.message_ids[0].body)


class TestWarrantyViews(WarrantyCase):
    def test_views_load_for_each_role(self):
        for user in (self.user_technician, self.user_agent, self.user_manager):
            for model, types in (
                ("aftersales.warranty", ["list", "form", "search"]),
                ("aftersales.ticket", ["form", "search"]),
                ("stock.lot", ["form"]),
                ("res.partner", ["form"]),
            ):
                views = (
                    self.env[model]
                    .with_user(user)
                    .get_views([(False, view_type) for view_type in types])
                )
                self.assertEqual(set(views["views"]), set(types))
        ticket_form = (
            self.env["aftersales.ticket"]
            .with_user(self.user_agent)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn('name="charge_ids"', ticket_form)
        self.assertIn('name="action_view_warranty"', ticket_form)
        # The approve button is for managers only.
        self.assertNotIn('name="action_approve_replacement"', ticket_form)
        for model in ("aftersales.warranty.term", "sale.order", "product.template"):
            self.env[model].with_user(self.user_manager).get_views([(False, "form")])

    def test_menus(self):
        menus = self.env["ir.ui.menu"].with_user(self.user_agent)._visible_menu_ids()
        self.assertIn(
            self.env.ref("aftersales_service.menu_aftersales_warranty_all").id, menus
        )
        self.assertNotIn(
            self.env.ref("aftersales_service.menu_aftersales_warranty_term").id, menus
        )
        menus = self.env["ir.ui.menu"].with_user(self.user_manager)._visible_menu_ids()
        self.assertIn(
            self.env.ref("aftersales_service.menu_aftersales_warranty_term").id, menus
        )
