from freezegun import freeze_time

from .test_sla_common import SlaCase, at


class TestOverview(SlaCase):
    FIGURES = (
        "open",
        "unassigned",
        "urgent",
        "at_risk",
        "failed_today",
        "callbacks_due",
        "part_shortage",
    )

    def _figures(self, team):
        return {figure: team[f"overview_{figure}_count"] for figure in self.FIGURES}

    def test_counts_add_up_the_tree(self):
        point, region = self.team_point, self.team_region
        with freeze_time(at(0, 10)):
            self._create_ticket(team_id=point.id, technician_id=False)
            self._create_ticket(
                team_id=point.id,
                technician_id=self.emp_technician.id,
                complexity="simple",
            )
            self._create_ticket(
                team_id=self.team_other_point.id, technician_id=False, priority="1"
            )
            closed = self._create_ticket(team_id=point.id)
            closed.stage_id = self.stage_solved
        self._run_cron(at(0, 14))  # the simple one is at risk
        with freeze_time(at(0, 14, 5)):
            teams = (point | region).with_user(self.user_manager)
            self.assertEqual(
                self._figures(teams[0]),
                {
                    "open": 2,
                    "unassigned": 1,
                    "urgent": 0,
                    "at_risk": 1,
                    "failed_today": 0,
                    "callbacks_due": 0,
                    "part_shortage": 0,
                },
            )
            self.assertEqual(teams[1].overview_open_count, 3, "region = its points")
            self.assertEqual(teams[1].overview_unassigned_count, 2)
            self.assertEqual(teams[1].overview_urgent_count, 1)
        self._run_cron(at(0, 15))
        with freeze_time(at(0, 15, 5)):
            point.invalidate_recordset()
            self.assertEqual(point.overview_failed_today_count, 1)
            self.assertEqual(point.overview_at_risk_count, 0)
        with freeze_time(at(1, 10)):
            point.invalidate_recordset()
            self.assertEqual(point.overview_failed_today_count, 0, "yesterday's")

    def test_callbacks_due_and_parts_shortage(self):
        ticket = self._create_ticket(
            self.env(user=self.user_agent), technician_id=self.emp_technician.id
        )
        ticket.stage_id = self.stage_solved
        self.assertTrue(ticket.callback_ids)
        ticket.callback_ids.due_date = at(0, 9)
        with freeze_time(at(0, 10)):
            team = ticket.team_id.with_user(self.user_manager)
            self.assertEqual(team.overview_callbacks_due_count, 1)
            action = team.action_overview_callbacks_due()
        self.assertEqual(action["res_model"], "aftersales.callback")
        self.assertEqual(action["context"]["search_default_due"], 1)
        self.assertEqual(action["context"]["search_default_team_id"], team.id)

    def test_at_risk_link_opens_the_filtered_list(self):
        action = self.team_point.action_overview_at_risk()
        self.assertEqual(action["res_model"], "aftersales.ticket")
        self.assertEqual(action["views"][0][1], "list")
        self.assertEqual(
            {k: v for k, v in action["context"].items() if k.startswith("search_")},
            {
                "search_default_team_id": self.team_point.id,
                "search_default_open": 1,
                "search_default_sla_at_risk": 1,
            },
        )

    def test_technician_sees_only_what_the_rules_show(self):
        self._create_ticket(team_id=self.team_point.id)
        mine = self._create_ticket(
            team_id=self.team_point.id, technician_id=self.emp_technician.id
        )
        team = self.team_point.with_user(self.user_technician2)
        self.assertEqual(team.overview_open_count, 0)
        self.assertEqual(team.overview_callbacks_due_count, 0)
        team = self.team_point.with_user(self.user_technician)
        self.assertEqual(team.overview_open_count, 1)
        self.assertTrue(mine)

    def test_query_count_does_not_grow_with_the_teams(self):
        Team = self.env["aftersales.team"]
        few = self.team_point | self.team_region
        many = few | Team.create(
            [{"name": f"Point {i}", "parent_id": self.team_region.id} for i in range(8)]
        )
        for team in many:
            self._create_ticket(team_id=team.id)
        fnames = [f"overview_{figure}_count" for figure in self.FIGURES]
        self.env.flush_all()
        few.with_user(self.user_manager).read(fnames)  # warm the rules' caches
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        few.with_user(self.user_manager).read(fnames)
        measured = self.cr.sql_log_count - before
        self.env.invalidate_all()
        # one query per figure (plus the team tree and access checks), the
        # same for 10 teams as for 2
        with self.assertQueryCount(measured):
            many.with_user(self.user_manager).read(fnames)
        self.assertLessEqual(measured, 12)

    def test_my_day(self):
        with freeze_time(at(0, 8)):
            ticket = self._create_ticket(technician_id=self.emp_technician.id)
            ticket.write(
                {"appointment_start": at(0, 14), "appointment_stop": at(0, 15)}
            )
            self._create_ticket(technician_id=self.emp_technician.id).write(
                {"appointment_start": at(1, 14), "appointment_stop": at(1, 15)}
            )
            figures = (
                self.env["aftersales.team"]
                .with_user(self.user_technician)
                .retrieve_my_day()
            )
        self.assertEqual(
            figures, {"tickets": 2, "appointments": 1, "score": False, "target": False}
        )
        action = self.env["aftersales.team"].action_open_my_day("appointments")
        self.assertEqual(action["views"][0][1], "calendar")
