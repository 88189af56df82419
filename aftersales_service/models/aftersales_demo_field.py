"""Field part of the demo story: the visits behind the tickets.

Played after the tickets (``_DemoStory.build``), before the scorecards are
built, through the visit's own records and flows, dated back like the rest of
the story:

- every ticket visited in the story gets its visit: done and signed for the
  solved ones (service report with the work done, measurements, photos before
  and after, the parts consumed and the customer's signature; the PDF is on
  the visit and the ticket), on site for the ones in repair;
- a no-show (nobody at home) before the visit booked again;
- a visit rescheduled with the reason the customer is told;
- the visits booked for the coming days, confirmed to the customers;
- tickets resolved on the phone or by remote support, a unit received at the
  counter and one expected by mail (carry-in);
- a round of periodic inspections planned from the warranties of the
  commercial units (every three months).
"""

import base64
import io
import math
from datetime import timedelta

from PIL import Image, ImageDraw

# Measurements on the service report, by product (internal reference):
# (name, expected, found, result)
FIELD_MEASUREMENTS = {
    "KFR-35GW": [
        ("Supply voltage", "198-242 V", "221 V", "pass"),
        ("Outlet air temperature (cooling)", "≤ 14 °C", "11.8 °C", "pass"),
        ("Suction pressure", "0.9-1.1 MPa", "1.0 MPa", "pass"),
    ],
    "KFR-72LW": [
        ("Supply voltage", "198-242 V", "219 V", "pass"),
        ("Outlet air temperature (cooling)", "≤ 14 °C", "12.4 °C", "pass"),
        ("Compressor current", "≤ 12 A", "9.6 A", "pass"),
    ],
    "XQG100-F": [
        ("Drain time (full drum)", "≤ 120 s", "74 s", "pass"),
        ("Spin speed", "1,400 rpm ± 5 %", "1,392 rpm", "pass"),
        ("Leakage current", "≤ 0.75 mA", "0.2 mA", "pass"),
    ],
    "KF70-200L": [
        ("Outlet water temperature", "55 °C ± 2", "54.5 °C", "pass"),
        ("High-pressure switch cut-out", "4.2 MPa", "4.2 MPa", "pass"),
    ],
    "YC-300": [
        ("Cabinet temperature after 2 h", "2-8 °C", "4.6 °C", "pass"),
        ("Door alarm delay", "≤ 60 s", "45 s", "pass"),
        ("Data logger sync", "online", "online", "pass"),
    ],
    "CW-30A": [
        ("Chilled water outlet", "7 °C ± 1", "7.3 °C", "pass"),
        ("Condensing pressure", "≤ 1.9 MPa", "1.72 MPa", "pass"),
        ("Compressor insulation", "≥ 2 MΩ", "50 MΩ", "pass"),
    ],
}

# Solved without anyone travelling: played with the story's tickets; the
# resolution mode and the remote session are recorded before the closing.
FIELD_REMOTE_SPECS = [
    {
        "partner_id": "partner_chen_hui",
        "product_id": "product_washer",
        "channel_id": "channel_phone",
        "priority": "0",
        "stage_id": "stage_solved",
        "symptom": "Washer will not start; the display shows a key symbol.",
        "frequency": "permanent",
        "owner_id": "user_agent",
        "resolution": "<p>Solved on the phone: the child lock was on; held the "
        "lock key for 3 seconds with the customer, the program starts.</p>",
        "received": (47, "10:20"),
        "response": 0.05,
        "resolve": 0.05,
        "field_mode": ("phone", False, 0.0),
        "callback": {
            "satisfaction": 5,
            "solved": True,
            "conduct": 5,
            "nps": 9,
            "comment": "Solved in five minutes, no need to wait at home.",
        },
    },
    {
        "partner_id": "partner_zhang_min",
        "product_id": "product_split_ac",
        "channel_id": "channel_wechat",
        "priority": "0",
        "stage_id": "stage_solved",
        "symptom": "Air conditioner switches itself off every night around 2 a.m.",
        "frequency": "frequent",
        "owner_id": "user_agent",
        "resolution": "<p>Solved by remote support: the app's sleep timer was "
        "set to 4 hours; timer cleared with the customer over a video call.</p>",
        "received": (61, "21:05"),
        "response": 0.2,
        "resolve": 0.15,
        "field_mode": (
            "remote",
            "Video call: app schedule and sleep timer checked, timer cleared; unit "
            "ran through the night afterwards (customer confirmed next morning).",
            0.5,
        ),
        "callback": {
            "satisfaction": 4,
            "solved": True,
            "conduct": 5,
            "nps": 8,
        },
    },
    {
        "partner_id": "partner_yang_fan",
        "product_id": "product_heat_pump",
        "channel_id": "channel_phone",
        "priority": "0",
        "stage_id": "stage_solved",
        "symptom": "Water only lukewarm since the power cut.",
        "frequency": "permanent",
        "owner_id": "user_agent2",
        "resolution": "<p>Solved by remote support: the controller had fallen "
        "back to eco mode at 45 °C after the power cut; setpoint restored to "
        "55 °C remotely.</p>",
        "received": (73, "08:40"),
        "response": 0.1,
        "resolve": 0.1,
        "field_mode": (
            "remote",
            "Remote session on the controller: eco mode switched off, setpoint "
            "55 °C, anti-legionella cycle re-enabled.",
            0.4,
        ),
        "callback": {
            "satisfaction": 5,
            "solved": True,
            "conduct": 4,
            "nps": 10,
        },
    },
]

