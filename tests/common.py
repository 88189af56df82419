"""Shared fixtures for the aftersales_service tests.

Tests live outside ``odoo.addons.aftersales_service.tests``, so Odoo gives
them no test tags: every class must be tagged. Deriving from the classes
below does it once. Fixtures never rely on demo data: only on the addon's
own data files (stages, channels) and what is created here.
"""

from datetime import datetime, time, timedelta

import pytz

from odoo import Command, fields
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

TAGS = ("post_install", "-at_install", "aftersales")


class AftersalesCaseMixin:
    """Builds a small service organisation once per class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.other_company = env["res.company"].create({"name": "Other Co"})
        cls.stage_new = env.ref("aftersales_service.stage_new")
        cls.stage_diagnosis = env.ref("aftersales_service.stage_diagnosis")
        cls.stage_solved = env.ref("aftersales_service.stage_solved")
        cls.channel_phone = env.ref("aftersales_service.channel_phone")
        cls.channel_wechat = env.ref("aftersales_service.channel_wechat")
        cls.channel_walkin = env.ref("aftersales_service.channel_walkin")

        cn = env.ref("base.cn")
        cls.state_zj = env["res.country.state"].create(
            {"name": "Test Zhejiang", "code": "TZJ", "country_id": cn.id}
        )
        cls.state_js = env["res.country.state"].create(
            {"name": "Test Jiangsu", "code": "TJS", "country_id": cn.id}
        )

        # Users, one per role
        cls.user_technician = new_test_user(
            env,
            login="as_tech",
            name="Li Technician",
            groups="aftersales_service.group_aftersales_technician",
        )
        cls.user_technician2 = new_test_user(
            env,
            login="as_tech2",
            name="Wang Technician",
            groups="aftersales_service.group_aftersales_technician",
        )
        cls.user_agent = new_test_user(
            env,
            login="as_agent",
            name="Zhang Agent",
            groups="aftersales_service.group_aftersales_user_own",
        )
        cls.user_agent2 = new_test_user(
            env,
            login="as_agent2",
            name="Chen Agent",
            groups="aftersales_service.group_aftersales_user_own",
        )
        cls.user_team = new_test_user(
            env,
            login="as_team",
            name="Zhao Dispatcher",
            groups="aftersales_service.group_aftersales_user_team",
        )
        cls.user_manager = new_test_user(
            env,
            login="as_manager",
            name="Sun Manager",
            groups="aftersales_service.group_aftersales_manager",
        )
        cls.user_plain = new_test_user(
            env, login="as_plain", name="Plain Employee", groups="base.group_user"
        )

        Employee = env["hr.employee"]
        cls.emp_technician = Employee.create(
            {"name": "Li Technician", "user_id": cls.user_technician.id}
        )
        cls.emp_technician2 = Employee.create(
            {"name": "Wang Technician", "user_id": cls.user_technician2.id}
        )

        # Organisation: HQ -> region -> point
        Team = env["aftersales.team"]
        cls.team_hq = Team.create({"name": "HQ Service Centre", "level": "hq"})
        cls.team_region = Team.create(
            {
                "name": "East Region",
                "level": "region",
                "parent_id": cls.team_hq.id,
                "state_ids": [Command.set(cls.state_js.ids)],
            }
        )
        cls.team_point = Team.create(
            {
                "name": "Hangzhou Point",
                "level": "point",
                "parent_id": cls.team_region.id,
                "state_ids": [Command.set(cls.state_zj.ids)],
                "technician_ids": [Command.set(cls.emp_technician.ids)],
            }
        )
        cls.team_other_point = Team.create(
            {"name": "Nanjing Point", "level": "point", "parent_id": cls.team_region.id}
        )
        cls.team_region.member_ids = [Command.link(cls.user_team.id)]
        cls.team_other_company = Team.create(
            {"name": "Other Co Team", "company_id": cls.other_company.id}
        )

        # Customers
        Partner = env["res.partner"]
        cls.customer = Partner.create(
            {
                "name": "Wu Customer",
                "phone": "138 1234 5678",
                "email": "wu.customer@example.com",
                "state_id": cls.state_zj.id,
                "country_id": cn.id,
                "aftersales_note": "Elderly at home, prefer mornings",
            }
        )
        cls.customer_vip = Partner.create(
            {"name": "Big Hotel Ltd", "is_company": True, "aftersales_vip": True}
        )
        cls.customer_vip_contact = Partner.create(
            {"name": "Hotel Engineer", "parent_id": cls.customer_vip.id}
        )
        cls.customer_other = Partner.create(
            {"name": "Qian Customer", "state_id": cls.state_js.id}
        )
        cls.portal_user = new_test_user(
            env,
            login="as_portal",
            name="Wu Customer Portal",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            email="wu.customer@example.com",
        )

        # Products and serials
        Product = env["product.product"]
        cls.product_ac = Product.create(
            {"name": "Air Conditioner X1", "is_storable": True, "tracking": "serial"}
        )
        cls.product_washer = Product.create(
            {"name": "Washing Machine W2", "is_storable": True, "tracking": "serial"}
        )
        Lot = env["stock.lot"]
        cls.lot_ac1 = Lot.create({"name": "AC-0001", "product_id": cls.product_ac.id})
        cls.lot_ac2 = Lot.create({"name": "AC-0002", "product_id": cls.product_ac.id})
        cls.lot_washer1 = Lot.create(
            {"name": "WM-0001", "product_id": cls.product_washer.id}
        )
        cls.lot_other_company = Lot.create(
            {
                "name": "AC-OTHER",
                "product_id": cls.product_ac.id,
                "company_id": cls.other_company.id,
            }
        )

    @classmethod
    def _ticket_vals(cls, **overrides):
        vals = {
            "partner_id": cls.customer.id,
            "symptom": "Does not cool",
            "channel_id": cls.channel_phone.id,
        }
        vals.update(overrides)
        return vals

    @classmethod
    def _create_ticket(cls, env=None, **overrides):
        env = env or cls.env
        return env["aftersales.ticket"].create(cls._ticket_vals(**overrides))

    @classmethod
    def _working_window(cls, employee=None, days=1, hour=10, hours=2):
        """(start, stop) in naive UTC: ``hours`` from ``hour`` o'clock in the
        employee's time zone on the first weekday at least ``days`` days from
        today: inside the standard working hours (Monday to Friday, 8 to 17),
        as a visit's window must be unless the dispatcher confirms it."""
        employee = employee or cls.emp_technician
        tz = pytz.timezone(employee.sudo().resource_id.tz or "UTC")
        day = fields.Date.today() + timedelta(days=days)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = tz.localize(datetime.combine(day, time(hour)))
        start = start.astimezone(pytz.utc).replace(tzinfo=None)
        return start, start + timedelta(hours=hours)


@tagged(*TAGS)
class AftersalesCase(AftersalesCaseMixin, TransactionCase):
    """Base for model tests."""


@tagged(*TAGS)
class AftersalesHttpCase(AftersalesCaseMixin, HttpCase):
    """Base for browser tours."""
