"""Masked contacts stay masked: a technician without the full-contacts group
never gets a customer's full phone or e-mail over RPC, whatever the route;
the callback agent, who phones the customer, sees the full number where
they work."""

import json

from odoo import Command
from odoo.tests import Form

from .common import AftersalesHttpCase

PHONE = "138 1234 5678"
PHONE_MASKED = "138****5678"
EMAIL = "wu.customer@example.com"
EMAIL_MASKED = "w***@example.com"


class TestContactMasking(AftersalesHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.mobile = "139 8765 4321"
        cls.ticket = cls._create_ticket(
            cls.env(user=cls.user_agent), technician_id=cls.emp_technician.id
        )
        cls.ticket.message_subscribe(partner_ids=cls.customer.ids)
        cls.ticket.stage_id = cls.stage_solved
        cls.callback = cls.ticket.callback_ids
        cls.colleague = cls.user_agent.partner_id
        cls.colleague.phone = "021 5555 6666"
        # Allowed to export: the export still masks.
        cls.user_technician.groups_id = [
            Command.link(cls.env.ref("base.group_allow_export").id)
        ]

    def _rpc(self, login, model, method, *args, **kwargs):
        """Call ``model.method`` over JSON-RPC as ``login``: (result, error
        message)."""
        self.authenticate(login, login)
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": model,
                        "method": method,
                        "args": list(args),
                        "kwargs": kwargs,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            return None, body["error"]["data"]["message"]
        return body["result"], None

    def _ok(self, login, model, method, *args, **kwargs):
        result, error = self._rpc(login, model, method, *args, **kwargs)
        self.assertIsNone(error, error)
        return result

    # ------------------------------------------------------------------
    # res.partner as the technician
    # ------------------------------------------------------------------

    def test_technician_reads_the_customer_masked_by_every_read(self):
        spec = {"phone": {}, "mobile": {}, "email": {}, "email_formatted": {}}
        expected = {
            "id": self.customer.id,
            "phone": PHONE_MASKED,
            "mobile": "139****4321",
            "email": EMAIL_MASKED,
            "email_formatted": f'"{self.customer.name}" <{EMAIL_MASKED}>',
        }
        web_read = self._ok(
            "as_tech", "res.partner", "web_read", [self.customer.id], specification=spec
        )
        self.assertEqual(web_read, [expected])
        read = self._ok(
            "as_tech", "res.partner", "read", [self.customer.id], list(spec)
        )
        self.assertEqual(read, [expected])
        search_read = self._ok(
            "as_tech",
            "res.partner",
            "search_read",
            [("id", "=", self.customer.id)],
            list(spec),
        )
        self.assertEqual(search_read, [expected])
        web_search_read = self._ok(
            "as_tech",
            "res.partner",
            "web_search_read",
            [("id", "=", self.customer.id)],
            spec,
        )
        self.assertEqual(web_search_read["records"], [expected])
        export = self._ok(
            "as_tech",
            "res.partner",
            "export_data",
            [self.customer.id],
            ["name", "phone", "email"],
        )
        self.assertEqual(
            export["datas"], [[self.customer.name, PHONE_MASKED, EMAIL_MASKED]]
        )
        # The stored values never change.
        self.assertEqual((self.customer.phone, self.customer.email), (PHONE, EMAIL))

    def test_technician_cannot_group_or_search_by_contact(self):
        for groupby in (["email"], ["phone"], ["mobile"]):
            result, error = self._rpc(
                "as_tech",
                "res.partner",
                "web_read_group",
                [("id", "=", self.customer.id)],
                ["__count"],
                groupby,
            )
            self.assertIsNone(result)
            self.assertEqual(
                error,
                "Customers' phone numbers and e-mails are masked for technicians: "
                "they cannot be grouped or counted by them.",
            )
        found = self._ok("as_tech", "res.partner", "name_search", "wu.customer@")
        self.assertEqual(found, [])
        found = self._ok("as_agent", "res.partner", "name_search", "wu.customer@")
        self.assertEqual(found, [[self.customer.id, self.customer.name]])

    def test_display_name_with_email_is_masked(self):
        """The ticket form asks the customer's name with its e-mail."""
        spec = {
            "partner_id": {
                "fields": {"display_name": {}},
                "context": {"show_email": True},
            }
        }
        values = self._ok(
            "as_tech",
            "aftersales.ticket",
            "web_read",
            [self.ticket.id],
            specification=spec,
        )
        self.assertEqual(
            values[0]["partner_id"]["display_name"],
            f"{self.customer.name} <{EMAIL_MASKED}>",
        )
        values = self._ok(
            "as_agent",
            "aftersales.ticket",
            "web_read",
            [self.ticket.id],
            specification=spec,
        )
        self.assertEqual(
            values[0]["partner_id"]["display_name"], f"{self.customer.name} <{EMAIL}>"
        )

    def test_portal_user_and_follower_are_masked(self):
        user = self._ok(
            "as_tech", "res.users", "read", [self.portal_user.id], ["email", "phone"]
        )
        self.assertEqual(
            user,
            [{"id": self.portal_user.id, "email": EMAIL_MASKED, "phone": PHONE_MASKED}],
        )
        follower = self.ticket.message_follower_ids.filtered(
            lambda f: f.partner_id == self.customer
        )
        self.assertTrue(follower)
        data = self._ok("as_tech", "mail.followers", "read", [follower.id], ["email"])
        self.assertEqual(data, [{"id": follower.id, "email": EMAIL_MASKED}])

    def test_technician_sees_colleagues_in_full(self):
        values = self._ok(
            "as_tech", "res.partner", "read", [self.colleague.id], ["phone"]
        )
        self.assertEqual(values, [{"id": self.colleague.id, "phone": "021 5555 6666"}])

    # ------------------------------------------------------------------
    # Callbacks: the agent dials the full number
    # ------------------------------------------------------------------

    def test_callback_agent_sees_the_full_number(self):
        self.assertEqual(self.callback.user_id, self.user_agent)
        values = self._ok(
            "as_agent",
            "aftersales.callback",
            "web_read",
            [self.callback.id],
            specification={"partner_phone": {}},
        )
        self.assertEqual(
            values, [{"id": self.callback.id, "partner_phone": "139 8765 4321"}]
        )
        partner = self._ok(
            "as_agent", "res.partner", "read", [self.customer.id], ["phone", "email"]
        )
        self.assertEqual(
            partner, [{"id": self.customer.id, "phone": PHONE, "email": EMAIL}]
        )
        manager = self._ok(
            "as_manager",
            "aftersales.callback",
            "read",
            [self.callback.id],
            ["partner_phone"],
        )
        self.assertEqual(manager[0]["partner_phone"], "139 8765 4321")

    def test_technician_gets_the_callback_number_masked(self):
        result, error = self._rpc(
            "as_tech",
            "aftersales.callback",
            "read",
            [self.callback.id],
            ["partner_phone"],
        )
        self.assertIsNone(result)
        self.assertIn(
            'You do not have enough rights to access the fields "partner_phone" '
            "on After-Sales Callback (aftersales.callback).",
            error,
        )
        values = self._ok(
            "as_tech",
            "aftersales.callback",
            "read",
            [self.callback.id],
            ["partner_phone_masked"],
        )
        self.assertEqual(values[0]["partner_phone_masked"], "139****4321")

    def test_callback_screens_show_the_number_to_the_agent(self):
        Callback = self.env["aftersales.callback"]
        for user, shown, hidden in (
            (self.user_agent, "partner_phone", "partner_phone_masked"),
            (self.user_manager, "partner_phone", "partner_phone_masked"),
            (self.user_technician, "partner_phone_masked", "partner_phone"),
        ):
            views = Callback.with_user(user).get_views(
                [(False, "list"), (False, "form")]
            )
            for view_type in ("list", "form"):
                arch = views["views"][view_type]["arch"]
                self.assertIn(f'name="{shown}"', arch, (user.login, view_type))
                self.assertNotIn(f'name="{hidden}"', arch, (user.login, view_type))
        wizard = Form(
            self.env["aftersales.callback.outcome.wizard"]
            .with_user(self.user_agent)
            .with_context(default_callback_id=self.callback.id)
        )
        self.assertEqual(wizard.partner_phone, "139 8765 4321")


class TestTeamFormForEachRole(AftersalesHttpCase):
    """Every role opens its service team: the technician pool shows only
    what every employee may read of a colleague."""

    def test_each_role_opens_the_team_form(self):
        self.team_point.member_ids = [Command.link(self.user_agent.id)]
        for user in (
            self.user_technician,
            self.user_agent,
            self.user_team,
            self.user_manager,
        ):
            form = Form(self.team_point.with_user(user))
            self.assertEqual(form.name, "Hangzhou Point")
            self.assertEqual(form.technician_ids.ids, self.emp_technician.ids)
            spec = {
                "name": {},
                "technician_ids": {
                    "fields": {"name": {}, "job_title": {}, "work_phone": {}}
                },
            }
            values = self.team_point.with_user(user).web_read(spec)
            self.assertEqual(
                values[0]["technician_ids"][0]["name"], "Li Technician", user.login
            )
