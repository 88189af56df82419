"""Demo story: three months of after-sales history, true to the install date.

The demo XML calls ``aftersales.demo._demo_build_history`` once, after the
customers, products and deliveries exist. Every record is made through the
models' own flows (ticket creation, stage changes, logged calls, parts
reservation and consumption, callback outcomes and survey answers, score
building); the builder only moves the clock back afterwards: received,
answered, visited, resolved and called-back times are set to their moment in
the story, relative to the day the demo is installed.
"""

import logging
import random
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from .aftersales_demo_field import FieldDemoMixin
from .aftersales_demo_story import (
    BACKGROUND_TEMPLATES,
    BATCH_TICKETS,
    CALLBACK_COMMENTS,
    EXCHANGE_SERIAL,
    GUARANTEE_STORY,
    HOUSEHOLDS,
    LOANER_SERIALS,
    PARTS_STOCK,
    STORY_TICKETS,
)

_logger = logging.getLogger(__name__)

XMLID = "aftersales_service.%s"


# A 1x1 PNG: the demo customer's signature on the portal.
DEMO_SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


class AftersalesDemo(models.AbstractModel):
    _name = "aftersales.demo"
    _description = "After-Sales Demo Story Builder"

    @api.model
    def _demo_archive_generic_products(self):
        """The generic demo catalogue (office furniture) is not sold by an
        appliance maker: archived, so the product lists show appliances and
        spare parts."""
        data = self.env["ir.model.data"].search(
            [("module", "in", ("product", "stock")), ("model", "=", "product.template")]
        )
        self.env["product.template"].browse(
            data.mapped("res_id")
        ).exists().action_archive()

    @api.model
    def _demo_setup_company(self):
        """The demo company keeps its books in yuan: the generic accounting
        demo entries of the main company (in dollars) are removed first, as
        Odoo refuses to change the currency of a company with entries."""
        company = self.env.ref("base.main_company")
        cny = self.env.ref("base.CNY")
        if company.currency_id == cny:
            return
        cny.active = True
        self.env["account.bank.statement.line"].search(
            [("company_id", "=", company.id)]
        ).unlink()
        moves = self.env["account.move"].search([("company_id", "=", company.id)])
        moves.filtered(lambda m: m.state == "posted").button_draft()
        moves.with_context(force_delete=True).unlink()
        company.currency_id = cny

    @api.model
    def _demo_build_history(self):
        # stored texts (incident names, notes) in English, whoever acts
        _DemoStory(self.with_context(lang="en_US").env).build()


