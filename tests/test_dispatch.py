"""Dispatch of field visits, as the real roles: the ranking of technicians
and its reasons, the one-click assignment, auto-assignment per team, the
checks of a plan (overlap, working hours, certification), the dispatcher's
teams, the technician's day and the customer's phone."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytz
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user

from .common import AftersalesCase

TZ = "Asia/Shanghai"


def local(moment):
    """Naive UTC ``moment`` as a China wall-clock datetime (naive)."""
    return pytz.utc.localize(moment).astimezone(pytz.timezone(TZ)).replace(tzinfo=None)


def utc(day, hour, minute=0):
    """China wall-clock ``day`` at ``hour`` as naive UTC."""
    moment = pytz.timezone(TZ).localize(datetime.combine(day, time(hour, minute)))
    return moment.astimezone(pytz.utc).replace(tzinfo=None)


class DispatchCase(AftersalesCase):
    """East Region (dispatcher ``user_team``) with Hangzhou Point serving
    Zhejiang (Li and Zhou, certified), the region's own Wang (certification
    expired), Nanjing Point (Jiangsu); a third-party partner team serving
    Zhejiang; a West Region with its own dispatcher and technician. Air
    conditioners require the skill *Air Conditioners*."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.calendar = cls.company.resource_calendar_id
        cls.calendar.tz = TZ
        cls.user_technician3 = new_test_user(
            env,
            login="as_tech3",
            name="Zhou Technician",
            groups="aftersales_service.group_aftersales_technician",
        )
        cls.user_team_west = new_test_user(
            env,
            login="as_team_west",
            name="Xu West Dispatcher",
            groups="aftersales_service.group_aftersales_user_team",
        )
        users = (
            cls.user_team
            | cls.user_team_west
            | cls.user_technician
            | cls.user_technician2
            | cls.user_technician3
            | cls.user_manager
        )
        users.write({"tz": TZ})
        Employee = env["hr.employee"]
        cls.emp_zhou = Employee.create(
            {"name": "Zhou Technician", "user_id": cls.user_technician3.id}
        )
        cls.emp_nanjing = Employee.create({"name": "Nanjing Technician"})
        cls.emp_partner = Employee.create({"name": "Partner Technician"})
        cls.emp_west = Employee.create({"name": "West Technician"})
        cls.emp_li = cls.emp_technician
        cls.emp_wang = cls.emp_technician2
        cls.technicians = (
            cls.emp_li
            | cls.emp_zhou
            | cls.emp_wang
            | cls.emp_nanjing
            | cls.emp_partner
            | cls.emp_west
        )
        cls.technicians.write({"tz": TZ})

        Team = env["aftersales.team"]
        cls.team_point.technician_ids = [Command.link(cls.emp_zhou.id)]
        cls.team_region.technician_ids = [Command.link(cls.emp_wang.id)]
        cls.team_other_point.technician_ids = [Command.link(cls.emp_nanjing.id)]
        # A service partner's team serving Zhejiang too (not under HQ)
        cls.team_partner = Team.create(
            {
                "name": "Zhejiang Partner Service",
                "level": "point",
                "sequence": 20,
                "state_ids": [Command.set(cls.state_zj.ids)],
                "technician_ids": [Command.set(cls.emp_partner.ids)],
            }
        )
        cls.state_sc = env["res.country.state"].create(
            {"name": "Test Sichuan", "code": "TSC", "country_id": env.ref("base.cn").id}
        )
        cls.team_west = Team.create(
            {
                "name": "West Region",
                "level": "region",
                "parent_id": cls.team_hq.id,
                "state_ids": [Command.set(cls.state_sc.ids)],
                "member_ids": [Command.set(cls.user_team_west.ids)],
                "technician_ids": [Command.set(cls.emp_west.ids)],
            }
        )

        # Skills and certifications
        cls.skill_type = env["hr.skill.type"].create(
            {
                "name": "Product Lines",
                "skill_ids": [
                    Command.create({"name": "Air Conditioners"}),
                    Command.create({"name": "Washing Machines"}),
                ],
                "skill_level_ids": [
                    Command.create(
                        {
                            "name": "Certified",
                            "level_progress": 100,
                            "default_level": True,
                        }
                    )
                ],
            }
        )
        cls.skill_ac = cls.skill_type.skill_ids.filtered(
            lambda s: s.name == "Air Conditioners"
        )
        cls.skill_washer = cls.skill_type.skill_ids - cls.skill_ac
        cls.level = cls.skill_type.skill_level_ids
        cls.categ_ac = env["product.category"].create(
            {"name": "Air Conditioning", "aftersales_skill_id": cls.skill_ac.id}
        )
        cls.product_ac.categ_id = cls.categ_ac
        env["hr.employee.skill"].create(
            [
                {
                    "employee_id": employee.id,
                    "skill_id": cls.skill_ac.id,
                    "skill_level_id": cls.level.id,
                    "skill_type_id": cls.skill_type.id,
                }
                for employee in cls.technicians
            ]
        )
        cls.window = cls._working_window(cls.emp_li, days=2)
        cls.day = local(cls.window[0]).date()
        cls.li_expiry = cls.day + timedelta(days=365)
        cls.wang_expiry = cls.day - timedelta(days=1)
        Certification = env["aftersales.certification"]
        cls.cert_li = Certification.create(
            {
                "employee_id": cls.emp_li.id,
                "skill_id": cls.skill_ac.id,
                "expiry_date": cls.li_expiry,
            }
        )
        Certification.create(
            [
                {"employee_id": employee.id, "skill_id": cls.skill_ac.id}
                for employee in (
                    cls.emp_zhou | cls.emp_nanjing | cls.emp_partner | cls.emp_west
                )
            ]
        )
        Certification.create(
            {
                "employee_id": cls.emp_wang.id,
                "skill_id": cls.skill_ac.id,
                "expiry_date": cls.wang_expiry,
            }
        )
        cls.ticket = cls._create_ticket(
            cls.env(user=cls.user_agent),
            product_id=cls.product_ac.id,
            lot_id=cls.lot_ac1.id,
            symptom="Blows warm air\nsince Monday",
        )

    def _visit(self, user=None, start=None, hours=2, **vals):
        user = user or self.user_team
        start = start or self.window[0]
        values = {
            "ticket_id": self.ticket.id,
            "planned_start": start,
            "planned_stop": start + timedelta(hours=hours),
        }
        values.update(vals)
        return self.env["aftersales.visit"].with_user(user).create(values)

    @contextmanager
    def assertRefused(self, exception, regex):
        """assertRaises (rolled back to a savepoint: nothing written) and the
        message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _names(self, rows):
        return [row["employee"].name for row in rows]

    def _notes(self, visit):
        return visit.sudo().message_ids.mapped("body")


class TestRanking(DispatchCase):
    def test_ranking_orders_candidates_and_says_why(self):
        visit = self._visit()
        self.assertEqual(visit.team_id, self.team_point)
        rows = visit._dispatch_rank()
        # Nanjing serves Jiangsu and is not above Hangzhou: not a candidate
        self.assertEqual(
            self._names(rows),
            [
                "Li Technician",
                "Zhou Technician",
                "Wang Technician",
                "Partner Technician",
            ],
        )
        li, zhou, wang, partner = rows
        self.assertEqual(
            li["reasons"],
            [
                "Certified for Air Conditioners until "
                f"{self.li_expiry.strftime('%m/%d/%Y')}",
                "Serves Test Zhejiang (Hangzhou Point)",
                "Free in the window",
                "0 open visits this week",
            ],
        )
        self.assertTrue(li["eligible"])
        self.assertEqual(zhou["certification_note"], "Certified for Air Conditioners")
        # expired certification: excluded, and said so
        self.assertFalse(wang["certified"])
        self.assertEqual(
            wang["certification_note"],
            "Certification for Air Conditioners expired on "
            f"{self.wang_expiry.strftime('%m/%d/%Y')}",
        )
        self.assertEqual(
            wang["region_note"],
            "From East Region, not serving the customer's region",
        )
        # the partner's team serves the state: a candidate, outside this
        # dispatcher's teams
        self.assertEqual(
            partner["region_note"], "Serves Test Zhejiang (Zhejiang Partner Service)"
        )
        self.assertFalse(partner["assignable"])
        self.assertIn("Not in your teams: you cannot send them", partner["reasons"])
        # the manager may send anyone
        as_manager = visit.with_user(self.user_manager)._dispatch_rank()
        self.assertTrue(all(row["assignable"] for row in as_manager))

    def test_busy_leave_and_load_move_candidates_down(self):
        other_ticket = self._create_ticket(product_id=self.product_ac.id)
        busy = self._visit(ticket_id=other_ticket.id, technician_id=self.emp_li.id)
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "resource_id": self.emp_zhou.resource_id.id,
                "calendar_id": self.calendar.id,
                "date_from": self.window[0] - timedelta(hours=1),
                "date_to": self.window[1] + timedelta(hours=1),
            }
        )
        visit = self._visit()
        rows = {row["employee"].name: row for row in visit._dispatch_rank()}
        self.assertEqual(
            rows["Li Technician"]["availability_note"],
            f"Busy on visit {busy.name} from 10:00 to 12:00",
        )
        self.assertEqual(rows["Li Technician"]["load_note"], "1 open visit this week")
        self.assertEqual(
            rows["Zhou Technician"]["availability_note"], "On leave (Training)"
        )
        self.assertFalse(rows["Li Technician"]["available"])
        self.assertFalse(rows["Zhou Technician"]["available"])
        # both certified and unavailable: the less loaded first; then the
        # uncertified but free Wang
        self.assertEqual(
            self._names(visit._dispatch_rank())[:3],
            ["Zhou Technician", "Li Technician", "Wang Technician"],
        )

    def test_fewest_open_visits_first(self):
        other_ticket = self._create_ticket(product_id=self.product_ac.id)
        self._visit(
            ticket_id=other_ticket.id,
            technician_id=self.emp_li.id,
            start=self.window[0] + timedelta(hours=4),
        )
        visit = self._visit()
        rows = visit._dispatch_rank()
        self.assertEqual(self._names(rows)[:2], ["Zhou Technician", "Li Technician"])
        self.assertTrue(rows[1]["available"])
        self.assertEqual(rows[1]["load_note"], "1 open visit this week")

    def test_window_outside_working_hours(self):
        visit = self._visit(start=utc(self.day, 19))
        rows = visit._dispatch_rank()
        self.assertEqual(
            {row["availability_note"] for row in rows},
            {"Outside working hours (08:00 – 17:00)"},
        )
        self.assertFalse(any(row["eligible"] for row in rows))

    def test_certification_expiring_before_the_visit_is_excluded(self):
        self.cert_li.expiry_date = self.day - timedelta(days=1)
        visit = self._visit()
        rows = visit._dispatch_rank()
        li = next(row for row in rows if row["employee"] == self.emp_li)
        self.assertFalse(li["certified"])
        self.assertTrue(li["certification_note"].startswith("Certification for"))
        self.assertEqual(self._names(visit._dispatch_rank())[0], "Zhou Technician")

    def test_product_line_without_requirement(self):
        washer_ticket = self._create_ticket(product_id=self.product_washer.id)
        visit = self._visit(ticket_id=washer_ticket.id)
        rows = visit._dispatch_rank()
        self.assertEqual(
            {row["certification_note"] for row in rows},
            {"No certification required for this product line"},
        )
        self.assertTrue(all(row["certified"] for row in rows))

    def test_reasons_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        user_zh = new_test_user(
            self.env,
            login="as_team_zh",
            name="Dispatcher ZH",
            lang="zh_CN",
            tz=TZ,
            groups="aftersales_service.group_aftersales_user_team",
        )
        self.team_region.member_ids = [Command.link(user_zh.id)]
        visit = self._visit()
        en = visit._dispatch_rank()[0]["certification_note"]
        zh = (visit.with_user(user_zh).with_context(lang="zh_CN")._dispatch_rank()[0])[
            "certification_note"
        ]
        self.assertIn(self.li_expiry.strftime("%m/%d/%Y"), en)
        self.assertIn(self.li_expiry.strftime("%Y年%m月%d日"), zh)


class TestSuggestionWizard(DispatchCase):
    def _wizard(self, visit, user=None):
        action = visit.with_user(user or self.user_team).action_suggest_technician()
        return (
            self.env[action["res_model"]]
            .with_user(user or self.user_team)
            .browse(action["res_id"])
        )

    def test_dispatcher_confirms_the_first_candidate_in_one_click(self):
        visit = self._visit()
        wizard = self._wizard(visit)
        self.assertEqual(
            wizard.line_ids.mapped("employee_id.name"),
            [
                "Li Technician",
                "Zhou Technician",
                "Wang Technician",
                "Partner Technician",
            ],
        )
        self.assertEqual(wizard.line_ids[0].availability_note, "Free in the window")
        self.assertEqual(
            wizard.line_ids.mapped("assignable"), [True, True, True, False]
        )
        wizard.line_ids[0].action_assign()
        self.assertEqual(visit.technician_id, self.emp_li)
        self.assertTrue(visit.technician_certified)

    def test_uncertified_needs_a_reason_which_is_logged(self):
        visit = self._visit()
        wizard = self._wizard(visit)
        wang = wizard.line_ids.filtered(lambda line: line.employee_id == self.emp_wang)
        with self.assertRefused(
            ValidationError,
            "Wang Technician holds no valid certification for Air Conditioners",
        ):
            wang.action_assign()
        self.assertFalse(visit.technician_id)
        wizard.certification_override_reason = "Only one free; trainer on the phone"
        wang.action_assign()
        self.assertEqual(visit.technician_id, self.emp_wang)
        self.assertEqual(
            visit.certification_override_reason, "Only one free; trainer on the phone"
        )
        self.assertTrue(
            any(
                "sent without a valid certification for Air Conditioners" in body
                and "Only one free; trainer on the phone" in body
                for body in self._notes(visit)
            )
        )

    def test_outside_hours_needs_the_wizards_confirmation(self):
        visit = self._visit(start=utc(self.day, 19))
        wizard = self._wizard(visit)
        with self.assertRefused(ValidationError, "outside the working hours"):
            wizard.line_ids[0].action_assign()
        self.assertFalse(visit.technician_id)
        wizard.outside_hours_confirmed = True
        wizard.line_ids[0].action_assign()
        self.assertEqual(visit.technician_id, self.emp_li)
        self.assertTrue(visit.outside_hours_confirmed)

    def test_other_teams_dispatcher_cannot_suggest(self):
        visit = self._visit()
        with self.assertRaises(AccessError):
            visit.with_user(self.user_team_west).action_suggest_technician()
        with self.assertRaises(AccessError):
            visit.with_user(self.user_technician).action_suggest_technician()

    def test_started_visit_is_not_reassigned(self):
        visit = self._visit(technician_id=self.emp_li.id)
        visit.with_user(self.user_technician).action_check_in()
        with self.assertRefused(UserError, "has started or is over"):
            visit.action_suggest_technician()


class TestAutoAssignment(DispatchCase):
    def test_team_with_auto_assignment_gets_the_top_candidate(self):
        self.team_point.with_user(self.user_manager).visit_auto_assign = True
        visit = self._visit()
        self.assertEqual(visit.technician_id, self.emp_li)
        self.assertTrue(
            any(
                "Assigned automatically to Li Technician" in body
                and "Free in the window" in body
                for body in self._notes(visit)
            )
        )
        # Li is now busy: the next visit in the same window goes to Zhou
        second = self._visit(
            ticket_id=self._create_ticket(product_id=self.product_ac.id).id
        )
        self.assertEqual(second.technician_id, self.emp_zhou)

    def test_nobody_eligible_stays_unassigned(self):
        self.team_point.with_user(self.user_manager).visit_auto_assign = True
        visit = self._visit(start=utc(self.day, 19))
        self.assertFalse(visit.technician_id)
        self.assertTrue(
            any(
                "found no certified technician free in the window" in body
                for body in self._notes(visit)
            )
        )

    def test_without_auto_assignment_nothing_happens(self):
        visit = self._visit()
        self.assertFalse(visit.technician_id)

    def test_dispatcher_cannot_switch_auto_assignment(self):
        with self.assertRaises(AccessError):
            self.team_point.with_user(self.user_team).visit_auto_assign = True


class TestPlanChecks(DispatchCase):
    def test_overlapping_visits_of_one_technician_refused(self):
        first = self._visit(technician_id=self.emp_li.id)
        count = self.env["aftersales.visit"].search_count([])
        with self.assertRefused(
            ValidationError,
            f"Li Technician is already on visit {first.name} from .* overlaps it",
        ):
            self._visit(
                technician_id=self.emp_li.id,
                start=self.window[0] + timedelta(hours=1),
            )
        self.assertEqual(self.env["aftersales.visit"].search_count([]), count)
        # moving a later visit onto the first one is refused too
        later = self._visit(
            technician_id=self.emp_li.id, start=self.window[0] + timedelta(hours=3)
        )
        with self.assertRefused(ValidationError, "overlaps it"):
            later.with_user(self.user_team).write(
                {
                    "planned_start": self.window[0] + timedelta(hours=1),
                    "planned_stop": self.window[0] + timedelta(hours=3),
                }
            )
        self.assertEqual(later.planned_start, self.window[0] + timedelta(hours=3))
        # a cancelled visit frees the window; another technician is fine too
        self._visit(technician_id=self.emp_zhou.id)
        first.with_user(self.user_team).action_cancel(reason="Customer away")
        self._visit(technician_id=self.emp_li.id)

    def test_window_outside_working_hours_needs_confirmation(self):
        evening = utc(self.day, 19)
        with self.assertRefused(
            ValidationError,
            r"the window .* is outside the working hours of Li Technician "
            r"\(08:00 – 17:00\)",
        ):
            self._visit(technician_id=self.emp_li.id, start=evening)
        visit = self._visit(
            technician_id=self.emp_li.id, start=evening, outside_hours_confirmed=True
        )
        self.assertTrue(visit.outside_hours_confirmed)
        # a new window asks again
        with self.assertRefused(ValidationError, "outside the working hours"):
            visit.write(
                {
                    "planned_start": evening + timedelta(hours=1),
                    "planned_stop": evening + timedelta(hours=3),
                }
            )
        self.assertEqual(visit.planned_start, evening)
        self.assertTrue(visit.outside_hours_confirmed)

    def test_weekend_and_leave_need_confirmation(self):
        saturday = self.day + timedelta(days=(5 - self.day.weekday()) % 7)
        with self.assertRefused(ValidationError, r"\(no working hours that day\)"):
            self._visit(technician_id=self.emp_li.id, start=utc(saturday, 10))
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Sick",
                "resource_id": self.emp_li.resource_id.id,
                "calendar_id": self.calendar.id,
                "date_from": utc(self.day, 0),
                "date_to": utc(self.day, 23, 59),
            }
        )
        with self.assertRefused(
            ValidationError, r"Li Technician is on leave \(Sick\) during the window"
        ):
            self._visit(technician_id=self.emp_li.id)
        # a public holiday of the calendar counts too
        self.env["resource.calendar.leaves"].create(
            {
                "name": "National Day",
                "calendar_id": self.calendar.id,
                "date_from": utc(self.day + timedelta(days=1), 0),
                "date_to": utc(self.day + timedelta(days=1), 23, 59),
            }
        )
        with self.assertRefused(ValidationError, r"on leave \(National Day\)"):
            self._visit(
                technician_id=self.emp_zhou.id,
                start=utc(self.day + timedelta(days=1), 10),
            )

    def test_uncertified_technician_needs_a_reason(self):
        count = self.env["aftersales.visit"].search_count([])
        with self.assertRefused(
            ValidationError,
            "Wang Technician holds no valid certification for Air Conditioners",
        ):
            self._visit(technician_id=self.emp_wang.id)
        self.assertEqual(self.env["aftersales.visit"].search_count([]), count)
        with self.assertRefused(ValidationError, "give the reason"):
            self._visit(
                technician_id=self.emp_wang.id, certification_override_reason="  "
            )
        visit = self._visit(
            technician_id=self.emp_wang.id,
            certification_override_reason="Customer asked for him",
        )
        self.assertFalse(visit.technician_certified)
        self.assertTrue(
            any(
                "Wang Technician sent without a valid certification" in body
                and "Customer asked for him" in body
                for body in self._notes(visit)
            )
        )
        # another technician: the reason was for Wang, it is cleared
        visit.write({"technician_id": self.emp_li.id})
        self.assertFalse(visit.certification_override_reason)
        self.assertTrue(visit.technician_certified)
        # back to Wang without a reason: refused
        with self.assertRefused(ValidationError, "holds no valid certification"):
            visit.write({"technician_id": self.emp_wang.id})
        self.assertEqual(visit.technician_id, self.emp_li)

    def test_technician_cannot_certify_themselves(self):
        # Wang has the skill on his resume; only HR or the manager certify
        Certification = self.env["aftersales.certification"].with_user(
            self.user_technician2
        )
        with self.assertRaises(AccessError):
            Certification.create(
                {"employee_id": self.emp_wang.id, "skill_id": self.skill_ac.id}
            )
        expired = Certification.search([("employee_id", "=", self.emp_wang.id)])
        with self.assertRaises(AccessError):
            expired.expiry_date = self.day + timedelta(days=365)
        self.assertEqual(expired.expiry_date, self.wang_expiry)
        with self.assertRefused(ValidationError, "holds no valid certification"):
            self._visit(technician_id=self.emp_wang.id)

    def test_certification_needs_the_skill_on_the_resume(self):
        with self.assertRefused(
            ValidationError, "West Technician has no skill Washing Machines"
        ):
            self.env["aftersales.certification"].with_user(self.user_manager).create(
                {"employee_id": self.emp_west.id, "skill_id": self.skill_washer.id}
            )
        with self.assertRefused(ValidationError, "cannot expire before"):
            self.env["aftersales.certification"].with_user(self.user_manager).create(
                {
                    "employee_id": self.emp_west.id,
                    "skill_id": self.skill_ac.id,
                    "date_obtained": self.day,
                    "expiry_date": self.day - timedelta(days=1),
                }
            )


class TestDispatcherTeams(DispatchCase):
    def test_dispatcher_of_another_team_cannot_plan_or_reassign(self):
        visit = self._visit(technician_id=self.emp_li.id)
        west = self.user_team_west
        with self.assertRaises(AccessError):
            visit.with_user(west).write({"technician_id": self.emp_zhou.id})
        with self.assertRaises(AccessError):
            visit.with_user(west).write({"planned_start": self.window[0]})
        with self.assertRaises(AccessError):
            self._visit(user=west)
        self.assertEqual(visit.technician_id, self.emp_li)

    def test_dispatcher_plans_within_their_teams_only(self):
        visit = self._visit(technician_id=self.emp_li.id)
        # reassign within the teams: fine
        visit.with_user(self.user_team).write({"technician_id": self.emp_zhou.id})
        self.assertEqual(visit.technician_id, self.emp_zhou)
        with self.assertRefused(
            AccessError, "West Technician is not a technician of your teams"
        ):
            visit.with_user(self.user_team).write({"technician_id": self.emp_west.id})
        with self.assertRefused(
            AccessError, "Partner Technician is not a technician of your teams"
        ):
            visit.with_user(self.user_team).write(
                {"helper_ids": [Command.link(self.emp_partner.id)]}
            )
        with self.assertRefused(
            AccessError, "you plan the visits of your own teams only"
        ):
            visit.with_user(self.user_team).write({"team_id": self.team_west.id})
        self.assertEqual(visit.technician_id, self.emp_zhou)
        self.assertEqual(visit.team_id, self.team_point)
        self.assertFalse(visit.helper_ids)
        # the manager sends anyone
        visit.with_user(self.user_manager).write({"technician_id": self.emp_partner.id})
        self.assertEqual(visit.technician_id, self.emp_partner)

    def test_west_dispatcher_plans_their_own(self):
        customer = self.env["res.partner"].create(
            {"name": "Chengdu Customer", "state_id": self.state_sc.id}
        )
        ticket = self._create_ticket(
            partner_id=customer.id, product_id=self.product_ac.id
        )
        self.assertEqual(ticket.team_id, self.team_west)
        visit = self._visit(
            user=self.user_team_west,
            ticket_id=ticket.id,
            technician_id=self.emp_west.id,
        )
        self.assertEqual(visit.technician_id, self.emp_west)
        with self.assertRaises(AccessError):
            visit.with_user(self.user_team).write({"technician_id": self.emp_li.id})

    def test_technician_cannot_hand_over_their_visit(self):
        visit = self._visit(technician_id=self.emp_li.id)
        with self.assertRefused(AccessError, "Technicians do not assign visits"):
            visit.with_user(self.user_technician).write(
                {"technician_id": self.emp_zhou.id}
            )
        self.assertEqual(visit.technician_id, self.emp_li)


class TestPhoneReveal(DispatchCase):
    PHONE = "138 1234 5678"

    def _reveal_count(self, visit):
        return sum(
            "revealed the customer&#39;s phone" in body
            or "revealed the customer's phone" in body
            for body in self._notes(visit)
        )

    def test_assigned_technician_reveals_from_two_hours_before(self):
        visit = self._visit(technician_id=self.emp_li.id)
        as_tech = visit.with_user(self.user_technician)
        with freeze_time(self.window[0] - timedelta(hours=3)):
            with self.assertRefused(
                UserError, "shown from 2 h before the visit: from .*08:00"
            ):
                as_tech._dispatch_reveal_phone()
        self.assertEqual(self._reveal_count(visit), 0)
        with freeze_time(self.window[0] - timedelta(hours=1)):
            self.assertEqual(as_tech._dispatch_reveal_phone(), self.PHONE)
            action = as_tech.action_reveal_phone()
        self.assertEqual(action["params"]["links"][0]["url"], "tel:13812345678")
        self.assertEqual(action["params"]["links"][0]["label"], self.PHONE)
        self.assertEqual(self._reveal_count(visit), 2)
        # the masking rules still hold everywhere else
        self.assertEqual(as_tech.partner_phone_masked, "138****5678")
        self.assertEqual(
            self.customer.with_user(self.user_technician).read(["phone"])[0]["phone"],
            "138****5678",
        )

    def test_until_the_visit_is_done(self):
        visit = self._visit(technician_id=self.emp_li.id)
        as_tech = visit.with_user(self.user_technician)
        with freeze_time(self.window[0] + timedelta(hours=1)):
            as_tech.action_check_in()
            self.assertEqual(as_tech._dispatch_reveal_phone(), self.PHONE)
            visit.sudo().state = "done"
            with self.assertRefused(UserError, "no longer shown"):
                as_tech._dispatch_reveal_phone()

    def test_lead_time_is_a_company_setting(self):
        self.env["res.config.settings"].create(
            {"aftersales_phone_reveal_hours": 4}
        ).execute()
        self.assertEqual(self.company.aftersales_phone_reveal_hours, 4)
        visit = self._visit(technician_id=self.emp_li.id)
        with freeze_time(self.window[0] - timedelta(hours=3)):
            self.assertEqual(
                visit.with_user(self.user_technician)._dispatch_reveal_phone(),
                self.PHONE,
            )
        with self.assertRefused(ValidationError, "cannot be negative"):
            self.company.aftersales_phone_reveal_hours = -1

    def test_only_the_assigned_technician(self):
        visit = self._visit(technician_id=self.emp_li.id)
        with freeze_time(self.window[0] - timedelta(hours=1)):
            with self.assertRaises(AccessError):
                visit.with_user(self.user_technician3)._dispatch_reveal_phone()
            with self.assertRefused(
                AccessError, "Only the technician assigned to visit"
            ):
                visit.with_user(self.user_team)._dispatch_reveal_phone()
        self.assertEqual(self._reveal_count(visit), 0)


class TestMyVisitsToday(DispatchCase):
    def test_my_visits_today_in_time_order_with_the_facts(self):
        today = self.day
        with freeze_time(utc(today, 6)):  # 06:00 in China, 22:00 UTC before
            afternoon = self._visit(technician_id=self.emp_li.id, start=utc(today, 14))
            morning = self._visit(technician_id=self.emp_li.id, start=utc(today, 9))
            self._visit(
                technician_id=self.emp_li.id,
                start=utc(today + timedelta(days=1), 9),
            )
            self._visit(technician_id=self.emp_zhou.id, start=utc(today, 9))
            Visit = self.env["aftersales.visit"].with_user(self.user_technician)
            action = Visit.action_my_visits_today()
            mine = Visit.search(action["domain"], order="planned_start")
        self.assertEqual(mine, morning | afternoon)
        self.assertEqual(mine[0], morning)
        self.assertEqual(action["views"][0][1], "kanban")
        data = mine.web_read(
            {
                "window_label": {},
                "service_address": {},
                "service_map_url": {},
                "product_id": {"fields": {"display_name": {}}},
                "lot_id": {"fields": {"display_name": {}}},
                "ticket_symptom": {},
                "partner_phone_masked": {},
                "is_my_visit": {},
            }
        )[0]
        self.assertEqual(data["window_label"], "09:00 – 11:00")
        self.assertIn("Test Zhejiang", data["service_address"])
        self.assertTrue(
            data["service_map_url"].startswith("https://www.openstreetmap.org/")
        )
        self.assertEqual(data["product_id"]["display_name"], "Air Conditioner X1")
        self.assertEqual(data["lot_id"]["display_name"], "AC-0001")
        self.assertEqual(data["ticket_symptom"], "Blows warm air\nsince Monday")
        self.assertEqual(data["partner_phone_masked"], "138****5678")
        self.assertTrue(data["is_my_visit"])


class TestSuggestionQueries(DispatchCase):
    def _measure(self, visit):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        rows = visit.with_user(self.user_team)._dispatch_rank()
        return self.cr.sql_log_count - before, rows

    def test_queries_do_not_grow_with_technicians_and_visits(self):
        env = self.env
        # something of every kind: a busy technician, a leave, an expired
        # certification (Wang)
        other = self._create_ticket(product_id=self.product_ac.id)
        self._visit(ticket_id=other.id, technician_id=self.emp_li.id)
        env["resource.calendar.leaves"].create(
            {
                "name": "Training",
                "resource_id": self.emp_zhou.resource_id.id,
                "date_from": self.window[0],
                "date_to": self.window[1],
            }
        )
        # two working calendars
        shift = env["resource.calendar"].create(
            {
                "name": "Shift",
                "tz": TZ,
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 7,
                            "hour_to": 19,
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        self.emp_wang.resource_calendar_id = shift
        visit = self._visit()
        self._measure(visit)  # warm the caches
        small, rows = self._measure(visit)
        self.assertEqual(len(rows), 4)

        # twelve more technicians, half on the other calendar, with resumes,
        # certifications (some expired), leaves and four visits each
        extra = env["hr.employee"].create(
            [
                {
                    "name": f"Extra Technician {index:02d}",
                    "tz": TZ,
                    "resource_calendar_id": (shift if index % 2 else self.calendar).id,
                }
                for index in range(12)
            ]
        )
        self.team_point.technician_ids = [Command.link(e.id) for e in extra]
        env["hr.employee.skill"].create(
            [
                {
                    "employee_id": employee.id,
                    "skill_id": self.skill_ac.id,
                    "skill_level_id": self.level.id,
                    "skill_type_id": self.skill_type.id,
                }
                for employee in extra
            ]
        )
        env["aftersales.certification"].create(
            [
                {
                    "employee_id": employee.id,
                    "skill_id": self.skill_ac.id,
                    "expiry_date": self.day + timedelta(days=-1 if index % 3 else 30),
                }
                for index, employee in enumerate(extra)
            ]
        )
        env["resource.calendar.leaves"].create(
            [
                {
                    "name": "Leave",
                    "resource_id": employee.resource_id.id,
                    "date_from": self.window[0],
                    "date_to": self.window[1],
                }
                for employee in extra[:4]
            ]
        )
        tickets = env["aftersales.ticket"].create(
            [self._ticket_vals(product_id=self.product_washer.id) for __ in range(4)]
        )
        env["aftersales.visit"].create(
            [
                {
                    "ticket_id": ticket.id,
                    "technician_id": employee.id,
                    "planned_start": self.window[0] + timedelta(days=day),
                    "planned_stop": self.window[1] + timedelta(days=day),
                    "outside_hours_confirmed": True,
                }
                for employee in extra[4:]
                for day, ticket in enumerate(tickets)
            ]
        )
        large, rows = self._measure(visit)
        self.assertEqual(len(rows), 16)
        self.assertEqual(small, large)
        self.assertLessEqual(large, 35)
