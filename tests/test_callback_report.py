from .test_callback import CallbackCase


class TestCallbackReport(CallbackCase):
    """NPS, CSAT, averages and rates from the SQL view, against numbers
    computed by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule_standard.unhappy_action = "reopen"  # keep one ticket per callback

    def _scenario(self):
        # (satisfaction, solved, conduct, nps, how the customer was asked)
        answers = [
            (5, True, 5, 10, "reached"),  # promoter
            (4, True, 4, 9, "reached"),  # promoter
            (3, True, 4, 8, "wrong_number"),  # passive, by e-mail
            (2, False, 3, 5, None),  # detractor -> reopened
            (5, True, 5, 7, None),  # passive
        ]
        callbacks = self.env["aftersales.callback"]
        for satisfaction, solved, conduct, nps, outcome in answers:
            callback = self._closed_ticket().callback_ids
            if outcome:
                callback.with_user(self.user_agent)._record_outcome(outcome)
            self._answer(callback, satisfaction, solved, conduct, nps)
            callbacks |= callback
        # Not answered: sent by e-mail after a wrong number
        silent = self._closed_ticket().callback_ids
        silent.with_user(self.user_agent)._record_outcome("wrong_number")
        return callbacks | silent

    def test_measures(self):
        callbacks = self._scenario()
        self.env.flush_all()
        Report = self.env["aftersales.callback.report"].with_user(self.user_manager)
        [row] = Report._read_group(
            [("callback_id", "in", callbacks.ids)],
            [],
            [
                "nps:avg",
                "csat:avg",
                "satisfaction:avg",
                "conduct:avg",
                "nps_score:avg",
                "solved_rate:avg",
                "reach_rate:avg",
                "response_rate:avg",
                "complaint_rate:avg",
                "answered_count:sum",
                "complaint_count:sum",
                "__count",
            ],
        )
        (
            nps,
            csat,
            satisfaction,
            conduct,
            nps_score,
            solved,
            reach,
            response,
            complaint,
            answered,
            complaints,
            count,
        ) = row
        self.assertEqual(count, 6)
        self.assertEqual(answered, 5)
        self.assertEqual(complaints, 1)
        self.assertAlmostEqual(nps, (2 - 1) / 5 * 100)  # 20
        self.assertAlmostEqual(csat, 3 / 5 * 100)  # 60 %
        self.assertAlmostEqual(satisfaction, 19 / 5)
        self.assertAlmostEqual(conduct, 21 / 5)
        self.assertAlmostEqual(nps_score, 39 / 5)
        self.assertAlmostEqual(solved, 4 / 5 * 100)
        self.assertAlmostEqual(reach, 2 / 4 * 100)  # 2 reached of 4 called
        self.assertAlmostEqual(response, 5 / 6 * 100, places=4)
        self.assertAlmostEqual(complaint, 1 / 6 * 100, places=4)

    def test_by_team_and_technician(self):
        callbacks = self._scenario()
        other = self._closed_ticket(
            team_id=self.team_other_point.id, technician_id=self.emp_technician2.id
        ).callback_ids
        self._answer(other, 1, False, 1, 0)
        self.env.flush_all()
        Report = self.env["aftersales.callback.report"]
        by_team = dict(
            Report._read_group(
                [("callback_id", "in", (callbacks | other).ids)],
                ["team_id"],
                ["nps:avg"],
            )
        )
        self.assertAlmostEqual(by_team[self.team_point], 20)
        self.assertAlmostEqual(by_team[self.team_other_point], -100)
        by_technician = dict(
            Report._read_group(
                [("callback_id", "in", (callbacks | other).ids)],
                ["technician_id"],
                ["csat:avg"],
            )
        )
        self.assertAlmostEqual(by_technician[self.emp_technician], 60)
        self.assertAlmostEqual(by_technician[self.emp_technician2], 0)

    def test_report_is_for_team_supervisors(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.env["aftersales.callback.report"].with_user(self.user_agent).search([])