class _DemoStory(FieldDemoMixin):
    """Plays the story; one instance per install."""

    def __init__(self, env):
        self.env = env
        self.rng = random.Random(2024)
        self.now = fields.Datetime.now().replace(second=0, microsecond=0)
        self.company = env.ref("base.main_company")
        self.calendar = self.company.resource_calendar_id
        self.tz = pytz.timezone(self.calendar.tz or "Asia/Shanghai")
        self.today = pytz.utc.localize(self.now).astimezone(self.tz).date()
        self.last_message = self._max_id("mail_message")
        self.tickets = {}
        self.line_index = 0

    # ------------------------------------------------------------------
    # Clock helpers
    # ------------------------------------------------------------------

    def ref(self, name):
        return self.env.ref(XMLID % name if "." not in name else name)

    def user(self, name):
        return self.ref(name)

    def _max_id(self, table):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT COALESCE(max(id), 0) FROM %s", SQL.identifier(table))
        )
        return self.env.cr.fetchone()[0]

    def local(self, days_ago, hhmm, working_day=True):
        """Naive UTC datetime of ``hhmm`` local time ``days_ago`` days ago
        (moved back to the Friday when it falls on a weekend)."""
        day = self.today - timedelta(days=days_ago)
        while working_day and day.weekday() >= 5:
            day -= timedelta(days=1)
        hours, minutes = (int(x) for x in hhmm.split(":"))
        aware = self.tz.localize(datetime.combine(day, time(hours, minutes)))
        return aware.astimezone(pytz.utc).replace(tzinfo=None)

    def plan(self, line, fraction):
        """The moment ``fraction`` of the line's target after its start, on
        the line's own clock (working hours or 24/7)."""
        hours = line.target_hours * fraction
        calendar = line.calendar_id
        if calendar:
            when = calendar.plan_hours(hours, line.start_date, compute_leaves=True)
            if when:
                return when.replace(second=0, microsecond=0)
        return (line.start_date + timedelta(hours=hours)).replace(
            second=0, microsecond=0
        )

    def stamp(self, when):
        """Date the messages written since the last stamp at ``when``."""
        last = self._max_id("mail_message")
        if last > self.last_message:
            self.env.cr.execute(
                "UPDATE mail_message SET date = %s WHERE id > %s AND id <= %s",
                [when, self.last_message, last],
            )
            self.env["mail.message"].invalidate_model(["date"])
        self.last_message = last

    # ------------------------------------------------------------------
    # Build
    # ------------------------------------------------------------------

    def build(self):
        self.stock_parts()
        self.sell_units()
        specs = [dict(spec, story=True) for spec in STORY_TICKETS]
        specs += self.background_specs()
        specs += self.batch_specs()
        specs += self.field_specs()
        for spec in specs:
            spec["received_at"] = self.received_at(spec)
        specs.sort(key=lambda s: s["received_at"] or self.now)
        for spec in specs:
            spec["ticket"] = self.play_ticket(spec)
        self.field_story(specs)
        self.after_story()

    # ------------------------------------------------------------------
    # Stock of spare parts in the service warehouses
    # ------------------------------------------------------------------

    def stock_parts(self):
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        quants = Quant
        for warehouse_xmlid, part_xmlid, qty in PARTS_STOCK:
            warehouse = self.ref(warehouse_xmlid)
            location = warehouse.aftersales_parts_location_id or warehouse.lot_stock_id
            quants |= Quant.create(
                {
                    "product_id": self.ref(part_xmlid).id,
                    "location_id": location.id,
                    "inventory_quantity": qty,
                }
            )
        first_move = self._max_id("stock_move")
        quants.action_apply_inventory()
        moves = self.env["stock.move"].search([("id", ">", first_move)])
        opening = self.local(100, "08:00")
        moves.write({"date": opening})
        moves.move_line_ids.write({"date": opening})

    def sell_units(self):
        """The appliances still in stock go to households, each through a
        sale order and its delivery (which registers the warranty), months
        before the story starts."""
        quants = self.env["stock.quant"].search(
            [
                ("location_id", "=", self.ref("stock.stock_location_stock").id),
                ("lot_id", "!=", False),
                ("quantity", ">", 0),
                ("product_id.default_code", "in", list(BACKGROUND_TEMPLATES)),
            ],
            order="id",
        )
        Partner = self.env["res.partner"]
        for quant, (name, city, state, months) in zip(quants, HOUSEHOLDS, strict=False):
            partner = Partner.create(
                {
                    "name": name,
                    "city": city,
                    "state_id": self.ref(f"base.state_cn_{state}").id,
                    "country_id": self.ref("base.cn").id,
                    "mobile": f"+86 139 {months:02d}18 {quant.id % 10000:04d}",
                    "tz": "Asia/Shanghai",
                }
            )
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create(
                            {"product_id": quant.product_id.id, "product_uom_qty": 1}
                        )
                    ],
                }
            )
            order.action_confirm()
            order.picking_ids.move_ids.write(
                {"lot_ids": [Command.set(quant.lot_id.ids)]}
            )
            order.picking_ids.with_context(
                skip_sms=True, skip_backorder=True
            ).button_validate()
            sold = self.local(30 * months, "11:00")
            delivered = sold + timedelta(days=2)
            order.write({"date_order": sold})
            order.picking_ids.write({"date_done": delivered})
            order.picking_ids.move_ids.write({"date": delivered})
            order.picking_ids.move_line_ids.write({"date": delivered})
            self.env["aftersales.warranty"].search(
                [("sale_order_id", "=", order.id)]
            ).write({"delivery_date": delivered.date()})
        self.stamp(self.local(100, "09:00"))

    # ------------------------------------------------------------------
    # Ticket specs
    # ------------------------------------------------------------------

    def delivered_units(self):
        """(customer, serial) of every unit delivered to a customer."""
        lines = self.env["stock.move.line"].search(
            [
                ("lot_id", "!=", False),
                ("state", "=", "done"),
                ("location_dest_id.usage", "=", "customer"),
                ("company_id", "=", self.company.id),
            ],
            order="id",
        )
        units = []
        for line in lines:
            partner = line.picking_id.partner_id
            contacts = partner.child_ids.filtered(lambda p: p.type == "contact")
            units.append((contacts[:1] or partner, line.lot_id))
        return units

    def background_specs(self):
        """The everyday volume of the last three months: closed tickets
        whose targets were met about nine times out of ten."""
        units = self.delivered_units()
        story_lots = {spec.get("lot_id") for spec in STORY_TICKETS}
        batch_lots = {lot for __, lot, *__ in BATCH_TICKETS}
        owners = ["user_agent", "user_agent", "user_agent2", "user_dispatcher"]
        channels = [
            "channel_phone",
            "channel_wechat",
            "channel_phone",
            "channel_portal",
        ]
        times = ["09:10", "10:35", "13:50", "15:20", "11:05"]
        specs = []
        day, index, cursor = 92, 0, 0
        last_seen = {}
        while day > 9:
            # a serial at most once a month, a story serial only long before
            # its story: no false repeat contacts
            for __ in range(len(units)):
                partner, lot = units[cursor % len(units)]
                cursor += 1
                key = self.xmlid_name(lot)
                if (
                    key not in batch_lots
                    and (key not in story_lots or day > 57)
                    and last_seen.get(key, 999) - day > 32
                ):
                    break
            else:
                day -= 1
                continue
            last_seen[key] = day
            templates = BACKGROUND_TEMPLATES[lot.product_id.default_code]
            template = templates[index % len(templates)]
            late = index % 9 == 4
            specs.append(
                {
                    "partner": partner,
                    "lot": lot,
                    "channel_id": channels[index % len(channels)],
                    "priority": "1" if index % 4 == 1 else "0",
                    "complexity": template.get("complexity", "general"),
                    "owner_id": owners[index % len(owners)],
                    "symptom": template["symptom"],
                    "frequency": template.get("frequency", "permanent"),
                    "resolution": template["resolution"],
                    "parts": template.get("parts", []),
                    "received": (day, times[index % len(times)]),
                    "stage_id": "stage_solved",
                    "response": 1.4 if index % 13 == 6 else 0.15 + 0.05 * (index % 5),
                    "arrival": 1.3 if late else 0.5,
                    "resolve": 1.35 if late else 0.55 + 0.05 * (index % 6),
                    "callback": self.background_callback(index),
                }
            )
            index += 1
            day -= 1 + index % 3
        return specs

    def batch_specs(self):
        """Drain-pump failures of one washer batch within a week: enough
        tickets on one product to open a batch-failure incident."""
        Partner = self.env["res.partner"]
        hangzhou = self.ref("base.state_cn_ZJ")
        specs = []
        for index, (name, lot, days, hhmm, stage) in enumerate(BATCH_TICKETS):
            partner = Partner.create(
                {
                    "name": name,
                    "city": "Hangzhou",
                    "state_id": hangzhou.id,
                    "country_id": self.ref("base.cn").id,
                    "mobile": f"+86 138 5712 {3100 + index * 7:04d}",
                    "lang": "zh_CN" if index % 2 else "en_US",
                    "tz": "Asia/Shanghai",
                }
            )
            closed = stage == "stage_solved"
            specs.append(
                {
                    "partner": partner,
                    "lot_id": lot,
                    "channel_id": "channel_wechat" if index % 2 else "channel_phone",
                    "fault_code_id": "fault_code_e21",
                    "priority": "0",
                    "owner_id": "user_agent",
                    "symptom": "洗衣机排水时显示E21，滚筒里有水排不出去。"
                    if index % 2
                    else "Washer stops with E21 during the drain; water stays in "
                    "the drum.",
                    "frequency": "permanent",
                    "environment": "Balcony",
                    "received": (days, hhmm),
                    "stage_id": stage,
                    "response": None if stage == "stage_new" else 0.2,
                    "arrival": 0.5 if closed or stage == "stage_in_repair" else None,
                    "resolve": 0.6,
                    "technician_id": None if stage == "stage_new" else "employee_tech3",
                    "appointment": (1, "10:00", 2)
                    if stage == "stage_scheduled"
                    else None,
                    "resolution": "<p>Drain pump seized (batch XQG100-F 2025-W14); "
                    "pump replaced under warranty.</p>"
                    if closed
                    else False,
                    "parts": [("part_drain_pump", 1, 1)] if closed else [],
                    "callback": {
                        "satisfaction": 4,
                        "solved": True,
                        "conduct": 5,
                        "nps": 9 - index % 3,
                        "comment": False,
                    },
                }
            )
        return specs

    def xmlid_name(self, record):
        return record.get_external_id().get(record.id, "").split(".")[-1]

    def background_callback(self, index):
        if index % 7 == 3:
            return "no_answer"
        nps = [10, 9, 9, 8, 10, 7, 9, 10][index % 8]
        return {
            "satisfaction": 5 if nps >= 9 else 4,
            "solved": True,
            "conduct": 5 if nps >= 9 else 4,
            "nps": nps,
            "comment": CALLBACK_COMMENTS[index % len(CALLBACK_COMMENTS)],
        }

    def received_at(self, spec):
        received = spec.get("received")
        if isinstance(received, tuple) and isinstance(received[0], int):
            # "this morning" before the day has begun: just now
            return min(self.local(*received), self.now - timedelta(minutes=25))
        return None  # relative to the target, known once the lines exist

    # ------------------------------------------------------------------
    # One ticket's life
    # ------------------------------------------------------------------

    def ticket_vals(self, spec):
        vals = {"company_id": self.company.id}
        for fname in ("channel_id", "technician_id", "product_id", "fault_code_id"):
            if spec.get(fname):
                vals[fname] = self.ref(spec[fname]).id
        partner = spec.get("partner") or self.ref(spec["partner_id"])
        lot = spec.get("lot") or (spec.get("lot_id") and self.ref(spec["lot_id"]))
        vals["partner_id"] = partner.id
        if lot:
            vals["lot_id"] = lot.id
            vals["product_id"] = lot.product_id.id
        for fname in ("priority", "complexity", "symptom", "frequency", "environment"):
            if spec.get(fname):
                vals[fname] = spec[fname]
        if spec.get("received_at"):
            vals["warranty_date"] = spec["received_at"].date()
        return vals

    def play_ticket(self, spec):
        owner = self.user(spec["owner_id"])
        first_incident = self._max_id("aftersales_incident")
        ticket = (
            self.env["aftersales.ticket"]
            .with_user(owner)
            .create(self.ticket_vals(spec))
            .sudo()
        )
        if spec.get("xmlid"):
            self.env["ir.model.data"]._update_xmlids(
                [{"xml_id": XMLID % spec["xmlid"], "record": ticket, "noupdate": True}]
            )
        lines = {line.target_type: line for line in ticket.sla_ids}
        received = spec["received_at"] or self.relative_received(spec, lines)
        self.backdate_received(ticket, received)
        self.backdate_incidents(first_incident, received)
        self.stamp(received)
        self.play_response(ticket, spec, lines, owner)
        self.play_visit(ticket, spec, lines)
        self.play_waiting(ticket, spec)
        self.field_visit_before_close(ticket, spec)
        self.play_close(ticket, spec, lines)
        self.field_visit_after_close(ticket, spec)
        return ticket

    def relative_received(self, spec, lines):
        """An open ticket placed so that its target stands where the story
        says now: ("age", target, share of the target elapsed)."""
        __, target, share = spec["received"]
        line = lines.get(target) or lines["resolution"]
        hours = -line.target_hours * share
        when = False
        if line.calendar_id:
            when = line.calendar_id.plan_hours(hours, self.now, compute_leaves=True)
        when = when or self.now + timedelta(hours=hours)
        return when.replace(second=0, microsecond=0)

    def backdate_received(self, ticket, received):
        """The ticket came in at ``received``: its clocks start there."""
        ticket.write({"received_date": received, "warranty_date": received.date()})
        sla_lines = ticket.sla_ids.sudo()
        sla_lines.write({"start_date": received})
        sla_lines._replan()
        self.env.cr.execute(
            "UPDATE aftersales_ticket SET create_date = %s WHERE id = %s",
            [received, ticket.id],
        )

    def backdate_incidents(self, first_incident, when):
        """An incident opened or raised by this ticket was raised when the
        ticket came in."""
        incidents = (
            self.env["aftersales.incident"]
            .sudo()
            .search(["|", ("id", ">", first_incident), ("raised_date", ">=", self.now)])
        )
        for incident in incidents.filtered("level_id"):
            level = incident.level_id
            incident.write(
                {
                    "raised_date": when,
                    "response_deadline": when + timedelta(hours=level.response_hours),
                    "recall_deadline": level.recall_hours
                    and when + timedelta(hours=level.recall_hours),
                }
            )
            incident.activity_ids.write(
                {"date_deadline": incident.response_deadline.date()}
            )
        incidents.filtered(lambda i: i.id > first_incident).flush_recordset()
        if incidents:
            self.env.cr.execute(
                "UPDATE aftersales_incident SET create_date = %s"
                " WHERE id = ANY(%s) AND id > %s",
                [when, incidents.ids, first_incident],
            )

    def play_response(self, ticket, spec, lines, owner):
        """First contact: the owner calls the customer back (a logged call
        meets the response target) at its moment in the story."""
        share = spec.get("response")
        line = lines.get("response")
        if share is None or not line:
            return
        when = self.plan(line, share)
        if "resolution" in lines and share <= 1:
            # an answer within the time left to resolve a simple fault
            when = min(when, self.plan(lines["resolution"], share * 0.5))
        when = min(when, self.now - timedelta(minutes=5))
        ticket._sla_reach_targets({"response"}, when)
        activity = ticket.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self.env._("First contact"),
            user_id=owner.id,
        )
        activity.with_user(owner).action_feedback(
            feedback=spec.get("response_note")
            or "Called the customer back: symptom confirmed, next steps agreed."
        )
        self.stamp(when)
        spec["answered_at"] = when

    def scheduler(self, ticket):
        """Who plans the visits of the ticket's team: its nearest leader."""
        return ticket._traffic_light_manager() or self.user("user_servicemanager")

    def play_visit(self, ticket, spec, lines):
        """Technician and appointment: a past visit (arrival reached), or an
        upcoming one (``appointment``: days ahead, local time, hours)."""
        technician = spec.get("technician_id") and self.ref(spec["technician_id"])
        if not technician and spec.get("arrival") is not None:
            technician = self.team_technician(ticket)
        if not technician:
            if spec.get("response") is not None and ticket.stage_id.sequence <= 1:
                ticket.write({"stage_id": self.ref("stage_diagnosis").id})
                self.stamp(spec["answered_at"])
            return
        after = spec.get("answered_at") or ticket.received_date
        planner = ticket.with_user(self.scheduler(ticket))
        stamp = min(after + timedelta(minutes=20), self.now - timedelta(minutes=2))
        planner.write(
            {"technician_id": technician.id, "stage_id": self.ref("stage_diagnosis").id}
        )
        self.stamp(stamp)
        share = spec.get("arrival")
        if share is None and self.ref(spec["stage_id"]).is_closed:
            share = 0.5  # a repaired unit was visited
        if share is not None:
            self.play_arrival(ticket, spec, lines, technician, planner, share)
        if spec.get("appointment"):
            self.play_appointment(ticket, spec, technician, planner, stamp)
        elif share is None:
            # parts asked for a visit still to plan
            self.play_parts(ticket, spec, technician, self.now + timedelta(days=2))

    def play_arrival(self, ticket, spec, lines, technician, planner, share):
        """A past visit: booked, parts brought, technician on site."""
        after = spec.get("answered_at") or ticket.received_date
        line = lines.get("arrival") or lines["resolution"]
        arrival = self.plan(line, share if "arrival" in lines else share * 0.6)
        if share <= 1:
            arrival = min(arrival, self.plan(lines["resolution"], 0.6))
        arrival = max(arrival, after + timedelta(minutes=45))
        arrival = min(arrival, self.now - timedelta(minutes=30))
        planner.write(
            {
                "appointment_start": arrival,
                "appointment_stop": arrival + timedelta(hours=2),
                "stage_id": self.ref("stage_scheduled").id,
            }
        )
        self.stamp(min(after + timedelta(minutes=30), arrival))
        if not spec.get("appointment"):
            spec["reservation"] = self.play_parts(ticket, spec, technician, arrival)
        ticket._sla_reach_targets({"arrival", "response"}, arrival)
        tech_ticket = ticket.with_user(technician.user_id)
        tech_ticket.action_sla_register_arrival()
        tech_ticket.write({"stage_id": self.ref("stage_in_repair").id})
        self.stamp(arrival)
        spec["arrived_at"] = arrival

    def play_appointment(self, ticket, spec, technician, planner, booked):
        """The next visit, booked for the coming days."""
        days, hhmm, hours = spec["appointment"]
        start = self.local(-days, hhmm, working_day=False)
        while start < self.now:  # "this afternoon" once it has passed
            start += timedelta(days=1)
        if spec.get("missed_visit"):
            self.play_missed_visit(ticket, spec, technician, planner, booked)
        planner.write(
            {
                "appointment_start": start,
                "appointment_stop": start + timedelta(hours=hours),
                "stage_id": self.ref("stage_scheduled").id,
            }
        )
        self.stamp(spec.get("arrived_at") or booked)
        if not spec.get("missed_visit"):
            self.play_parts(ticket, spec, technician, start)

    def play_missed_visit(self, ticket, spec, technician, planner, booked):
        """A visit nobody opened the door for: the parts reserved for it
        expire (the scheduled job releases them) and a new visit is booked."""
        missed = self.local(spec["missed_visit"] - 1, "10:00")
        planner.write(
            {
                "appointment_start": missed,
                "appointment_stop": missed + timedelta(hours=2),
                "stage_id": self.ref("stage_scheduled").id,
            }
        )
        self.stamp(booked)
        reservation = self.play_parts(
            ticket, dict(spec, parts_state="confirmed"), technician, missed
        )
        ticket.message_post(
            body=spec["missed_note"],
            subtype_xmlid="mail.mt_note",
            author_id=technician.user_id.partner_id.id,
        )
        self.stamp(missed + timedelta(minutes=20))
        reservation.sudo()._cron_release_expired()
        self.stamp(reservation.date_planned + timedelta(hours=72))

    def team_technician(self, ticket):
        team = ticket.team_id
        technicians = team.technician_ids or team.parent_id.technician_ids
        if not technicians:
            return self.env["hr.employee"]
        return technicians[ticket.id % len(technicians)]

    def play_parts(self, ticket, spec, technician, visit):
        parts = spec.get("parts")
        if not parts:
            return None
        state = spec.get("parts_state", "done")
        requester = technician.user_id
        reservation = (
            self.env["aftersales.part.reservation"]
            .with_user(requester)
            .create(
                {
                    "ticket_id": ticket.id,
                    "line_ids": [
                        Command.create(
                            {"product_id": self.ref(part).id, "product_qty": qty}
                        )
                        for part, qty, *__ in parts
                    ],
                    "note": spec.get("parts_note"),
                }
            )
        )
        reserved_at = min(visit - timedelta(hours=3), self.now - timedelta(minutes=40))
        reserved_at = max(reserved_at, ticket.received_date + timedelta(minutes=30))
        if state != "draft":
            reservation.action_confirm()
            reservation.sudo().write({"date_confirmed": reserved_at})
            self.backdate_moves(reservation, reserved_at)
        self.stamp(reserved_at)
        if state == "cancel":
            reservation.with_user(self.scheduler(ticket)).action_cancel()
            self.stamp(min(reserved_at + timedelta(hours=5), self.now))
        return reservation

    def backdate_moves(self, reservation, when):
        group = reservation.sudo().procurement_group_id
        moves = self.env["stock.move"].sudo().search([("group_id", "=", group.id)])
        moves.write({"date": when})
        moves.move_line_ids.write({"date": when})
        pickings = moves.picking_id
        done = pickings.filtered(lambda p: p.state in ("done", "cancel"))
        (pickings - done).write({"scheduled_date": when})
        done.write({"date_done": when})

    def consume(self, ticket, spec, when):
        """The technician records the parts used, as on the consume form."""
        reservation = spec.get("reservation")
        if not reservation or reservation.state != "confirmed":
            return
        wizard = (
            self.env["aftersales.part.consume.wizard"]
            .with_user(ticket.technician_id.user_id)
            .create({"reservation_id": reservation.id})
        )
        used = {part: rest[0] for part, __, *rest in spec["parts"] if rest}
        for line in wizard.line_ids:
            key = self.xmlid_name(line.reservation_line_id.product_id)
            if key in used:
                # what came with the technician at most
                line.qty_consumed = min(
                    used[key], line.reservation_line_id.qty_reserved
                )
        wizard.action_confirm()
        reservation.sudo().write({"date_consumed": when})
        self.backdate_moves(reservation, when)
        reservation.sudo().sale_order_id.write({"date_order": when})
        self.stamp(when)

    def play_waiting(self, ticket, spec):
        """Waiting on the customer or on parts since ``waiting_after``
        minutes after the first contact: the clocks pause from then."""
        if spec.get("stage_id") != "stage_waiting":
            return
        since = (spec.get("answered_at") or ticket.received_date) + timedelta(
            minutes=spec.get("waiting_after", 60)
        )
        since = min(since, self.now - timedelta(minutes=10))
        ticket.write({"stage_id": self.ref("stage_waiting").id})
        Line = self.env["aftersales.ticket.sla"]
        for line in ticket.sla_ids.sudo().filtered("pause_start"):
            # the status the clock had when it stopped
            status = Line._status_values(
                {
                    "deadline": line.deadline,
                    "at_risk_date": line.at_risk_date or line.deadline,
                    "escalation_level_id": False,
                },
                since,
                [],
            )["status"]
            line.write({"pause_start": since, "status": status, "next_check": False})
        self.stamp(since)

    def play_close(self, ticket, spec, lines):
        stage = self.ref(spec["stage_id"])
        if spec.get("resolution"):
            ticket.write({"resolution": spec["resolution"]})
        if not stage.is_closed:
            if stage != ticket.stage_id and stage != self.ref("stage_waiting"):
                ticket.write({"stage_id": stage.id})
                self.stamp(min(ticket.received_date + timedelta(hours=4), self.now))
            return
        line = lines.get("resolution")
        after = (
            spec.get("arrived_at") or spec.get("answered_at") or ticket.received_date
        )
        closed = self.plan(line, spec.get("resolve", 0.6)) if line else after
        closed = max(closed, after + timedelta(minutes=50))
        closed = min(closed, self.now - timedelta(hours=2))
        self.consume(ticket, spec, closed)
        if stage.outcome == "solved":
            ticket._sla_reach_targets({"response", "arrival", "resolution"}, closed)
        closer = ticket.technician_id.user_id or self.user(spec["owner_id"])
        ticket.with_user(closer).write({"stage_id": stage.id})
        ticket.write({"closed_date": closed})
        self.backdate_repair(ticket, closed)
        self.stamp(closed)
        for callback in ticket.callback_ids:
            callback.sudo().write(
                {
                    "closed_date": closed,
                    "due_date": callback.rule_id._plan_due(
                        callback._calendar(), closed
                    ),
                }
            )
        self.play_callback(ticket, spec)

    def backdate_repair(self, ticket, closed):
        """The repair's consequences on the warranty count from the day it
        was closed: parts' repair warranties and the days in repair."""
        components = (
            self.env["aftersales.warranty.component"]
            .sudo()
            .search([("ticket_id", "=", ticket.id), ("kind", "=", "repair")])
        )
        for component in components:
            length = component.end_date - component.start_date
            component.write(
                {"start_date": closed.date(), "end_date": closed.date() + length}
            )
        if ticket.warranty_extended_days:
            # extended again with the real closing day, from scratch
            warranty = ticket.warranty_id.sudo()
            warranty.repair_days -= ticket.warranty_extended_days
            ticket.warranty_extended_days = 0
            self.env["mail.message"].sudo().search(
                [
                    ("model", "=", "aftersales.warranty"),
                    ("res_id", "=", warranty.id),
                    ("id", ">", self.last_message),
                ]
            ).unlink()
            ticket._extend_warranty_by_repair_time()

    # ------------------------------------------------------------------
    # Callbacks
    # ------------------------------------------------------------------

    def play_callback(self, ticket, spec):
        answers = spec.get("callback")
        callback = ticket.callback_ids[:1]
        if not answers or not callback:
            return
        called = callback.due_date + timedelta(minutes=10 + 7 * (ticket.id % 6))
        if called > self.now - timedelta(minutes=30):
            return  # still to call
        agent = callback.user_id or self.user("user_agent")
        callback = callback.with_user(agent)
        first_attempt = self._max_id("aftersales_callback_attempt")
        if answers == "no_answer":
            callback._record_outcome("no_answer", note="No answer, voicemail.")
            self.backdate_attempts(first_attempt, called)
            callback.sudo().write(
                {
                    "due_date": callback.rule_id._next_call_time(
                        called, callback._calendar()
                    )
                }
            )
            self.stamp(called)
            return
        callback._record_outcome("reached")
        self.backdate_attempts(first_attempt, called)
        answer = callback._get_agent_answer().sudo()
        for question in answer.survey_id.question_ids:
            score = question.aftersales_score
            if score == "solved":
                choice = question.suggested_answer_ids.filtered(
                    lambda a: a.is_correct == answers["solved"]
                )[:1]
                answer._save_lines(question, choice.id)
            elif score == "comment" and answers.get("comment"):
                answer._save_lines(question, answers["comment"])
            elif score == "nps_score":
                answer._save_lines(question, answers["nps"])
            elif score in ("satisfaction", "conduct"):
                answer._save_lines(question, answers[score])
        answered = called + timedelta(minutes=6)
        answer._mark_done()
        callback.sudo().write({"answered_date": answered})
        answer.write({"start_datetime": called, "end_datetime": answered})
        self.stamp(answered)
        complaint = callback.sudo().complaint_ticket_id
        if complaint and complaint != ticket and spec.get("complaint"):
            self.play_complaint(complaint, spec["complaint"], answered)

    def backdate_attempts(self, first_attempt, when):
        attempts = (
            self.env["aftersales.callback.attempt"]
            .sudo()
            .search([("id", ">", first_attempt)])
        )
        attempts.write({"date": when})

    def play_complaint(self, complaint, story, opened):
        """The unhappy customer's complaint, opened by the callback, handled
        by the owner's manager and closed with the fault finding."""
        self.backdate_received(complaint, opened)
        complaint.write({"complaint_deadline": (opened + timedelta(days=1)).date()})
        complaint.activity_ids.write({"date_deadline": complaint.complaint_deadline})
        self.stamp(opened)
        lines = {line.target_type: line for line in complaint.sla_ids}
        spec = {
            "owner_id": "user_servicemanager",
            "stage_id": "stage_solved",
            "response": 0.4,
            "response_note": story["response_note"],
            "technician_id": "employee_tech5",
            "arrival": 0.8,
            "resolve": 0.5,
            "resolution": story["resolution"],
        }
        manager = complaint.owner_id
        self.play_response(complaint, spec, lines, manager)
        self.play_visit(complaint, spec, lines)
        complaint.with_user(manager).write(
            {
                "company_at_fault": story["at_fault"],
                "company_at_fault_note": story["fault_note"],
            }
        )
        self.play_close(complaint, spec, lines)
        for activity in complaint.activity_ids.filtered(lambda a: a.user_id == manager):
            activity.with_user(manager).action_feedback(feedback=story["fault_note"])
        self.stamp(complaint.closed_date)

    # ------------------------------------------------------------------
    # After the story
    # ------------------------------------------------------------------

    def play_guarantees(self):
        """The three guarantees carried out and loaners: a return refunded
        from its invoice, an exchange delivered with a new warranty, a loaner
        brought back late and another one overdue now."""
        agent = self.user("user_agent")
        manager = self.user("user_servicemanager")
        product = self.ref("product_split_ac")
        warehouse = self.ref("stock.warehouse0")
        warehouse._aftersales_loaner_setup()
        Lot = self.env["stock.lot"]
        Quant = self.env["stock.quant"]

        def new_lot(name, location):
            lot = Lot.create(
                {"name": name, "product_id": product.id, "company_id": self.company.id}
            )
            Quant._update_available_quantity(product, location, 1, lot_id=lot)
            return lot

        for name, city, state, serial, days, kind, symptom in GUARANTEE_STORY:
            lot = new_lot(serial, warehouse.lot_stock_id)
            partner = self.env["res.partner"].create(
                {
                    "name": name,
                    "city": city,
                    "state_id": self.ref(f"base.state_cn_{state}").id,
                    "country_id": self.ref("base.cn").id,
                    "tz": "Asia/Shanghai",
                }
            )
            order = self.env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": 1})
                    ],
                }
            )
            order.action_confirm()
            order.picking_ids.move_ids.write({"lot_ids": [Command.set(lot.ids)]})
            order.picking_ids.with_context(
                skip_sms=True, skip_backorder=True
            ).button_validate()
            delivered = self.local(days, "15:00", working_day=False)
            order.picking_ids.write({"date_done": delivered})
            self.env["aftersales.warranty"].search(
                [("lot_id", "=", lot.id), ("state", "=", "active")]
            ).write({"delivery_date": delivered.date()})
            order._create_invoices().action_post()
            ticket = (
                self.env["aftersales.ticket"]
                .with_user(agent)
                .create(
                    {
                        "partner_id": partner.id,
                        "lot_id": lot.id,
                        "symptom": symptom,
                        "channel_id": self.ref("channel_phone").id,
                        "performance_failure": True,
                    }
                )
            )
            if kind == "return":
                ticket._guarantee_carry_out("return")
            else:
                # the new unit waits in the stock of the warehouse serving
                # the customer
                spare = new_lot(
                    EXCHANGE_SERIAL, ticket._guarantee_warehouse().lot_stock_id
                )
                ticket._guarantee_carry_out("exchange", new_lot=spare)
                ticket.action_guarantee_deliver()
        self.stamp(self.now)

        # Loaners: one brought back four days late, one overdue now.
        loaners = [
            new_lot(name, warehouse.aftersales_loaner_location_id)
            for name in LOANER_SERIALS
        ]
        open_tickets = self.env["aftersales.ticket"].search(
            [
                ("is_closed", "=", False),
                ("lot_id", "!=", False),
                ("company_id", "=", self.company.id),
            ],
            order="id",
            limit=2,
        )
        Loan = self.env["aftersales.loan"].with_user(manager)
        for ticket, loaner, (lent_days, expected_days) in zip(
            open_tickets, loaners, [(12, 4), (6, 2)], strict=False
        ):
            loan = Loan.create(
                {
                    "ticket_id": ticket.id,
                    "product_id": product.id,
                    "lot_id": loaner.id,
                    "warehouse_id": warehouse.id,
                }
            )
            loan.action_lend()
            loan.sudo().write(
                {
                    "date_lent": self.local(lent_days, "10:00", working_day=False),
                    "expected_return_date": self.today - timedelta(days=expected_days),
                }
            )
            if lent_days == 12:
                loan.write({"return_condition": "good"})
                loan.action_take_back()
        self.env["aftersales.loan"].sudo()._cron_remind_overdue()
        self.stamp(self.now)

    def after_story(self):
        self.play_guarantees()
        # What the scheduled jobs would have done by now.
        self.env["aftersales.ticket.sla"].sudo()._cron_check_deadlines()
        self.env["aftersales.part.reservation"].sudo()._cron_release_expired()
        self.stamp(self.now)
        manager = self.user("user_servicemanager")
        Score = self.env["aftersales.performance.score"].with_user(manager)
        for months in (2, 1):
            start = (self.today - relativedelta(months=months)).replace(day=1)
            scores = Score._build_scores("month", start, company=self.company)
            scores.action_lock()
            # built and locked on the 2nd of the following month, 09:00
            locked = (
                self.tz.localize(
                    datetime.combine(start + relativedelta(months=1, days=1), time(9))
                )
                .astimezone(pytz.utc)
                .replace(tzinfo=None)
            )
            self.env.cr.execute(
                "UPDATE aftersales_performance_score"
                "   SET computed_date = %s, locked_date = %s WHERE id = ANY(%s)",
                [locked - timedelta(minutes=30), locked, scores.ids],
            )
        Score.invalidate_model(["computed_date", "locked_date"])
        self.env["aftersales.part.forecast"].with_user(
            self.user("user_stockmanager")
        ).action_refresh()
        self.charging_story()

    def charging_story(self):
        """The charged repairs' quotations get their labour and travel (the
        agent's Quote); the customer of the earliest solved one signed it on
        the portal, which confirmed it."""
        tickets = (
            self.env["aftersales.ticket"]
            .sudo()
            .search([("quotation_id", "!=", False)], order="received_date, id")
        )
        if not tickets:
            return
        tickets._build_quotations()
        solved = tickets.filtered(lambda t: t.outcome == "solved")[:1]
        order = solved.quotation_id
        if order and order.state in ("draft", "sent"):
            order.write(
                {
                    "signed_by": order.partner_id.name,
                    "signed_on": solved.closed_date or self.now,
                    "signature": DEMO_SIGNATURE,
                }
            )
            order.action_confirm()
            order.message_post(
                body=self.env._("Order signed by %(name)s", name=order.partner_id.name),
                author_id=order.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
