from odoo.exceptions import AccessError, UserError

from .common import AftersalesCase


class TestTicketAccess(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Ticket = cls.env["aftersales.ticket"]
        # Owned by agent, at the Hangzhou point, assigned to technician 1.
        cls.ticket_agent = Ticket.with_user(cls.user_agent).create(
            cls._ticket_vals(symptom="Noisy compressor")
        )
        cls.ticket_agent.technician_id = cls.emp_technician
        # Owned by agent2, Jiangsu customer -> East Region, technician 2.
        cls.ticket_agent2 = Ticket.with_user(cls.user_agent2).create(
            cls._ticket_vals(partner_id=cls.customer_other.id, symptom="Leaks water")
        )
        cls.ticket_agent2.technician_id = cls.emp_technician2
        # Owned by the manager, at headquarters, nobody assigned.
        cls.ticket_hq = Ticket.with_user(cls.user_manager).create(
            cls._ticket_vals(
                partner_id=cls.customer_vip.id,
                team_id=cls.team_hq.id,
                symptom="Chiller alarm",
            )
        )
        # Another company's ticket.
        cls.ticket_other_company = Ticket.create(
            cls._ticket_vals(
                company_id=cls.other_company.id,
                team_id=cls.team_other_company.id,
                symptom="Other company",
            )
        )
        cls.all_tickets = (
            cls.ticket_agent
            + cls.ticket_agent2
            + cls.ticket_hq
            + cls.ticket_other_company
        )

    def _visible(self, user):
        return (
            self.env["aftersales.ticket"]
            .with_user(user)
            .with_context(allowed_company_ids=self.company.ids)
            .search([("id", "in", self.all_tickets.ids)])
        )

    def test_technician_sees_only_assigned(self):
        self.assertEqual(self._visible(self.user_technician), self.ticket_agent)
        self.assertEqual(self._visible(self.user_technician2), self.ticket_agent2)
        with self.assertRaises(AccessError):
            self.ticket_agent2.with_user(self.user_technician).read(["symptom"])

    def test_technician_changes_stage_and_logs_work(self):
        ticket = self.ticket_agent.with_user(self.user_technician)
        ticket.write(
            {"stage_id": self.stage_diagnosis.id, "resolution": "<p>Fan replaced</p>"}
        )
        ticket.message_post(body="Arrived on site", message_type="comment")
        self.assertEqual(self.ticket_agent.stage_id, self.stage_diagnosis)
        self.assertIn("Fan replaced", self.ticket_agent.resolution)

    def test_technician_cannot_change_intake_or_create(self):
        ticket = self.ticket_agent.with_user(self.user_technician)
        with self.assertRaisesRegex(UserError, "Priority"):
            ticket.write({"priority": "2"})
        self.assertEqual(self.ticket_agent.priority, "0")
        with self.assertRaises(AccessError):
            self.env["aftersales.ticket"].with_user(self.user_technician).create(
                self._ticket_vals()
            )
        with self.assertRaises(AccessError):
            ticket.unlink()

    def test_agent_sees_own_tickets(self):
        self.assertEqual(self._visible(self.user_agent), self.ticket_agent)
        self.assertEqual(self._visible(self.user_agent2), self.ticket_agent2)
        with self.assertRaises(AccessError):
            self.ticket_hq.with_user(self.user_agent).write({"priority": "1"})
        with self.assertRaises(AccessError):
            self.ticket_agent.with_user(self.user_agent).unlink()

    def test_team_user_sees_team_and_sub_teams(self):
        # Member of East Region: sees the region's ticket and its Hangzhou
        # point's, not the headquarters' one.
        visible = self._visible(self.user_team)
        self.assertEqual(visible, self.ticket_agent + self.ticket_agent2)
        with self.assertRaises(AccessError):
            self.ticket_hq.with_user(self.user_team).read(["symptom"])

    def test_manager_sees_all_of_the_company(self):
        self.assertEqual(
            self._visible(self.user_manager),
            self.ticket_agent + self.ticket_agent2 + self.ticket_hq,
        )
        self.ticket_hq.with_user(self.user_manager).unlink()
        self.assertFalse(self.ticket_hq.exists())

    def test_other_company_refused(self):
        with self.assertRaises(AccessError):
            self.ticket_other_company.with_user(self.user_manager).with_context(
                allowed_company_ids=self.company.ids
            ).read(["symptom"])

    def test_portal_sees_only_own_read_only(self):
        portal_tickets = (
            self.env["aftersales.ticket"]
            .with_user(self.portal_user)
            .search([("id", "in", self.all_tickets.ids)])
        )
        self.assertEqual(portal_tickets, self.ticket_agent)
        with self.assertRaises(AccessError):
            self.ticket_agent2.with_user(self.portal_user).read(["symptom"])
        with self.assertRaises(AccessError):
            self.ticket_agent.with_user(self.portal_user).write({"symptom": "x"})

    def test_plain_employee_has_no_access(self):
        with self.assertRaises(AccessError):
            self.env["aftersales.ticket"].with_user(self.user_plain).search([])
        with self.assertRaises(AccessError):
            self.env["aftersales.ticket"].with_user(self.user_plain).create(
                self._ticket_vals()
            )

    def test_configuration_is_for_managers(self):
        for user in (self.user_technician, self.user_agent, self.user_team):
            with self.assertRaises(AccessError):
                self.team_point.with_user(user).write({"name": "Renamed"})
            with self.assertRaises(AccessError):
                self.env["aftersales.stage"].with_user(user).create({"name": "X"})
            with self.assertRaises(AccessError):
                self.channel_phone.with_user(user).write({"name": "X"})
        self.team_point.with_user(self.user_manager).write({"name": "Hangzhou West"})
        self.assertEqual(self.team_point.name, "Hangzhou West")

    def test_agent_cannot_take_over_others_ticket(self):
        self.ticket_agent2.sudo().technician_id = self.emp_technician
        # agent2's ticket is not visible to agent: no handover to oneself.
        with self.assertRaises(AccessError):
            self.ticket_agent2.with_user(self.user_agent)._change_owner(
                self.user_agent, "Taking it"
            )
        self.assertEqual(self.ticket_agent2.owner_id, self.user_agent2)

    def test_technician_and_agent_read_team_technicians(self):
        """The service teams list shows each team's technicians: users
        without HR rights read them through the employees' public profile,
        van location included."""
        self.emp_technician.sudo().aftersales_van_location_id = self.env.ref(
            "stock.stock_location_stock"
        )
        for user in (self.user_technician, self.user_agent):
            self.env.invalidate_all()
            teams = self.team_point.with_user(user)
            result = teams.web_read(
                {"technician_ids": {"fields": {"display_name": {}}}}
            )
            self.assertEqual(
                result[0]["technician_ids"],
                [{"id": self.emp_technician.id, "display_name": "Li Technician"}],
            )
            public = self.env["hr.employee.public"].with_user(user)
            self.assertEqual(
                public.browse(self.emp_technician.id).aftersales_van_location_id,
                self.env.ref("stock.stock_location_stock"),
            )
