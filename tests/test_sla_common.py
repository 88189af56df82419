"""Fixtures for the service-level tests: a working calendar with a public
holiday, team leaders at every level, and helpers to run the clock."""

from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from .common import AftersalesCase

# Monday 2 March 2026; Tuesday 3 March is a public holiday in the calendar.
MONDAY = datetime(2026, 3, 2)


def at(day, hour, minute=0):
    """Datetime of the test week: ``day`` 0 = Monday 2 March 2026 (UTC)."""
    return MONDAY.replace(day=MONDAY.day + day, hour=hour, minute=minute)


class SlaCase(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # Working hours 9-12 and 13-18, Monday to Friday, in UTC: 8 h a day.
        attendances = []
        for day in range(5):
            for hour_from, hour_to, period in (
                (9, 12, "morning"),
                (13, 18, "afternoon"),
            ):
                attendances.append(
                    Command.create(
                        {
                            "name": f"{day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                )
        cls.calendar = env["resource.calendar"].create(
            {
                "name": "Service Hours 9-18",
                "tz": "UTC",
                "attendance_ids": attendances,
            }
        )
        # Public holiday: a calendar leave without resource.
        env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "date_from": at(1, 0),
                "date_to": at(1, 23, 59),
                "time_type": "leave",
            }
        )
        cls.user_regional = new_test_user(
            env,
            login="as_regional",
            name="Zhou Regional Manager",
            groups="aftersales_service.group_aftersales_user_team",
        )
        (
            cls.team_hq | cls.team_region | cls.team_point
        ).resource_calendar_id = cls.calendar
        cls.team_point.leader_id = cls.user_team
        cls.team_region.leader_id = cls.user_regional
        cls.team_hq.leader_id = cls.user_manager
        cls.stage_waiting = env.ref("aftersales_service.stage_waiting")
        cls.stage_in_repair = env.ref("aftersales_service.stage_in_repair")
        cls.policy_normal = env.ref("aftersales_service.sla_policy_normal")
        cls.policy_urgent = env.ref("aftersales_service.sla_policy_urgent")
        cls.policy_critical = env.ref("aftersales_service.sla_policy_critical")
        cls.policy_vip = env.ref("aftersales_service.sla_policy_vip")
        cls.Line = env["aftersales.ticket.sla"]

    @classmethod
    def _sla_ticket(cls, when, env=None, **overrides):
        overrides.setdefault("technician_id", cls.emp_technician.id)
        with freeze_time(when):
            return cls._create_ticket(env, **overrides)

    def _line(self, ticket, target):
        return ticket.sla_ids.filtered(lambda line: line.target_type == target)

    def _run_cron(self, when):
        with freeze_time(when):
            self.Line._cron_check_deadlines()
        self.env.invalidate_all()
