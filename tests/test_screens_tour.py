from .common import AftersalesHttpCase


class TestOverviewTour(AftersalesHttpCase):
    def test_manager_follows_at_risk_from_the_overview(self):
        ticket = self._create_ticket(
            team_id=self.team_point.id, subject="Compressor trips"
        )
        self._create_ticket(team_id=self.team_point.id, subject="Remote lost")
        ticket.sla_ids.sudo().filtered(
            lambda line: line.target_type == "resolution"
        ).status = "at_risk"
        self.assertEqual(ticket.sla_status, "at_risk")
        self.start_tour("/odoo", "aftersales_overview_tour", login="as_manager")


class TestTechnicianPhoneTour(AftersalesHttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_technicians_day_on_the_phone(self):
        self.customer.write({"street": "88 Canal Street", "city": "Hangzhou"})
        ticket = self._create_ticket(
            symptom="Fridge leaks water\nunder the door",
            technician_id=self.emp_technician.id,
        )
        ticket.stage_id = self.stage_diagnosis
        # New is the first stage: the technician's first column must be
        # Diagnosis, where their work is
        root = self.env.ref("aftersales_service.menu_aftersales_root")
        self.start_tour(
            f"/odoo?menu_id={root.id}", "aftersales_technician_tour", login="as_tech"
        )
        self.assertTrue(
            ticket.sla_ids.filtered(
                lambda line: line.target_type == "response"
            ).reached_date
        )