# Story tickets solved remotely: (mode, session notes, hours) by ticket
FIELD_REMOTE_STORY = {
    "ticket_23": (
        "remote",
        "Video call: drain pump filter opened with the customer, a coin removed; "
        "drain and spin test run together.",
        0.3,
    ),
}

# The no-show and the visit rescheduled with a reason
FIELD_NO_SHOW = (
    "ticket_22",
    "Nobody at home at the booked time; two calls unanswered. Left a card.",
)
FIELD_RESCHEDULED = (
    "ticket_04",
    "The customer is travelling until next week and asked for a later day.",
)
# Carry-in: (ticket, by mail, condition at receipt)
FIELD_CARRY_IN = [
    (
        "ticket_09",
        False,
        "Handed over at the Shanghai service point; small dent on the lid, "
        "no accessories.",
    ),
    ("ticket_03", True, False),
]
# The commercial units inspected every three months during their warranty,
# planned a quarter ahead
FIELD_INSPECTED_PRODUCTS = ("YC-300", "CW-30A")


def _png(draw_function, size=(480, 320), background=(255, 255, 255)):
    image = Image.new("RGB", size, background)
    draw_function(ImageDraw.Draw(image), size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue())


def _signature_png(seed):
    def draw(canvas, size):
        width, height = size
        points = [
            (
                20 + x * (width - 40) / 60,
                height / 2
                + math.sin(x / (3 + seed % 3)) * height / 4
                + math.cos(x / 2.0 + seed) * 10,
            )
            for x in range(61)
        ]
        canvas.line(points, fill=(20, 40, 120), width=4)

    return _png(draw, size=(400, 140))


def _photo_png(tag, index):
    colors = {"before": (150, 140, 130), "after": (120, 170, 140)}

    def draw(canvas, size):
        width, height = size
        canvas.rectangle(
            [60, 40, width - 60, height - 40], outline=(40, 40, 40), width=6
        )
        for row in range(4):
            y = 80 + row * 45
            canvas.line([(90, y), (width - 90, y)], fill=(60, 60, 60), width=3)
        if tag == "before":
            canvas.ellipse(
                [width / 2 - 40 + index * 7, 120, width / 2 + 40 + index * 7, 200],
                outline=(190, 40, 30),
                width=6,
            )
        else:
            canvas.line(
                [(width / 2 - 40, 170), (width / 2 - 10, 200), (width / 2 + 50, 120)],
                fill=(20, 120, 40),
                width=8,
            )

    return _png(draw, background=colors[tag])


