import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models, tools
from odoo.tools.misc import format_date

_logger = logging.getLogger(__name__)

# Planned visits start at this local hour of their due date and last this
# long; the dispatcher moves them when they plan the technician.
PLANNED_VISIT_HOUR = 9
PLANNED_VISIT_HOURS = 2


class AftersalesVisit(models.Model):
    """Visits planned ahead of time from a plan (periodic inspections of a
    warranty, later the visits of a maintenance contract): each carries the
    record and the due date it was planned for, unique together, so planning
    the same due date again creates nothing."""

    _inherit = "aftersales.visit"

    plan_res_model = fields.Char(
        string="Planned From (Model)", readonly=True, copy=False, index=True
    )
    plan_res_id = fields.Many2oneReference(
        string="Planned From",
        model_field="plan_res_model",
        readonly=True,
        copy=False,
    )
    plan_due_date = fields.Date(
        string="Due Date",
        readonly=True,
        copy=False,
        help="The date the plan (e.g. the warranty's periodic inspection) "
        "asks for this visit.",
    )
    plan_source_name = fields.Char(
        string="Plan", compute="_compute_plan_source_name", compute_sudo=True
    )

    def init(self):
        # One visit per plan and due date, whoever plans it, concurrently or
        # again after a crash (NULLs, i.e. unplanned visits, never collide).
        tools.create_unique_index(
            self.env.cr,
            "aftersales_visit_plan_due_uniq",
            self._table,
            ["plan_res_model", "plan_res_id", "plan_due_date"],
        )

    @api.depends("plan_res_model", "plan_res_id")
    def _compute_plan_source_name(self):
        """One read per source model for the whole set."""
        by_model = {}
        for visit in self:
            if visit.plan_res_model in self.env and visit.plan_res_id:
                by_model.setdefault(visit.plan_res_model, set()).add(visit.plan_res_id)
        names = {}
        for model, ids in by_model.items():
            for source in self.env[model].browse(ids).exists():
                names[model, source.id] = source.display_name
        for visit in self:
            visit.plan_source_name = names.get(
                (visit.plan_res_model, visit.plan_res_id), False
            )

    # ------------------------------------------------------------------
    # Planning from a plan
    # ------------------------------------------------------------------

    @api.model
    def _plan_periodic_visits(self, plans, channel, visit_type="inspection"):
        """Create the tickets and visits of ``plans`` that do not exist yet:
        one ticket (on ``channel``, a planned-work channel) and one visit of
        ``visit_type`` per plan and due date, each in ONE ``create()`` for
        the whole batch.

        ``plans``: list of dicts with
          - ``source``: the record the plan belongs to (a warranty, a
            maintenance contract), which with the due date is the visit's
            unique key;
          - ``partner``, ``lot``, ``product``: the customer and their unit;
          - ``due_dates``: the dates the plan asks for a visit;
          - ``ticket_vals`` / ``visit_vals`` (optional): extra values.

        Idempotent: the keys already planned are read in one query per
        source model and left out; the unique index refuses a concurrent
        duplicate. Returns the new visits."""
        Visit = self.sudo()
        todo = []
        by_model = {}
        for plan in plans:
            by_model.setdefault(plan["source"]._name, set()).add(plan["source"].id)
        done = set()
        if by_model:
            self.flush_model(["plan_res_model", "plan_res_id", "plan_due_date"])
        for model, ids in by_model.items():
            self.env.cr.execute(
                """
                SELECT plan_res_id, plan_due_date
                  FROM aftersales_visit
                 WHERE plan_res_model = %s AND plan_res_id = ANY(%s)
                """,
                [model, list(ids)],
            )
            done.update((model, res_id, due) for res_id, due in self.env.cr.fetchall())
        for plan in plans:
            source = plan["source"]
            for due in sorted(set(plan["due_dates"])):
                key = (source._name, source.id, due)
                if key not in done:
                    done.add(key)
                    todo.append((plan, due))
        if not todo:
            return Visit.browse()
        labels = {due: format_date(self.env, due) for __, due in todo}
        tickets = (
            self.env["aftersales.ticket"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(
                [
                    self._prepare_planned_ticket_vals(plan, due, labels[due], channel)
                    for plan, due in todo
                ]
            )
        )
        windows = self._planned_windows(tickets, [due for __, due in todo])
        return Visit.with_context(tracking_disable=True).create(
            [
                {
                    "ticket_id": ticket.id,
                    "visit_type": visit_type,
                    "planned_start": start,
                    "planned_stop": stop,
                    "plan_res_model": plan["source"]._name,
                    "plan_res_id": plan["source"].id,
                    "plan_due_date": due,
                    **plan.get("visit_vals", {}),
                }
                for (plan, due), ticket, (start, stop) in zip(
                    todo, tickets, windows, strict=True
                )
            ]
        )

    @api.model
    def _prepare_planned_ticket_vals(self, plan, due, date, channel):
        """The ticket of one planned visit: the customer's unit, on the
        planned-work channel, saying what is due (``date``: the due date as
        the reader writes it)."""
        source = plan["source"]
        product = plan["product"]
        lot = plan["lot"]
        return {
            "partner_id": plan["partner"].id,
            "product_id": product.id,
            "lot_id": lot.id,
            "company_id": plan.get("company", source.env.company).id,
            "channel_id": channel.id,
            "subject": self.env._(
                "Periodic inspection of %(lot)s due %(date)s",
                lot=lot.name or product.display_name,
                date=date,
            ),
            "symptom": self.env._(
                "Periodic inspection of %(product)s, serial number %(lot)s, due "
                "on %(date)s (%(plan)s).",
                product=product.display_name,
                lot=lot.name or "-",
                date=date,
                plan=source.display_name,
            ),
            **plan.get("ticket_vals", {}),
        }

    @api.model
    def _planned_windows(self, tickets, due_dates):
        """[(start, stop)] in UTC: the due date's morning in the time zone of
        the ticket's team calendar (else the company's)."""
        zones = {}
        windows = []
        for ticket, due in zip(tickets, due_dates, strict=True):
            key = (ticket.team_id.id, ticket.company_id.id)
            if key not in zones:
                calendar = ticket.team_id.resource_calendar_id or (
                    ticket.company_id.resource_calendar_id
                )
                zones[key] = pytz.timezone(calendar.tz or "UTC")
            local = zones[key].localize(datetime.combine(due, time(PLANNED_VISIT_HOUR)))
            start = local.astimezone(pytz.utc).replace(tzinfo=None)
            windows.append((start, start + timedelta(hours=PLANNED_VISIT_HOURS)))
        return windows
