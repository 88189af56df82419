"""Demo story: the service partner in Xinjiang (demo/aftersales_partner_demo.xml).

Two repairs done by the partner's engineer, through the same flows as the
own teams (ticket from the phone, visit planned by the service manager and
confirmed to the customer, check-in, service report, signature, solved), then
dated back in the story like the rest of the history."""

import base64
from datetime import datetime, time, timedelta

import pytz

from odoo import api, models

from .aftersales_demo import _DemoStory

# The customer's signature: a one-pixel mark is enough for the demo.
SIGNATURE = base64.b64encode(
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)

# (customer, product, received days ago, symptom, work done, hours on site,
#  signed by)
PARTNER_REPAIRS = [
    (
        "partner_urumqi_ayigul",
        "product_split_ac",
        16,
        "Indoor unit drips water onto the sofa; cooling is weak.",
        "<p>Drain pipe blocked by dust and kinked behind the unit: cleared, "
        "re-routed with a steady fall; filters and evaporator cleaned. Cooling "
        "checked: 12 °C at the outlet.</p>",
        1.25,
        "Ayigul Mamat",
    ),
    (
        "partner_urumqi_clinic",
        "product_pharmacy_fridge",
        6,
        "Pharmacy fridge alarm: 9 °C inside since the night, vaccines moved to "
        "a cool box.",
        "<p>Door gasket torn at the hinge side, warm air getting in: gasket "
        "replaced, door hinge adjusted. Fridge back to 5 °C within 40 minutes; "
        "temperature log checked with the pharmacist.</p>",
        2.0,
        "Dr. Gulnar Ablikim",
    ),
]


class AftersalesDemo(models.AbstractModel):
    _inherit = "aftersales.demo"

    @api.model
    def _demo_build_partner_visits(self):
        story = _DemoStory(self.with_context(lang="en_US").env)
        for repair in PARTNER_REPAIRS:
            self._demo_partner_repair(story, *repair)
        story.stamp(story.now)

    @api.model
    def _demo_partner_repair(
        self, story, customer, product, days_ago, symptom, work, hours, signer
    ):
        env = story.env
        technician = story.ref("employee_partnertech")
        engineer = technician.user_id
        manager = story.user("user_servicemanager")
        received = story.local(days_ago, "09:20")
        ticket = (
            env["aftersales.ticket"]
            .with_user(story.user("user_agent"))
            .create(
                {
                    "company_id": story.company.id,
                    "partner_id": story.ref(customer).id,
                    "product_id": story.ref(product).id,
                    "channel_id": story.ref("channel_phone").id,
                    "symptom": symptom,
                }
            )
            .sudo()
        )
        story.backdate_received(ticket, received)
        story.stamp(received)
        # the next working day, 10:30 local time
        day = received.date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = story.tz.localize(datetime.combine(day, time(10, 30)))
        start = start.astimezone(pytz.utc).replace(tzinfo=None)
        ticket.with_user(manager).write({"technician_id": technician.id})
        visit = (
            env["aftersales.visit"]
            .with_user(manager)
            .create(
                {
                    "ticket_id": ticket.id,
                    "technician_id": technician.id,
                    "visit_type": "repair",
                    "planned_start": start,
                    "planned_stop": start + timedelta(hours=2),
                }
            )
        )
        visit.action_confirm()
        story.stamp(received + timedelta(minutes=35))
        arrival = start + timedelta(minutes=10)
        ticket._sla_reach_targets({"response", "arrival"}, arrival)
        on_site = visit.with_user(engineer)
        on_site.action_check_in()
        on_site.write({"work_done": work})
        on_site._sign(signer, SIGNATURE)
        signed = arrival + timedelta(hours=hours)
        env.flush_all()
        env.cr.execute(
            "UPDATE aftersales_visit SET create_date = %s, check_in_date = %s,"
            " check_out_date = %s, signed_on = %s, duration = %s WHERE id = %s",
            [
                received + timedelta(minutes=30),
                arrival,
                signed,
                signed,
                hours,
                visit.id,
            ],
        )
        visit.invalidate_recordset()
        story.stamp(signed)
        # the repair is done: the engineer solves the ticket
        ticket.write({"resolution": work})
        ticket._sla_reach_targets({"response", "arrival", "resolution"}, signed)
        ticket.with_user(engineer).write({"stage_id": story.ref("stage_solved").id})
        ticket.write({"closed_date": signed})
        story.backdate_repair(ticket, signed)
        story.stamp(signed + timedelta(minutes=5))
        for callback in ticket.callback_ids:
            callback.sudo().write(
                {
                    "closed_date": signed,
                    "due_date": callback.rule_id._plan_due(
                        callback._calendar(), signed
                    ),
                }
            )