class FieldDemoMixin:
    """The field part of ``_DemoStory``; see the module's docstring."""

    def field_story(self, specs):
        """After every ticket was played (their visits made with them, see
        ``field_visit_before_close``)."""
        played = [spec for spec in specs if spec.get("ticket")]
        self.field_no_show()
        self.field_upcoming_visits(played)
        self.field_rescheduled()
        self.field_carry_in()
        self.field_inspection_round()
        self.stamp(self.now)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def field_visit_vals(self, ticket, technician, start, stop, **extra):
        """A visit's values; the window confirmed outside working hours only
        when it is (an evening appointment the customer asked for)."""
        Visit = self.env["aftersales.visit"]
        status, __ = Visit._dispatch_availability([(0, technician, start, stop)])[0]
        vals = {
            "ticket_id": ticket.id,
            "technician_id": technician.id,
            "planned_start": start,
            "planned_stop": stop,
            "visit_type": "repair",
            "outside_hours_confirmed": status != "ok",
        }
        vals.update(extra)
        return vals

    def field_create_visit(self, ticket, technician, start, stop, **extra):
        """Planned by the ticket's team leader, as a dispatcher would, in a
        window the technician has free (shortened, else moved after the
        visits already there)."""
        busy = (
            self.env["aftersales.visit"]
            .sudo()
            .search(
                [
                    ("technician_id", "=", technician.id),
                    ("state", "in", ("planned", "confirmed", "on_the_way", "on_site")),
                    ("planned_start", "<", stop),
                    ("planned_stop", ">", start),
                ]
            )
        )
        if busy:
            first = min(busy.mapped("planned_start"))
            if first - start >= timedelta(minutes=45):
                stop = first
            else:
                length = stop - start
                start = max(busy.mapped("planned_stop"))
                stop = start + length
        planner = self.scheduler(ticket)
        vals = self.field_visit_vals(ticket, technician, start, stop, **extra)
        visit = self.env["aftersales.visit"].with_user(planner).sudo().create(vals)
        visit.message_subscribe(partner_ids=planner.partner_id.ids)
        return visit

    # ------------------------------------------------------------------
    # How the tickets were resolved
    # ------------------------------------------------------------------

    def field_specs(self):
        """The field story's own tickets, played with the others."""
        return [dict(spec) for spec in FIELD_REMOTE_SPECS]

    def field_resolution_mode(self, ticket, spec):
        """How the ticket is resolved, recorded by its owner (remote support
        with the session notes) or with the visit (on site)."""
        mode = spec.get("field_mode") or FIELD_REMOTE_STORY.get(spec.get("xmlid"))
        if mode:
            name, notes, hours = mode
            vals = {"resolution_mode": name}
            if notes:
                vals.update(remote_session_notes=notes, remote_session_duration=hours)
            ticket.with_user(self.user(spec["owner_id"])).write(vals)
        elif spec.get("arrived_at") or spec.get("appointment"):
            ticket.write({"resolution_mode": "onsite"})
        else:
            return
        self.stamp(spec.get("answered_at") or ticket.received_date)

    # ------------------------------------------------------------------
    # Visits made: done and signed, or on site now
    # ------------------------------------------------------------------

    def field_visit_before_close(self, ticket, spec):
        """Called while a ticket is played, after the technician's arrival and
        before the closing (no visit is planned on a closed ticket): the
        visit is planned, confirmed and checked in. Every third repair that
        took more than a day needed a second visit: the first one diagnosed
        it, the second one (checked in before the closing) repaired it."""
        self.field_resolution_mode(ticket, spec)
        arrival = spec.get("arrived_at")
        technician = ticket.technician_id
        if not arrival or not technician:
            return
        self.field_visit_index = getattr(self, "field_visit_index", 0) + 1
        index = self.field_visit_index
        start = (arrival - timedelta(minutes=30 + arrival.minute % 30)).replace(
            second=0
        )
        visit = self.field_create_visit(
            ticket,
            technician,
            start,
            start + timedelta(hours=2),
            visit_type="installation" if ticket.is_planned_work else "repair",
        )
        booked = max(ticket.received_date, arrival - timedelta(hours=20))
        self.stamp(min(booked + timedelta(minutes=30), arrival))
        visit.write({"state": "confirmed"})
        visit.write({"state": "on_site", "check_in_date": arrival})
        self.stamp(arrival)
        spec["field_visits"] = [visit]
        stage = self.ref(spec["stage_id"])
        until = self.field_expected_close(ticket, spec)
        if (
            stage.outcome == "solved"
            and until - arrival >= timedelta(hours=20)
            and index % 3 == 0
        ):
            back = until - timedelta(hours=1, minutes=30)
            revisit = self.field_create_visit(
                ticket,
                technician,
                back - timedelta(minutes=15),
                back + timedelta(hours=1, minutes=45),
            )
            revisit.write({"state": "confirmed"})
            self.stamp(arrival + timedelta(hours=2))
            revisit.write({"state": "on_site", "check_in_date": back})
            spec["field_visits"].append(revisit)
        spec["field_index"] = index

    def field_expected_close(self, ticket, spec):
        """When ``play_close`` will close the ticket (the same reckoning)."""
        lines = {line.target_type: line for line in ticket.sla_ids}
        line = lines.get("resolution")
        after = spec["arrived_at"]
        closed = self.plan(line, spec.get("resolve", 0.6)) if line else after
        closed = max(closed, after + timedelta(minutes=50))
        return min(closed, self.now - timedelta(hours=2))

    def field_visit_after_close(self, ticket, spec):
        """After the ticket's closing (or now, when it stays open): each visit
        is signed when its work was done, or the technician is still on
        site."""
        visits = spec.get("field_visits")
        if not visits:
            return
        index = spec["field_index"]
        first = visits[0]
        arrival = first.check_in_date
        if not ticket.is_closed and not spec.get("appointment"):
            self.field_report(first, ticket, index, done=False)
            return
        until = ticket.closed_date if ticket.is_closed else self.now
        until -= timedelta(minutes=10)
        solved = ticket.outcome == "solved"
        end = min(arrival + timedelta(minutes=75 + 15 * (index % 4)), until)
        end = max(end, arrival + timedelta(minutes=20))
        if len(visits) > 1:
            end = min(end, visits[1].check_in_date - timedelta(hours=1))
        done = solved and len(visits) == 1
        self.field_report(first, ticket, index, done=done)
        self.field_sign(first, ticket, index, end, parts=done)
        if len(visits) > 1:
            self.field_report(visits[1], ticket, index + 1, done=True)
            self.field_sign(visits[1], ticket, index + 1, until, parts=True)

    def field_sign(self, visit, ticket, index, end, parts):
        """The customer signs on the technician's screen; the PDF goes to the
        visit, the ticket and the customer."""
        if parts:
            lines = (
                self.env["aftersales.part.reservation.line"]
                .sudo()
                .search([("ticket_id", "=", ticket.id), ("state", "=", "done")])
            )
            lines.write({"visit_id": visit.id})
        visit.write(
            {
                "check_out_date": end,
                "customer_comment": (
                    "Explained clearly what was wrong, clean work."
                    if index % 3
                    else False
                ),
                "signature": _signature_png(index),
                "signed_by": ticket.partner_id.name,
                "signed_on": end,
                "state": "done",
            }
        )
        visit._report_on_signature(visit.technician_id.user_id.partner_id)
        self.stamp(end)

    def field_report(self, visit, ticket, index, done):
        """What the technician writes on site: work done, fault, measurements,
        photos before (and after, once repaired)."""
        product = ticket.product_id
        visit.write(
            {
                "work_done": (ticket.resolution if done else False)
                or "<p>Checked the unit with the customer and found the fault; "
                "parts needed for the repair, next visit booked.</p>",
                "fault_code_id": ticket.fault_code_id.id,
                "test_results": "Test run of 30 minutes after the repair: normal "
                "operation, no error code."
                if done
                else False,
            }
        )
        measurements = FIELD_MEASUREMENTS.get(product.default_code, [])
        if done and measurements:
            self.env["aftersales.visit.measurement"].sudo().create(
                [
                    {
                        "visit_id": visit.id,
                        "sequence": position,
                        "name": name,
                        "expected": expected,
                        "value": value,
                        "result": result,
                    }
                    for position, (name, expected, value, result) in enumerate(
                        measurements
                    )
                ]
            )
        photos = [("before", "As found on arrival")]
        if done:
            photos.append(("after", "After the repair"))
        self.env["aftersales.visit.photo"].sudo().create(
            [
                {
                    "visit_id": visit.id,
                    "tag": tag,
                    "name": caption,
                    "image_1920": _photo_png(tag, index),
                }
                for tag, caption in photos
            ]
        )

    # ------------------------------------------------------------------
    # A no-show and a rescheduled visit
    # ------------------------------------------------------------------

    def field_no_show(self):
        """The visit nobody opened the door for (its parts were released)."""
        xmlid, reason = FIELD_NO_SHOW
        ticket = self.ref(xmlid).sudo()
        technician = ticket.technician_id
        missed = self.local(5 - 1, "10:00")
        visit = self.field_create_visit(
            ticket, technician, missed, missed + timedelta(hours=2)
        )
        visit.with_user(self.scheduler(ticket)).action_confirm()
        self.stamp(missed - timedelta(days=1))
        visit.with_user(technician.user_id).action_no_show(reason)
        self.stamp(missed + timedelta(minutes=20))

    def field_rescheduled(self):
        """Confirmed for an earlier day, moved at the customer's request: the
        customer receives the new window and the reason."""
        xmlid, reason = FIELD_RESCHEDULED
        ticket = self.ref(xmlid).sudo()
        visit = ticket.visit_ids.filtered(lambda v: v.state == "confirmed")[:1]
        if not visit or not ticket.appointment_start:
            return
        start, stop = ticket.appointment_start, ticket.appointment_stop
        for __ in range(7):  # the new window in the technician's working days
            status, __leave = visit._dispatch_availability(
                [(0, visit.technician_id, start, stop)]
            )[0]
            if status == "ok":
                break
            start, stop = start + timedelta(days=1), stop + timedelta(days=1)
        visit.with_user(self.scheduler(ticket))._reschedule(start, stop, reason)

    # ------------------------------------------------------------------
    # The coming days
    # ------------------------------------------------------------------

    def field_upcoming_visits(self, played):
        """The appointments booked in the story become visits, confirmed to
        the customers (those of the next three days) or still to confirm."""
        for spec in played:
            ticket = spec["ticket"]
            if not spec.get("appointment") or ticket.is_closed:
                continue
            start, stop = ticket.appointment_start, ticket.appointment_stop
            if not start or start < self.now or not ticket.technician_id:
                continue
            rescheduled = spec.get("xmlid") == FIELD_RESCHEDULED[0]
            if rescheduled:
                # first booked three days earlier (moved, see field_rescheduled)
                start -= timedelta(days=3)
                stop -= timedelta(days=3)
            visit = self.field_create_visit(ticket, ticket.technician_id, start, stop)
            if rescheduled or start < self.now + timedelta(days=3):
                visit.with_user(self.scheduler(ticket)).action_confirm()
            self.stamp(spec.get("answered_at") or ticket.received_date)

    # ------------------------------------------------------------------
    # Carry-in and inspections
    # ------------------------------------------------------------------

    def field_carry_in(self):
        for xmlid, by_mail, condition in FIELD_CARRY_IN:
            ticket = self.ref(xmlid)
            owner = ticket.owner_id or self.user("user_agent")
            ticket.with_user(owner)._carry_in_receive(
                ticket.lot_id, condition=condition, by_mail=by_mail
            )
            self.stamp(self.now - timedelta(hours=2))

    def field_inspection_round(self):
        """A term for the commercial units asks for an inspection every three
        months, planned a quarter ahead: the scheduled job's planning runs."""
        Warranty = self.env["aftersales.warranty"].sudo()
        warranties = Warranty.search(
            [
                ("product_id.default_code", "in", FIELD_INSPECTED_PRODUCTS),
                ("company_id", "=", self.company.id),
            ]
        )
        if not warranties:
            return
        term = warranties[0].term_id.copy(
            {
                "name": "Commercial refrigeration and chillers (inspected quarterly)",
                "inspection_interval": 3,
                "inspection_lead_days": 92,
            }
        )
        warranties.write({"term_id": term.id})
        due = Warranty._inspections_due(self.today)
        dates = {}
        for warranty_id, date in due:
            dates.setdefault(warranty_id, []).append(date)
        if dates:
            self.env["aftersales.visit"].sudo()._plan_periodic_visits(
                Warranty.browse(list(dates))._inspection_plans(dates),
                self.ref("aftersales_service.channel_inspection"),
            )
        self.stamp(self.now - timedelta(hours=1))
