from odoo.tests import Form

from .common import AftersalesCase


class TestTicketScreens(AftersalesCase):
    def test_subject_defaults_to_the_symptoms_first_line(self):
        ticket = self._create_ticket(symptom="  Blows warm air\nsince Monday  ")
        self.assertEqual(ticket.subject, "Blows warm air")
        self.assertEqual(ticket.display_name, f"Blows warm air ({ticket.name})")
        given = self._create_ticket(subject="Noisy fan", symptom="Rattles at night")
        self.assertEqual(given.subject, "Noisy fan")
        given.symptom = "Rattles at night, louder now"
        self.assertEqual(given.subject, "Noisy fan", "a subject is never overwritten")
        long = self._create_ticket(symptom="word " * 40)
        self.assertLessEqual(len(long.subject), 80)

    def test_subject_in_the_form(self):
        form = Form(self.env["aftersales.ticket"].with_user(self.user_agent))
        form.partner_id = self.customer
        form.symptom = "Display flickers\nafter the update"
        self.assertEqual(form.subject, "Display flickers")
        form.subject = "Flickering display"
        ticket = form.save()
        self.assertEqual(ticket.subject, "Flickering display")

    def test_service_address_and_map_link(self):
        self.customer.write(
            {"street": "18 West Lake Road", "city": "Hangzhou", "zip": "310000"}
        )
        ticket = self._create_ticket()
        self.assertEqual(ticket.service_partner_id, self.customer)
        self.assertEqual(
            ticket.service_address,
            "18 West Lake Road, 310000 Hangzhou, Test Zhejiang, China",
        )
        self.assertEqual(
            ticket.service_map_url,
            "https://www.openstreetmap.org/search?query="
            "18+West+Lake+Road%2C+310000+Hangzhou%2C+Test+Zhejiang%2C+China",
        )
        # a company's delivery address is where its contacts' units are
        site = self.env["res.partner"].create(
            {
                "name": "Hotel site",
                "type": "delivery",
                "parent_id": self.customer_vip.id,
                "street": "1 Harbour Road",
                "city": "Ningbo",
            }
        )
        hotel = self._create_ticket(partner_id=self.customer_vip_contact.id)
        self.assertEqual(hotel.service_partner_id, site)
        self.assertEqual(hotel.service_address, "1 Harbour Road, Ningbo")
        # chosen by hand, kept
        hotel.service_partner_id = self.customer_vip
        self.assertEqual(hotel.service_partner_id, self.customer_vip)
        self.assertFalse(hotel.service_map_url, "no address, no map link")

    def test_company_service_notes_show_on_its_contacts_tickets(self):
        self.customer_vip.aftersales_note = "Service entrance at the back"
        ticket = self._create_ticket(partner_id=self.customer_vip_contact.id)
        self.assertEqual(
            ticket.partner_service_note, "Big Hotel Ltd: Service entrance at the back"
        )
        self.customer_vip_contact.aftersales_note = "Call before coming"
        ticket.invalidate_recordset(["partner_service_note"])
        self.assertEqual(
            ticket.partner_service_note,
            "Big Hotel Ltd: Service entrance at the back\nCall before coming",
        )
        own = self._create_ticket()
        self.assertEqual(own.partner_service_note, "Elderly at home, prefer mornings")

    def test_team_short_name_on_request(self):
        point = self.team_point
        self.assertEqual(
            point.display_name, "HQ Service Centre / East Region / Hangzhou Point"
        )
        self.assertEqual(
            point.with_context(hierarchical_naming=False).display_name,
            "Hangzhou Point",
        )

    def test_my_tickets_columns_hold_work(self):
        self._create_ticket(
            technician_id=self.emp_technician.id
        ).stage_id = self.stage_diagnosis
        Ticket = self.env["aftersales.ticket"].with_user(self.user_technician)
        domain = [("technician_user_id", "=", self.user_technician.id)]
        groups = Ticket.with_context(aftersales_stages_with_work=True).read_group(
            domain, ["stage_id"], ["stage_id"]
        )
        self.assertEqual([g["stage_id"][0] for g in groups], [self.stage_diagnosis.id])
        all_groups = Ticket.read_group(domain, ["stage_id"], ["stage_id"])
        self.assertGreater(len(all_groups), 1, "other screens show every stage")
