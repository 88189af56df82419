"""Every company works: the shipped service levels, escalation and
batch-failure levels, callback rules and performance profiles exist in every
company, and a ticket of a second company, worked by that company's people,
gets its service levels, its callback and its scorecard."""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from .common import AftersalesCase

SHIPPED_MODELS = (
    "aftersales.sla.policy",
    "aftersales.escalation.level",
    "aftersales.callback.rule",
    "aftersales.performance.profile",
)


class TestEveryCompany(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.south = env["res.company"].create({"name": "South Service Co"})
        south_only = {
            "company_id": cls.south.id,
            "company_ids": [Command.set(cls.south.ids)],
        }
        cls.south_agent = new_test_user(
            env,
            login="as_south_agent",
            name="Lin South Agent",
            groups="aftersales_service.group_aftersales_user_own",
            **south_only,
        )
        cls.south_tech = new_test_user(
            env,
            login="as_south_tech",
            name="Guo South Technician",
            groups="aftersales_service.group_aftersales_technician",
            **south_only,
        )
        cls.south_manager = new_test_user(
            env,
            login="as_south_manager",
            name="Huang South Manager",
            groups="aftersales_service.group_aftersales_manager",
            **south_only,
        )
        Employee = env["hr.employee"]
        cls.south_emp_tech = Employee.create(
            {
                "name": "Guo South Technician",
                "user_id": cls.south_tech.id,
                "company_id": cls.south.id,
            }
        )
        cls.south_emp_agent = Employee.create(
            {
                "name": "Lin South Agent",
                "user_id": cls.south_agent.id,
                "company_id": cls.south.id,
                "aftersales_profile_id": cls._south("aftersales.performance.profile")
                .filtered(lambda p: p.role == "agent")
                .id,
            }
        )
        cls.south_team = env["aftersales.team"].create(
            {
                "name": "Guangzhou Point",
                "company_id": cls.south.id,
                "technician_ids": [Command.set(cls.south_emp_tech.ids)],
            }
        )

    @classmethod
    def _south(cls, model, company=None):
        return (
            cls.env[model]
            .with_context(active_test=False)
            .search([("company_id", "=", (company or cls.south).id)])
        )

    def test_a_new_company_gets_the_shipped_configuration(self):
        policies = self._south("aftersales.sla.policy").sorted("sequence")
        self.assertEqual(
            [
                (
                    p.name,
                    p.priority,
                    p.customer_tier,
                    p.time_basis,
                    p.response_hours,
                    p.arrival_hours,
                    p.resolution_simple_hours,
                    p.resolution_general_hours,
                    p.resolution_complex_hours,
                )
                for p in policies
            ],
            [
                ("VIP Critical", "2", "vip", "calendar", 0.25, 2, 2, 12, 48),
                ("VIP Urgent", "1", "vip", "working", 1, 12, 2, 12, 48),
                ("VIP", False, "vip", "working", 2, 24, 2, 12, 48),
                ("Critical (major failure)", "2", False, "calendar", 0.5, 2, 4, 24, 72),
                ("Urgent", "1", False, "working", 2, 24, 4, 24, 72),
                ("Normal", "0", False, "working", 24, 0, 4, 24, 72),
            ],
        )
        levels = self._south("aftersales.escalation.level")
        ladder = levels.filtered(lambda lvl: lvl.scope == "sla").sorted("sequence")
        self.assertEqual(
            [(lvl.recipient, lvl.delay_hours) for lvl in ladder],
            [("team_leader", 0), ("regional_manager", 4), ("head_of_service", 24)],
        )
        plan = levels.filtered(lambda lvl: lvl.scope == "incident").sorted("level")
        self.assertEqual(
            [
                (
                    lvl.level,
                    lvl.min_ticket_count,
                    lvl.window_days,
                    lvl.response_hours,
                    lvl.recall_hours,
                )
                for lvl in plan
            ],
            [(1, 10, 7, 48, 0), (2, 50, 7, 72, 0), (3, 201, 7, 12, 48)],
        )
        rules = self._south("aftersales.callback.rule").sorted("sequence")
        self.assertEqual(
            [
                (r.sequence, r.action, r.customer_type, r.delay, r.delay_unit)
                for r in rules
            ],
            [
                (1, "none", "all", 1, "days"),
                (5, "callback", "vip", 4, "hours"),
                (10, "callback", "all", 1, "days"),
            ],
        )
        self.assertEqual(
            rules[0].stage_ids, self.env.ref("aftersales_service.stage_cancelled")
        )
        profiles = self._south("aftersales.performance.profile")
        weights = {
            p.role: [(i.code, i.weight) for i in p.indicator_ids.sorted("sequence")]
            for p in profiles
        }
        self.assertEqual(
            weights,
            {
                "agent": [
                    ("response_timeliness", 30),
                    ("information_accuracy", 20),
                    ("satisfaction", 50),
                ],
                "technician": [
                    ("resolution_success", 40),
                    ("timeliness", 20),
                    ("parts_usage", 15),
                    ("customer_rating", 25),
                    # field indicators, shown on the scorecard, weighted 0
                    ("arrival_compliance", 0),
                    ("visit_first_time_fix", 0),
                    ("no_show_rate", 0),
                    ("report_signed_time", 0),
                ],
                "manager": [
                    ("team_target", 40),
                    ("complaint_handling", 30),
                    ("cost_control", 30),
                ],
            },
        )
        # Copies, not the first company's records
        for model in SHIPPED_MODELS:
            first = self._south(model, company=self.company)
            self.assertFalse(self._south(model) & first, model)

    def test_install_gives_existing_companies_their_configuration_once(self):
        """The install step fills the companies that have none (here one
        that was there before the addon), and leaves alone those that have
        theirs."""
        west = self.env["res.company"].create({"name": "West Service Co"})
        for model in SHIPPED_MODELS:
            self._south(model, west).unlink()
            self.assertFalse(self._south(model, west), model)
        before = {
            company: {
                model: len(self._south(model, company)) for model in SHIPPED_MODELS
            }
            for company in (self.company, self.south)
        }
        self.env["res.company"]._aftersales_create_defaults_all()
        self.env["res.company"]._aftersales_create_defaults_all()
        counts = {model: len(self._south(model, west)) for model in SHIPPED_MODELS}
        self.assertEqual(
            counts,
            {
                "aftersales.sla.policy": 6,
                "aftersales.escalation.level": 6,
                "aftersales.callback.rule": 3,
                "aftersales.performance.profile": 3,
            },
        )
        after = {
            company: {
                model: len(self._south(model, company)) for model in SHIPPED_MODELS
            }
            for company in (self.company, self.south)
        }
        self.assertEqual(after, before)

    def test_a_new_company_has_its_ticket_sequence_before_its_first_ticket(self):
        """Created with the company (and at install for companies without
        one), not lazily by the first ticket: two first tickets of a company
        created at the same time would each create a sequence and get the
        same reference. The install step creates none twice."""
        Sequence = self.env["ir.sequence"].sudo()
        north = self.env["res.company"].create({"name": "North Service Co"})
        domain = [("code", "=", "aftersales.ticket"), ("company_id", "=", north.id)]
        sequence = Sequence.search(domain)
        self.assertEqual(len(sequence), 1)
        self.assertEqual(sequence.prefix, "AS%(y)s")
        self.assertEqual(sequence.number_next_actual, 1, "no ticket yet")
        self.env["res.company"]._aftersales_create_defaults_all()
        self.assertEqual(Sequence.search(domain), sequence)
        sequence.unlink()
        self.env["res.company"]._aftersales_create_defaults_all()
        self.assertEqual(len(Sequence.search(domain)), 1, "restored at install")

    def test_ticket_of_the_second_company_end_to_end(self):
        south_normal = self._south("aftersales.sla.policy").filtered(
            lambda p: p.name == "Normal"
        )
        south_standard = self._south("aftersales.callback.rule").filtered(
            lambda r: r.sequence == 10
        )
        agent_env = self.env(user=self.south_agent)
        with freeze_time("2025-10-06 01:00:00"):
            ticket = agent_env["aftersales.ticket"].create(
                {
                    "partner_id": self.customer_other.id,
                    "symptom": "No hot water",
                    "channel_id": self.channel_phone.id,
                    "team_id": self.south_team.id,
                    "technician_id": self.south_emp_tech.id,
                }
            )
        self.assertEqual(ticket.company_id, self.south)
        self.assertEqual(ticket.sla_policy_id, south_normal)
        self.assertEqual(
            {line.target_type: line.target_hours for line in ticket.sla_ids},
            {"response": 24.0, "resolution": 24.0},  # general complexity
        )
        self.assertEqual(ticket.sla_ids.company_id, self.south)
        # The technician of the south company closes it: its callback follows.
        with freeze_time("2025-10-06 05:00:00"):
            ticket.with_user(self.south_tech).stage_id = self.stage_solved
        callback = ticket.callback_ids
        self.assertEqual(len(callback), 1)
        self.assertEqual(callback.rule_id, south_standard)
        self.assertEqual(callback.company_id, self.south)
        self.assertEqual(callback.user_id, self.south_agent)
        # The south manager builds October's scorecards of the south company.
        with freeze_time("2025-11-02 02:00:00"):
            scores = (
                self.env["aftersales.performance.score"]
                .with_user(self.south_manager)
                ._build_scores("month", date(2025, 10, 1))
            )
        score = scores.filtered(lambda s: s.employee_id == self.south_emp_agent)
        self.assertEqual(score.company_id, self.south)
        self.assertEqual(
            score.profile_id,
            self._south("aftersales.performance.profile").filtered(
                lambda p: p.role == "agent"
            ),
        )
        self.assertEqual(
            (score.date_start, score.date_end), (date(2025, 10, 1), date(2025, 10, 31))
        )
        lines = {line.code: line for line in score.line_ids}
        self.assertEqual(
            set(lines), {"response_timeliness", "information_accuracy", "satisfaction"}
        )
        # One ticket received in October, not repeated, no complaint: 100 %.
        accuracy = lines["information_accuracy"]
        self.assertEqual(
            (accuracy.raw_value, accuracy.sample_size, accuracy.has_data),
            (100.0, 1, True),
        )
        self.assertEqual(ticket.received_date, datetime(2025, 10, 6, 1, 0))
