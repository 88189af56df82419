"""The dispatcher in the browser: the unplanned visits, the suggestion and
its reasons, the one-click assignment."""

from datetime import timedelta

from odoo import Command

from .common import AftersalesHttpCase


class TestDispatcherTour(AftersalesHttpCase):
    def test_dispatcher_plans_from_the_suggestion(self):
        env = self.env
        skill_type = env["hr.skill.type"].create(
            {
                "name": "Product Lines",
                "skill_ids": [Command.create({"name": "Air Conditioners"})],
                "skill_level_ids": [
                    Command.create({"name": "Certified", "default_level": True})
                ],
            }
        )
        skill = skill_type.skill_ids
        self.product_ac.categ_id = env["product.category"].create(
            {"name": "Air Conditioning", "aftersales_skill_id": skill.id}
        )
        self.team_region.technician_ids = [Command.link(self.emp_technician2.id)]
        env["hr.employee.skill"].create(
            [
                {
                    "employee_id": employee.id,
                    "skill_id": skill.id,
                    "skill_level_id": skill_type.skill_level_ids.id,
                    "skill_type_id": skill_type.id,
                }
                for employee in self.emp_technician | self.emp_technician2
            ]
        )
        env["aftersales.certification"].create(
            {"employee_id": self.emp_technician.id, "skill_id": skill.id}
        )
        ticket = self._create_ticket(product_id=self.product_ac.id)
        start, stop = self._working_window(days=2)
        visit = env["aftersales.visit"].create(
            {"ticket_id": ticket.id, "planned_start": start, "planned_stop": stop}
        )
        self.assertEqual(visit.team_id, self.team_point)
        self.start_tour(
            "/odoo/action-aftersales_service.aftersales_visit_action_unplanned",
            "aftersales_dispatch_tour",
            login="as_team",
        )
        self.assertEqual(visit.technician_id, self.emp_technician)
        self.assertEqual(visit.planned_stop - visit.planned_start, timedelta(hours=2))
