from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form

from .common import AftersalesCase


class TestTicket(AftersalesCase):
    def test_reference_from_company_sequence(self):
        first = self._create_ticket(self.env(user=self.user_agent))
        second = self._create_ticket(self.env(user=self.user_agent))
        self.assertRegex(first.name, r"^AS\d{2}\d{6}$")
        self.assertEqual(int(second.name[-6:]), int(first.name[-6:]) + 1)
        # Another company has its own sequence, starting at 1.
        other = self._create_ticket(
            company_id=self.other_company.id,
            team_id=self.team_other_company.id,
        )
        self.assertTrue(other.name.endswith("000001"))
        sequences = self.env["ir.sequence"].search([("code", "=", "aftersales.ticket")])
        self.assertEqual(
            set(sequences.company_id.ids), {self.company.id, self.other_company.id}
        )

    def test_batch_references_are_unique_and_consecutive(self):
        tickets = self.env["aftersales.ticket"].create(
            [self._ticket_vals() for __ in range(5)]
        )
        numbers = sorted(int(name[-6:]) for name in tickets.mapped("name"))
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 5)))

    def test_first_contact_owner_stays_on_assignment_and_transfer(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        self.assertEqual(ticket.owner_id, self.user_agent)
        # Assigning a technician and transferring to another team keep the owner.
        ticket.technician_id = self.emp_technician
        wizard = Form(
            self.env["aftersales.ticket.transfer.wizard"]
            .with_user(self.user_agent)
            .with_context(default_ticket_ids=ticket.ids)
        )
        wizard.team_id = self.team_other_point
        wizard.reason = "Customer moved to Nanjing"
        wizard.save().action_confirm()
        self.assertEqual(ticket.team_id, self.team_other_point)
        self.assertEqual(ticket.owner_id, self.user_agent)
        self.assertIn("Customer moved to Nanjing", ticket.message_ids[0].body)
        self.assertIn("Hangzhou Point", ticket.message_ids[0].body)

    def test_owner_cannot_be_changed_silently(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        with self.assertRaisesRegex(UserError, "Change Owner"):
            ticket.with_user(self.user_agent).owner_id = self.user_agent2
        self.assertEqual(ticket.owner_id, self.user_agent)

    def test_owner_change_wizard_logs_reason(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        # Odoo tracks changes only on records created in an earlier
        # transaction: end the creation's "transaction" first.
        self.env.flush_all()
        self.env.cr.precommit.run()
        wizard = Form(
            self.env["aftersales.ticket.owner.wizard"]
            .with_user(self.user_agent)
            .with_context(default_ticket_ids=ticket.ids)
        )
        wizard.owner_id = self.user_agent2
        wizard.reason = "On leave next week"
        wizard.save().action_confirm()
        ticket = ticket.with_env(self.env)
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written at commit time
        self.assertEqual(ticket.owner_id, self.user_agent2)
        note = ticket.message_ids.filtered(lambda m: "On leave" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.user_agent.partner_id)
        body = note.body
        self.assertIn("Zhang Agent", body)
        self.assertIn("Chen Agent", body)
        self.assertIn("On leave next week", body)
        tracked = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "aftersales.ticket"),
                ("mail_message_id.res_id", "=", ticket.id),
                ("field_id.name", "=", "owner_id"),
            ]
        )
        self.assertEqual(tracked.new_value_integer, self.user_agent2.id)

    def test_only_owner_or_supervisor_hands_over(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        ticket.sudo().team_id = self.team_point
        # agent2 cannot even see it (own tickets only): make it visible by
        # asking as the team supervisor instead, who may hand it over.
        ticket.with_user(self.user_team)._change_owner(self.user_agent2, "Rebalance")
        self.assertEqual(ticket.owner_id, self.user_agent2)
        # The previous owner, no longer owner and not a supervisor, cannot.
        ticket.sudo().technician_id = self.emp_technician
        with self.assertRaisesRegex(UserError, "Only the current owner"):
            ticket.with_user(self.user_agent)._change_owner(self.user_agent, "Mine")

    def test_owner_change_needs_reason(self):
        ticket = self._create_ticket(self.env(user=self.user_agent))
        with self.assertRaisesRegex(UserError, "Reason"):
            ticket.with_user(self.user_agent)._change_owner(self.user_agent2, "  ")
        self.assertEqual(ticket.owner_id, self.user_agent)

    def test_team_from_customer_region_then_channel(self):
        # Customer in Zhejiang: the local point serving Zhejiang wins.
        ticket = self._create_ticket()
        self.assertEqual(ticket.team_id, self.team_point)
        # Customer in Jiangsu: only the region serves it.
        ticket2 = self._create_ticket(partner_id=self.customer_other.id)
        self.assertEqual(ticket2.team_id, self.team_region)
        # No region known: the channel's default team.
        self.channel_walkin.team_id = self.team_other_point
        ticket3 = self._create_ticket(
            partner_id=self.customer_vip.id, channel_id=self.channel_walkin.id
        )
        self.assertEqual(ticket3.team_id, self.team_other_point)
        # An explicit team is kept.
        ticket4 = self._create_ticket(team_id=self.team_hq.id)
        self.assertEqual(ticket4.team_id, self.team_hq)

    def test_service_notes_and_vip_shown_on_ticket(self):
        ticket = self._create_ticket()
        self.assertEqual(
            ticket.partner_service_note, "Elderly at home, prefer mornings"
        )
        self.assertFalse(ticket.is_vip)
        vip = self._create_ticket(partner_id=self.customer_vip_contact.id)
        self.assertTrue(vip.is_vip, "a contact of a VIP company is VIP")
        vip_list = self.env["aftersales.ticket"].search(
            [("is_vip", "=", True), ("id", "in", (ticket + vip).ids)]
        )
        self.assertEqual(vip_list, vip)

    def test_contact_masked_for_technician_full_for_agent(self):
        ticket = self._create_ticket()
        ticket.technician_id = self.emp_technician
        as_agent = ticket.with_user(self.user_agent)
        self.assertEqual(as_agent.partner_phone, "138 1234 5678")
        as_tech = ticket.with_user(self.user_technician)
        self.assertEqual(as_tech.partner_phone_masked, "138****5678")
        self.assertEqual(as_tech.partner_email_masked, "w***@example.com")
        # The technician cannot read the full values.
        with self.assertRaises(AccessError):
            as_tech.read(["partner_phone"])
        # The stored value is untouched.
        self.assertEqual(ticket.sudo().partner_phone, "138 1234 5678")

    def test_sale_order_from_serial_delivery(self):
        stock = self.env.ref("stock.stock_location_stock")
        self.env["stock.quant"]._update_available_quantity(
            self.product_ac, stock, 1, lot_id=self.lot_ac1
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_ac.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.move_line_ids.lot_id = self.lot_ac1
        picking.move_ids.move_line_ids.quantity = 1
        picking.button_validate()
        self.assertEqual(picking.state, "done")

        ticket = self._create_ticket(lot_id=self.lot_ac1.id)
        self.assertEqual(ticket.product_id, self.product_ac)
        self.assertEqual(ticket.sale_order_id, order)
        self.assertEqual(ticket.purchase_date, order.date_order.date())
        # Smart buttons count the ticket on the order, the serial, the customer.
        self.assertEqual(order.aftersales_ticket_count, 1)
        self.assertEqual(self.lot_ac1.aftersales_ticket_count, 1)
        self.assertEqual(self.customer.aftersales_ticket_count, 1)

    def test_repeat_contact_within_window(self):
        with freeze_time("2026-03-01 10:00:00"):
            first = self._create_ticket(lot_id=self.lot_ac1.id)
        with freeze_time("2026-03-20 10:00:00"):
            again = self._create_ticket(lot_id=self.lot_ac1.id)
            other_unit = self._create_ticket(lot_id=self.lot_ac2.id)
        with freeze_time("2026-05-01 10:00:00"):
            late = self._create_ticket(lot_id=self.lot_ac1.id)
        self.assertFalse(first.is_repeat)
        self.assertEqual(again.repeat_of_id, first)
        self.assertTrue(again.is_repeat)
        self.assertFalse(other_unit.is_repeat, "another serial is not a repeat")
        self.assertFalse(late.is_repeat, "outside the 30-day window")
        repeats = self.env["aftersales.ticket"].search(
            [
                ("is_repeat", "=", True),
                ("id", "in", (first + again + other_unit + late).ids),
            ]
        )
        self.assertEqual(repeats, again)

    def test_repeat_window_is_configurable(self):
        self.company.aftersales_repeat_days = 90
        with freeze_time("2026-03-01 10:00:00"):
            first = self._create_ticket(product_id=self.product_washer.id)
        with freeze_time("2026-05-01 10:00:00"):
            again = self._create_ticket(product_id=self.product_washer.id)
        self.assertEqual(again.repeat_of_id, first, "same product, no serial")
        self.company.aftersales_repeat_days = 0
        with freeze_time("2026-05-02 10:00:00"):
            none = self._create_ticket(product_id=self.product_washer.id)
        self.assertFalse(none.is_repeat, "a zero window turns detection off")

    def test_closing_stage_sets_closed_date(self):
        ticket = self._create_ticket()
        self.assertFalse(ticket.is_closed)
        with freeze_time("2026-04-02 15:00:00"):
            ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.is_closed)
        self.assertEqual(
            ticket.closed_date, fields.Datetime.from_string("2026-04-02 15:00:00")
        )
        ticket.stage_id = self.stage_diagnosis
        self.assertFalse(ticket.closed_date)

    def test_kanban_shows_every_stage(self):
        self._create_ticket()
        groups = self.env["aftersales.ticket"].read_group(
            [("id", "=", 0)], ["stage_id"], ["stage_id"]
        )
        stage_ids = {group["stage_id"][0] for group in groups}
        self.assertIn(self.stage_solved.id, stage_ids)

    def test_team_ticket_counts_and_hierarchy(self):
        self._create_ticket()
        self._create_ticket(partner_id=self.customer_other.id)
        self.assertEqual(self.team_point.open_ticket_count, 1)
        self.assertEqual(self.team_region.open_ticket_count, 1)
        action = self.team_region.action_view_tickets()
        found = self.env["aftersales.ticket"].search(action["domain"])
        self.assertEqual(len(found), 2, "a region sees its service points' tickets")
        self.assertEqual(
            self.team_point.complete_name,
            "HQ Service Centre / East Region / Hangzhou Point",
        )

    def test_team_hierarchy_levels_enforced(self):
        with self.assertRaisesRegex(ValidationError, "higher in the organisation"):
            self.env["aftersales.team"].create(
                {"name": "Bad", "level": "region", "parent_id": self.team_point.id}
            )

    def test_employee_smart_button(self):
        ticket = self._create_ticket()
        ticket.technician_id = self.emp_technician
        self.assertEqual(self.emp_technician.aftersales_ticket_count, 1)
        action = self.emp_technician.action_view_aftersales_tickets()
        self.assertEqual(self.env["aftersales.ticket"].search(action["domain"]), ticket)

    def test_appointment_window_order(self):
        start = fields.Datetime.now()
        with self.assertRaisesRegex(ValidationError, "Appointment"):
            self._create_ticket(
                appointment_start=start, appointment_stop=start - timedelta(hours=1)
            )
