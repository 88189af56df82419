import bisect
import functools
from datetime import datetime, timedelta

from pytz import utc

from odoo import models, tools

from odoo.addons.resource.models.utils import make_aware

# Changes of a calendar that move the deadlines planned on it.
PLANNING_FIELDS = {"attendance_ids", "global_leave_ids", "leave_ids", "tz"}

# resource.calendar.plan_hours walks the calendar in windows of 14 days, at
# most 100 of them, and gives up (False) beyond.
PLAN_WINDOW = timedelta(days=14)
PLAN_WINDOWS = 100

# The work intervals of a calendar are read in fixed periods of 4 weeks
# (counted from a Monday) and kept in Odoo's ormcache between requests: a
# ticket created from the screen plans its deadlines without reading the
# calendar. Any change of a calendar, of its attendances or of a public
# holiday clears the cache (``_aftersales_clear_work_cache``), and the
# transaction that made it reads the calendar without the cache until it
# ends: what it reads may still be rolled back (a savepoint), so it must not
# be kept for others.
CHUNK = timedelta(days=28)
EPOCH = datetime(2000, 1, 3, tzinfo=utc)
CHANGED_KEY = "aftersales_work_time_changed"


def _chunk_index(when):
    """Index of the 4-week period holding ``when`` (aware)."""
    return (when - EPOCH) // CHUNK


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
        start, __ = make_aware(start)
        self.index = _chunk_index(start)  # next period to read
        self.begin = self.end = EPOCH + CHUNK * self.index
        self.starts = []  # interval starts, aware, sorted
        self.stops = []  # interval stops, aware

    def _extend(self, until):
        """Read the work intervals up to ``until`` (aware) if not read yet,
        4 weeks at a time (cached between requests)."""
        calendar = self.calendar
        read = (
            calendar._aftersales_read_work_chunk
            if calendar.env.cr.cache.get(CHANGED_KEY)
            else calendar._aftersales_work_chunk
        )
        while self.end < until:
            for start, stop in read(self.index):
                if self.stops and self.stops[-1] == start:
                    # adjacent across two periods: one interval, as in one read
                    self.stops[-1] = stop
                else:
                    self.starts.append(start)
                    self.stops.append(stop)
            self.index += 1
            self.end = EPOCH + CHUNK * self.index

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
        self._aftersales_clear_work_cache()
        if PLANNING_FIELDS & set(vals):
            self._aftersales_replan_sla()
        return res

    def unlink(self):
        res = super().unlink()
        self._aftersales_clear_work_cache()
        return res

    @tools.ormcache("self.id", "index", "self.env.context.get('employee_timezone')")
    def _aftersales_work_chunk(self, index):
        """``_aftersales_read_work_chunk``, cached between requests."""
        return self._aftersales_read_work_chunk(index)

    def _aftersales_read_work_chunk(self, index):
        """The work intervals (attendances minus public holidays) of the
        ``index``-th 4-week period, as a tuple of (start, stop) (aware),
        whoever asks."""
        start = EPOCH + CHUNK * index
        intervals = self.sudo()._work_intervals_batch(start, start + CHUNK)[False]
        return tuple((start, stop) for start, stop, __ in intervals)

    def _aftersales_clear_work_cache(self):
        """Working time changed: forget the cached work intervals, and read
        them without the cache for the rest of the transaction."""
        self.env.registry.clear_cache()
        cr = self.env.cr
        if not cr.cache.get(CHANGED_KEY):
            cr.cache[CHANGED_KEY] = True
            # the cursor's cache itself: it is gone when a closing cursor
            # rolls back
            settled = functools.partial(cr.cache.pop, CHANGED_KEY, None)
            cr.postcommit.add(settled)
            cr.postrollback.add(settled)

    def _aftersales_work_time_settled(self):
        """The transaction that changed working time ended: the calendars
        may be cached again."""
        self.env.cr.cache.pop(CHANGED_KEY, None)

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
