"""Resolution modes: how a case is resolved, changed during the case and
tracked; remote support sessions recorded on the ticket; as the real roles."""

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import AftersalesCase


class TestResolutionMode(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ticket = cls._create_ticket(
            cls.env(user=cls.user_agent), technician_id=cls.emp_technician.id
        )

    def _mode_tracking(self, ticket):
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written at commit time
        return (
            self.env["mail.tracking.value"]
            .search(
                [
                    ("mail_message_id.model", "=", "aftersales.ticket"),
                    ("mail_message_id.res_id", "=", ticket.id),
                    ("field_id.name", "=", "resolution_mode"),
                ],
                order="id",
            )
            .mapped(lambda t: (t.old_value_char or "", t.new_value_char))
        )

    def test_technician_changes_mode_during_the_case_tracked(self):
        ticket = self.ticket.with_user(self.user_technician)
        self.assertEqual(self._mode_tracking(ticket), [])
        ticket.resolution_mode = "phone"
        self._mode_tracking(ticket)
        ticket.write(
            {
                "resolution_mode": "remote",
                "remote_session_notes": "Reset the inverter parameters by app",
                "remote_session_duration": 0.75,
            }
        )
        self._mode_tracking(ticket)
        # The remote session did not help: a technician goes on site.
        ticket.resolution_mode = "onsite"
        self.assertEqual(
            self._mode_tracking(ticket),
            [
                ("", "On the Phone"),
                ("On the Phone", "Remote Support"),
                ("Remote Support", "On-Site Visit"),
            ],
        )
        # The session stays on record after the mode changed.
        self.assertEqual(ticket.remote_session_duration, 0.75)
        self.assertIn("inverter", ticket.remote_session_notes)

    def test_technician_cannot_set_mode_of_others_tickets(self):
        other = self._create_ticket(technician_id=self.emp_technician2.id)
        with self.assertRaises(AccessError):
            other.with_user(self.user_technician).resolution_mode = "remote"
        self.assertFalse(other.resolution_mode)

    def test_technician_still_limited_to_their_fields(self):
        with self.assertRaisesRegex(UserError, "Priority"), self.env.cr.savepoint():
            self.ticket.with_user(self.user_technician).write(
                {"resolution_mode": "remote", "priority": "2"}
            )
        self.assertFalse(self.ticket.resolution_mode)

    def test_remote_session_needs_remote_mode(self):
        ticket = self.ticket.with_user(self.user_agent)
        ticket.resolution_mode = "onsite"
        with (
            self.assertRaisesRegex(
                ValidationError, "is not resolved by remote support"
            ),
            self.env.cr.savepoint(),
        ):
            ticket.remote_session_notes = "Called the app"
        self.assertFalse(ticket.remote_session_notes)

    def test_negative_session_time_refused(self):
        ticket = self.ticket.with_user(self.user_agent)
        with (
            self.assertRaisesRegex(ValidationError, "negative session time"),
            self.env.cr.savepoint(),
        ):
            ticket.write({"resolution_mode": "remote", "remote_session_duration": -1})
        self.assertFalse(ticket.resolution_mode)

    def test_dispatcher_filters_and_groups_by_mode(self):
        Ticket = self.env(user=self.user_team)["aftersales.ticket"]
        remote = self._create_ticket(resolution_mode="remote")
        carry = self._create_ticket(resolution_mode="carry_in")
        self.ticket.resolution_mode = "carry_in"
        mine = [("id", "in", (remote | carry | self.ticket).ids)]
        self.assertEqual(
            Ticket.search(mine + [("resolution_mode", "=", "carry_in")]),
            carry | self.ticket,
        )
        groups = dict(Ticket._read_group(mine, ["resolution_mode"], ["__count"]))
        self.assertEqual(groups, {"remote": 1, "carry_in": 2})
        # The search view offers the filters and the grouping.
        arch = Ticket.get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn('name="mode_remote"', arch)
        self.assertIn('name="group_resolution_mode"', arch)
        form = Ticket.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="resolution_mode" widget="selection_badge"', form)
