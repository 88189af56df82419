import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models

from .aftersales_sla_policy import TARGET_TYPES

_logger = logging.getLogger(__name__)

SLA_STATUSES = [
    ("on_time", "On Time"),
    ("at_risk", "At Risk"),
    ("failed", "Failed"),
    ("late", "Met Late"),
    ("met", "Met"),
    ("cancelled", "Cancelled"),
]

# Worst first: the ticket shows the worst status of its lines.
STATUS_SEVERITY = {
    "failed": 5,
    "late": 4,
    "at_risk": 3,
    "on_time": 2,
    "met": 1,
    "cancelled": 0,
}


class AftersalesTicketSla(models.Model):
    """One service-level target of one ticket.

    The line is the single source of truth for the target: its deadline on
    working time, when it was reached, the time paused, its status and the
    next time the scheduled job must look at it (``next_check``, indexed):
    the job never scans open tickets, only lines whose check time has come.
    """

    _name = "aftersales.ticket.sla"
    _description = "After-Sales Ticket Service Level"
    _order = "ticket_id, deadline, id"
    _check_company_auto = True

    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        related="ticket_id.company_id", store=True, index=True, precompute=True
    )
    policy_id = fields.Many2one(
        "aftersales.sla.policy",
        index=True,
        ondelete="set null",
    )
    target_type = fields.Selection(TARGET_TYPES, string="Target", required=True)
    target_hours = fields.Float(string="Target (hh:mm)", required=True)
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="Empty: the target runs in calendar hours (24/7).",
    )
    warning_share = fields.Float(string="At Risk From (%)", default=75.0)

    # Clock
    # indexed for the Service Levels report, filtered on a period of it
    start_date = fields.Datetime(string="Started", required=True, index=True)
    deadline = fields.Datetime(index=True)
    at_risk_date = fields.Datetime(string="At Risk From")
    reached_date = fields.Datetime(string="Reached")
    paused_hours = fields.Float(
        string="Paused (hh:mm)",
        help="Time spent in stages that pause the clock, added to the deadline.",
    )
    pause_start = fields.Datetime(string="Paused Since")
    elapsed_hours = fields.Float(
        string="Took (hh:mm)",
        help="Time from the start to reaching the target, pauses excluded, in "
        "the target's hours (working or calendar).",
    )
    status = fields.Selection(SLA_STATUSES, required=True, default="on_time")
    next_check = fields.Datetime(
        index=True,
        copy=False,
        help="When the scheduled job must look at this line next; empty when "
        "nothing can change without an event.",
    )
    remaining_hours = fields.Float(
        string="Remaining (hh:mm)", compute="_compute_remaining_hours"
    )

    # Warning and escalation
    warned = fields.Boolean(string="At-Risk Warning Sent", copy=False)
    escalation_level_id = fields.Many2one(
        "aftersales.escalation.level",
        string="Escalated To",
        ondelete="set null",
        copy=False,
    )
    escalation_date = fields.Datetime(string="Escalated On", copy=False)

    _sql_constraints = [
        (
            "ticket_target_uniq",
            "unique(ticket_id, target_type)",
            "A ticket has one line per service-level target.",
        ),
        (
            "target_hours_positive",
            "CHECK(target_hours > 0)",
            "A service-level target must be more than 0 hours.",
        ),
    ]

    def _compute_remaining_hours(self):
        now = fields.Datetime.now()
        for line in self:
            if line.reached_date or not line.deadline:
                line.remaining_hours = 0.0
            else:
                end = line.pause_start or now
                line.remaining_hours = (line.deadline - end).total_seconds() / 3600

    # ------------------------------------------------------------------
    # Planning on working time
    # ------------------------------------------------------------------

    @api.model
    def _plan_batch(self, requests):
        """Plan each distinct (calendar, start, hours) once, on the work
        intervals of each calendar read once for the whole batch (from the
        earliest start on), not once per start.

        ``requests``: iterable of (calendar, start, hours); returns
        {(calendar_id, start, hours): datetime}, the dates that
        ``calendar.plan_hours(hours, start, compute_leaves=True)`` gives. A
        calendar without working time falls back to calendar hours rather
        than leaving no deadline.
        """
        requests = list(requests)
        timelines = self._timelines(
            (calendar, start) for calendar, start, __ in requests
        )
        result = {}
        for calendar, start, hours in requests:
            key = self._plan_key((calendar, start, hours))
            if key in result:
                continue
            deadline = False
            if calendar:
                deadline = timelines[calendar.id].plan_hours(hours, start)
            result[key] = deadline or start + timedelta(hours=hours)
        return result

    @api.model
    def _timelines(self, starts):
        """{calendar id: WorkTimeline} from the earliest start of each
        calendar in ``starts`` ((calendar, start) pairs)."""
        earliest = {}
        calendars = {}
        for calendar, start in starts:
            if not calendar:
                continue
            calendars[calendar.id] = calendar
            if calendar.id not in earliest or start < earliest[calendar.id]:
                earliest[calendar.id] = start
        return {
            calendar_id: calendars[calendar_id]._aftersales_timeline(start)
            for calendar_id, start in earliest.items()
        }

    @api.model
    def _plan_key(self, request):
        calendar, start, hours = request
        return (calendar.id, start, hours)

    @api.model
    def _hours_between_batch(self, requests):
        """{(calendar id, start, stop): working hours between} for the
        (calendar, start, stop) ``requests``, each calendar read once;
        calendar hours without a calendar."""
        requests = list(requests)
        timelines = self._timelines(
            (calendar, start) for calendar, start, stop in requests if stop > start
        )
        result = {}
        for calendar, start, stop in requests:
            key = (calendar.id, start, stop)
            if key in result:
                continue
            if stop <= start:
                result[key] = 0.0
            elif calendar:
                result[key] = timelines[calendar.id].hours_between(start, stop)
            else:
                result[key] = (stop - start).total_seconds() / 3600
        return result

    @api.model
    def _planned_dates(self, calendar, start, target_hours, paused_hours, share):
        """(at risk from, deadline) requests for one target."""
        return [
            (calendar, start, target_hours * share / 100.0 + paused_hours),
            (calendar, start, target_hours + paused_hours),
        ]

    def _replan(self):
        """Recompute deadlines of the open lines, batch-wise."""
        lines = self.filtered(
            lambda line: not line.reached_date and line.status != "cancelled"
        )
        requests = []
        for line in lines:
            requests += self._planned_dates(
                line.calendar_id,
                line.start_date,
                line.target_hours,
                line.paused_hours,
                line.warning_share,
            )
        planned = self._plan_batch(requests)
        dates = defaultdict(list)
        for line in lines:
            at_risk_req, deadline_req = self._planned_dates(
                line.calendar_id,
                line.start_date,
                line.target_hours,
                line.paused_hours,
                line.warning_share,
            )
            at_risk = planned[self._plan_key(at_risk_req)]
            deadline = planned[self._plan_key(deadline_req)]
            if (line.at_risk_date, line.deadline) != (at_risk, deadline):
                dates[at_risk, deadline].append(line.id)
        # one write per distinct plan, not two per line
        for (at_risk, deadline), ids in dates.items():
            self.browse(ids).write({"at_risk_date": at_risk, "deadline": deadline})
        lines._refresh_status()

    # ------------------------------------------------------------------
    # Status
    # ------------------------------------------------------------------

    @api.model
    def _sla_levels_by_company(self, companies):
        Level = self.env["aftersales.escalation.level"]
        result = defaultdict(list)
        for company in companies:
            result[company.id] = list(
                Level.browse(Level._level_ids("sla", company.id, "sequence, id"))
            )
        return result

    @api.model
    def _status_values(self, vals, now, levels):
        """Status and next check of a line described by ``vals`` (a dict of
        deadline, at_risk_date, reached_date, pause_start, status,
        escalation_level_id) at ``now``."""
        deadline = vals["deadline"]
        if vals.get("reached_date"):
            status = "met" if vals["reached_date"] <= deadline else "late"
            return {"status": status, "next_check": False}
        if vals.get("status") == "cancelled":
            return {"status": "cancelled", "next_check": False}
        if vals.get("pause_start"):
            return {"status": vals.get("status") or "on_time", "next_check": False}
        if now >= deadline:
            current = vals.get("escalation_level_id")
            pending = levels
            if current:
                ids = [level.id for level in levels]
                pending = levels[ids.index(current) + 1 :] if current in ids else []
            next_check = False
            if pending:
                next_check = deadline + timedelta(hours=pending[0].delay_hours)
            return {"status": "failed", "next_check": next_check}
        if now >= vals["at_risk_date"]:
            return {"status": "at_risk", "next_check": deadline}
        return {"status": "on_time", "next_check": vals["at_risk_date"]}

    def _refresh_status(self, now=None, levels_by_company=None):
        now = now or fields.Datetime.now()
        if levels_by_company is None:
            levels_by_company = self._sla_levels_by_company(self.company_id)
        changes = defaultdict(list)
        for line in self:
            if not line.deadline:
                continue
            values = self._status_values(
                {
                    "deadline": line.deadline,
                    "at_risk_date": line.at_risk_date or line.deadline,
                    "reached_date": line.reached_date,
                    "pause_start": line.pause_start,
                    "status": line.status,
                    "escalation_level_id": line.escalation_level_id.id,
                },
                now,
                levels_by_company[line.company_id.id],
            )
            changed = tuple(
                (fname, value)
                for fname, value in values.items()
                if line[fname] != value
            )
            if changed:
                changes[changed].append(line.id)
        # one write per distinct change, not one per line
        for changed, ids in changes.items():
            self.browse(ids).write(dict(changed))

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    def _pause(self, when):
        lines = self.filtered(
            lambda line: not line.reached_date and not line.pause_start
        )
        lines.write({"pause_start": when, "next_check": False})

    def _resume(self, when):
        lines = self.filtered(lambda line: not line.reached_date and line.pause_start)
        durations = self._hours_between_batch(
            (line.calendar_id, line.pause_start, when) for line in lines
        )
        resumed = defaultdict(list)
        for line in lines:
            paused = (
                line.paused_hours
                + durations[(line.calendar_id.id, line.pause_start, when)]
            )
            resumed[paused].append(line.id)
        # one write per distinct paused time, not two per line
        for paused, ids in resumed.items():
            self.browse(ids).write({"paused_hours": paused, "pause_start": False})
        lines._replan()

    def _reach(self, when):
        """Mark the lines reached at ``when``: met or late."""
        lines = self.filtered(lambda line: not line.reached_date)
        lines._resume(when)
        elapsed = self._hours_between_batch(
            (line.calendar_id, line.start_date, when) for line in lines
        )
        reached = defaultdict(list)
        for line in lines:
            key = (line.calendar_id.id, line.start_date, when)
            values = {
                "reached_date": when,
                "elapsed_hours": max(elapsed[key] - line.paused_hours, 0.0),
            }
            if line.status == "cancelled":
                values["status"] = "on_time"  # decided again below: met or late
            reached[tuple(values.items())].append(line.id)
        # one write per distinct outcome, not one per line and field
        for values, ids in reached.items():
            self.browse(ids).write(dict(values))
        lines._refresh_status(when)
        lines.ticket_id._sla_close_activities()

    def _reopen(self, when):
        """Run the lines again (a reopened ticket): reached or cancelled
        targets count on from their start, pauses kept."""
        lines = self.filtered(
            lambda line: line.reached_date or line.status == "cancelled"
        )
        lines.write({"reached_date": False, "elapsed_hours": 0.0, "status": "on_time"})
        lines._replan()

    def _cancel(self):
        """The case ended without being resolved: the targets are neither
        met nor failed, and nobody is chased for them any more."""
        lines = self.filtered(lambda line: line.status != "cancelled")
        lines.write(
            {
                "status": "cancelled",
                "reached_date": False,
                "elapsed_hours": 0.0,
                "pause_start": False,
                "next_check": False,
            }
        )
        lines.ticket_id._sla_close_activities()

    # ------------------------------------------------------------------
    # Scheduled job
    # ------------------------------------------------------------------

    @api.model
    def _cron_check_deadlines(self, limit=5000, chunk_size=200, auto_commit=None):
        """Warn and escalate the lines whose check time has come.

        Reads only lines with ``next_check <= now`` (indexed) and handles
        their tickets in chunks of ``chunk_size``, each chunk as one batch:
        one note per ticket, the activities in one ``create``, and the
        notices of the digest stored with the facts they announce (warned,
        escalation level reached). A chunk that fails is retried ticket by
        ticket; a ticket that still fails is logged and looked at again an
        hour later, the others go on. At the end, each person gets one
        digest of their notices.

        ``auto_commit`` (default: when run by the cron, outside tests):
        each chunk is committed and reported to the cron progress API, so a
        crash loses no finished chunk, and a rerun finds the finished lines
        no longer due and never notifies twice.
        """
        if auto_commit is None:
            auto_commit = bool(
                self.env.context.get("ir_cron_progress_id")
            ) and not getattr(threading.current_thread(), "testing", False)
        # Odoo's own tracking would add a message per ticket: the job's note
        # carries the tracked changes instead.
        Line = self.with_context(mail_notrack=True)
        Notice = Line.env["aftersales.sla.notice"]
        now = fields.Datetime.now()
        lines = Line.search(
            [("next_check", "<=", now)], order="next_check, id", limit=limit
        )
        if not lines:
            Notice._send_digests(auto_commit)  # left by an interrupted run
            return
        levels_by_company = Line._sla_levels_by_company(lines.company_id)
        by_ticket = defaultdict(list)
        for line in lines:
            by_ticket[line.ticket_id.id].append(line.id)
        ticket_ids = list(by_ticket)
        done = 0
        for start in range(0, len(ticket_ids), chunk_size):
            chunk = ticket_ids[start : start + chunk_size]
            chunk_lines = Line.browse(
                line_id for ticket_id in chunk for line_id in by_ticket[ticket_id]
            )
            chunk_lines._lock_due(now)._process_chunk(now, levels_by_company)
            done += len(chunk)
            if auto_commit:
                Line.env["ir.cron"]._notify_progress(
                    done=done, remaining=len(ticket_ids) - done
                )
                Line.env.cr.commit()  # pylint: disable=invalid-commit
        Notice._send_digests(auto_commit)
        if len(lines) == limit:
            # more lines are due: run again at once
            Line.env.ref("aftersales_service.ir_cron_aftersales_sla_check")._trigger()

    def _lock_due(self, now):
        """The lines of ``self`` still due, locked until the end of the
        transaction; lines that a concurrent run holds or has handled
        meanwhile are left out."""
        if not self:
            return self
        self.flush_model(["next_check"])
        self.env.cr.execute(
            """
            SELECT id FROM aftersales_ticket_sla
             WHERE id = ANY(%s) AND next_check <= %s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            [self.ids, now],
        )
        locked = {row[0] for row in self.env.cr.fetchall()}
        return self.filtered(lambda line: line.id in locked)

    def _process_chunk(self, now, levels_by_company):
        """``_process_due`` for the chunk at once; on failure, again ticket
        by ticket, so that one bad ticket only holds back itself. A lost
        connection or a serialization failure is not a bad ticket: it stops
        the run (the cron retries it; finished chunks are committed)."""
        try:
            with self.env.cr.savepoint():
                self._process_due(now, levels_by_company)
            return
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            raise
        except Exception:  # noqa: BLE001 - isolated below, ticket by ticket
            _logger.info(
                "Service-level check of %s lines failed, retrying ticket by ticket",
                len(self),
            )
        failed = self.browse()
        for ticket_lines in self.grouped("ticket_id").values():
            try:
                with self.env.cr.savepoint():
                    ticket_lines._process_due(now, levels_by_company)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                raise
            except Exception:
                _logger.exception(
                    "Service-level check failed for ticket %s; retried in an hour",
                    ticket_lines.ticket_id.id,
                )
                failed |= ticket_lines
        if failed:
            # Look again later instead of blocking the queue on them.
            failed.next_check = now + timedelta(hours=1)

    def _process_due(self, now, levels_by_company):
        """Effects of time passing on these lines, of one or many tickets:
        the at-risk warning once, the failure notice once, each escalation
        level once, the red light once. Written together: one note per
        ticket (with its tracked changes), the alerts in one go, and the
        notices of the digest in the same transaction as the facts."""
        if not self:
            return
        tickets = self.ticket_id
        initial_values = tickets._sla_tracked_snapshot()
        colours = tickets._traffic_light_snapshot()
        previous = {line.id: line.status for line in self}
        self._refresh_status(now, levels_by_company)
        notes = defaultdict(list)
        notified = defaultdict(list)
        alerts = []
        notices = []
        recipients = {}
        warned = []
        escalated = defaultdict(list)
        for line in self:
            ticket = line.ticket_id
            if line.status == "at_risk" and not line.warned:
                for alert in line._warn_alerts():
                    alerts.append(alert)
                    notices.append(line._notice_vals(alert[1], "at_risk"))
                warned.append(line.id)
            if line.status != "failed":
                continue
            if previous[line.id] != "failed":
                notes[ticket.id].append(line._failed_note())
            levels = levels_by_company[line.company_id.id]
            reached = line._escalate_due(now, levels, recipients)
            if reached:
                escalated[reached[-1][0]].append(line.id)
            for level, recipient, body in reached:
                notes[ticket.id].append(body)
                if not recipient:
                    continue
                notified[ticket.id].append(recipient.partner_id.id)
                reader_line = line.with_context(lang=recipient.lang or self.env.lang)
                summary = reader_line.env._(
                    "Escalated: %(target)s failed",
                    target=reader_line._target_label(),
                )
                alerts.append(
                    (ticket, recipient, summary, body, fields.Date.to_date(now))
                )
                notices.append(line._notice_vals(recipient, "escalated", level))
        self.browse(warned).write({"warned": True})
        for level, ids in escalated.items():
            self.browse(ids).write(
                {"escalation_level_id": level.id, "escalation_date": now}
            )
        self._refresh_status(now, levels_by_company)
        red_alerts = tickets._traffic_light_red_alerts(colours)
        for ticket, manager, note, alert in red_alerts:
            notes[ticket.id].append(note)
            if alert:
                alerts.append(alert)
                notices.append(
                    {"user_id": manager.id, "ticket_id": ticket.id, "kind": "red"}
                )
        tickets._sla_log_notes(notes, notified, initial_values)
        # the digest tells them: no assignment e-mail per activity
        tickets._schedule_alerts(alerts, notify=False)
        self.env["aftersales.sla.notice"].sudo().create(notices)
        # computed here, in the job's context: tracked in the note above only
        self.env.flush_all()

    def _notice_vals(self, user, kind, level=None):
        self.ensure_one()
        return {
            "user_id": user.id,
            "ticket_id": self.ticket_id.id,
            "sla_id": self.id,
            "kind": kind,
            "level_id": level.id if level else False,
        }

    def _target_label(self):
        self.ensure_one()
        return dict(self._fields["target_type"]._description_selection(self.env))[
            self.target_type
        ]

    def _failed_note(self):
        """The failure, as the ticket's owner reads it."""
        self.ensure_one()
        ticket = self.ticket_id
        reader = ticket.owner_id
        line = self.with_context(lang=reader.lang or self.env.lang)
        return line.env._(
            "Service level failed: %(target)s was due on %(deadline)s.",
            target=line._target_label(),
            deadline=ticket._format_datetime_for(reader, self.deadline),
        )

    def _warn_alerts(self):
        """The at-risk warning: an alert for the owner and the technician,
        in their language and time zone."""
        self.ensure_one()
        ticket = self.ticket_id
        alerts = []
        for user in ticket.owner_id | ticket.technician_user_id:
            line = self.with_context(lang=user.lang or self.env.lang)
            alerts.append(
                (
                    ticket,
                    user,
                    line.env._(
                        "At risk: %(target)s due %(deadline)s",
                        target=line._target_label(),
                        deadline=ticket._format_datetime_for(user, self.deadline),
                    ),
                    False,
                    fields.Date.to_date(self.deadline),
                )
            )
        return alerts

    def _escalate_due(self, now, levels, recipients):
        """The escalation levels whose delay has passed, in order, as
        [(level, recipient, note)]; the caller records the last one reached
        on the line. ``recipients`` caches the recipient per (level, team)
        for the batch."""
        self.ensure_one()
        ids = [level.id for level in levels]
        current = self.escalation_level_id.id
        pending = levels[ids.index(current) + 1 :] if current in ids else levels
        ticket = self.ticket_id
        reached = []
        for level in pending:
            if now < self.deadline + timedelta(hours=level.delay_hours):
                break
            key = (level.id, ticket.team_id.id)
            if key not in recipients:
                recipients[key] = level._get_recipient(ticket.team_id)
            recipient = recipients[key]
            reader = recipient or ticket.owner_id
            line = self.with_context(lang=reader.lang or self.env.lang)
            body = line.env._(
                "Escalation to %(level)s: %(target)s of %(ticket)s failed "
                "(due %(deadline)s). Notified: %(who)s.",
                level=level.with_context(lang=reader.lang or self.env.lang).name,
                target=line._target_label(),
                ticket=ticket.name,
                deadline=ticket._format_datetime_for(reader, self.deadline),
                who=recipient.name or line.env._("nobody (no leader configured)"),
            )
            reached.append((level, recipient, body))
        return reached
