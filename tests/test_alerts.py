from .test_sla_common import SlaCase, at


class TestOneAlertPerPerson(SlaCase):
    def _alerts(self, ticket, user):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "aftersales.ticket"),
                ("res_id", "=", ticket.id),
                ("user_id", "=", user.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref("aftersales_service.mail_activity_type_sla").id,
                ),
            ]
        )

    def test_at_risk_failed_and_red_give_the_leader_one_alert(self):
        # The point's leader took the call: owner (at-risk warning), first
        # escalation level (team leader) and red-light manager at once.
        ticket = self._sla_ticket(
            at(0, 10), self.env(user=self.user_team), complexity="simple"
        )
        self.assertEqual(ticket.owner_id, self.user_team)
        self._run_cron(at(0, 14))
        self.assertEqual(ticket.sla_status, "at_risk")
        alert = self._alerts(ticket, self.user_team)
        self.assertEqual(len(alert), 1)
        self.assertTrue(alert.summary.startswith("At risk: Resolution due "))

        self._run_cron(at(0, 15))
        self.assertEqual(ticket.sla_status, "failed")
        self.assertEqual(ticket.traffic_light, "red")
        self.assertEqual(self._alerts(ticket, self.user_team), alert, "updated")
        self.assertEqual(alert.summary, "Red ticket: take it in hand")
        self.assertIn("Escalation to", str(alert.note))
        self.assertEqual(alert.date_deadline, at(0, 15).date())
        # the technician has their own single alert, the leader no other kind
        self.assertEqual(len(self._alerts(ticket, self.user_technician)), 1)
        self.assertEqual(
            len(ticket.activity_ids.filtered(lambda a: a.user_id == self.user_team)),
            1,
        )

    def test_alerts_in_one_batch_merge_per_person(self):
        ticket = self._create_ticket()
        other = self._create_ticket()
        today = at(0, 10).date()
        ticket._schedule_alerts(
            [
                (ticket, self.user_manager, "First", False, today),
                (ticket, self.user_manager, "Second", "<p>why</p>", today),
                (other, self.user_manager, "Other", False, today),
                (ticket, self.env["res.users"], "Nobody", False, today),
            ]
        )
        alert = self._alerts(ticket, self.user_manager)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.summary, "Second")
        self.assertEqual(len(self._alerts(other, self.user_manager)), 1)

    def test_escalation_note_uses_the_recipients_time_zone(self):
        self.user_team.tz = "Asia/Shanghai"
        ticket = self._sla_ticket(at(0, 10), complexity="simple")
        self._run_cron(at(0, 15))
        note = ticket.message_ids.filtered(lambda m: "Escalation to" in m.body)
        # The job writes one note per ticket: its escalation paragraph is
        # for the leader (the failure's is for the owner, in UTC).
        [escalation] = [
            part for part in note.body.split("<p>") if "Escalation to" in part
        ]
        # deadline Monday 15:00 UTC = 23:00 in Shanghai
        self.assertIn("23:00", escalation)
        self.assertIn("(Asia/Shanghai)", escalation)
        self.assertNotIn("UTC", escalation)
