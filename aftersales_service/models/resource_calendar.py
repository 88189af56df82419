import bisect
from datetime import timedelta

from odoo import models

from odoo.addons.resource.models.utils import make_aware

# Changes of a calendar that move the deadlines planned on it.
PLANNING_FIELDS = {"attendance_ids", "global_leave_ids", "leave_ids", "tz"}

# resource.calendar.plan_hours walks the calendar in windows of 14 days, at
# most 100 of them, and gives up (False) beyond.
PLAN_WINDOW = timedelta(days=14)
PLAN_WINDOWS = 100


class WorkTimeline:
    """The work intervals of one calendar (attendances minus leaves) over a
    period, read once and extended on demand, to plan many deadlines and
    count many durations without reading the calendar again for each.

    ``plan_hours`` and ``hours_between`` give exactly what
    ``resource.calendar.plan_hours(hours, start, compute_leaves=True)`` and
    ``get_work_hours_count(start, stop, compute_leaves=True)`` give (they
    cut the same intervals at the same points and add up the same floats).
    """

    def __init__(self, calendar, start):
        self.calendar = calendar
        self.begin, __ = make_aware(start)
        self.end = self.begin
        self.starts = []  # interval starts, aware, sorted
        self.stops = []  # interval stops, aware

    def _extend(self, until):
        """Read the work intervals up to ``until`` (aware) if not read yet:
        at least 8 weeks more each time, so a batch reads a few times."""
        if until <= self.end:
            return
        until = max(until, self.end + 4 * PLAN_WINDOW)
        intervals = self.calendar._work_intervals_batch(self.end, until)[False]
        for start, stop, __ in intervals:
            if self.stops and self.stops[-1] == start:
                # adjacent across two reads: one interval, as in one read
                self.stops[-1] = stop
            else:
                self.starts.append(start)
                self.stops.append(stop)
        self.end = until

    def _pieces(self, start, stop):
        """The work intervals clipped to [start, stop], in order."""
        self._extend(stop)
        index = bisect.bisect_right(self.stops, start)
        while index < len(self.starts) and self.starts[index] < stop:
            piece_start = max(self.starts[index], start)
            piece_stop = min(self.stops[index], stop)
            if piece_start < piece_stop:
                yield piece_start, piece_stop
            index += 1

    def plan_hours(self, hours, day_dt):
        """``resource.calendar.plan_hours(hours, day_dt, compute_leaves=True)``
        for hours >= 0 (naive UTC in, naive UTC out; False when the calendar
        has no working time within 1,400 days)."""
        day_dt, revert = make_aware(day_dt)
        if day_dt < self.begin:
            raise ValueError("start before the timeline")
        for n in range(PLAN_WINDOWS):
            window_start = day_dt + PLAN_WINDOW * n
            for start, stop in self._pieces(window_start, window_start + PLAN_WINDOW):
                interval_hours = (stop - start).total_seconds() / 3600
                if hours <= interval_hours:
                    return revert(start + timedelta(hours=hours))
                hours -= interval_hours
        return False

    def hours_between(self, start_dt, end_dt):
        """``resource.calendar.get_work_hours_count(start_dt, end_dt,
        compute_leaves=True)`` (naive UTC)."""
        start_dt, __ = make_aware(start_dt)
        end_dt, __ = make_aware(end_dt)
        if start_dt < self.begin:
            raise ValueError("start before the timeline")
        return sum(
            (stop - start).total_seconds() / 3600
            for start, stop in self._pieces(start_dt, end_dt)
        )


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def write(self, vals):
        res = super().write(vals)
        if PLANNING_FIELDS & set(vals):
            self._aftersales_replan_sla()
        return res

    def _aftersales_timeline(self, start):
        """A ``WorkTimeline`` of this calendar from ``start`` (naive UTC)."""
        self.ensure_one()
        return WorkTimeline(self, start)

    def _aftersales_replan_sla(self):
        """Re-plan the open service-level lines planned on these calendars."""
        if not self:
            return
        lines = (
            self.env["aftersales.ticket.sla"]
            .sudo()
            .search([("calendar_id", "in", self.ids), ("reached_date", "=", False)])
        )
        lines._replan()
