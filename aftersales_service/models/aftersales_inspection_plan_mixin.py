import logging
import threading

from odoo import api, fields, models
from odoo.tools.misc import split_every

_logger = logging.getLogger(__name__)


class AftersalesInspectionPlanMixin(models.AbstractModel):
    """A record that asks for periodic inspection visits (a warranty, a
    maintenance contract). The model says which due dates to plan
    (``_inspections_due``) and what each plan is (``_inspection_plans``);
    this mixin runs the one generator, ``_cron_generate_inspections``, which
    plans them through ``aftersales.visit._plan_periodic_visits``."""

    _name = "aftersales.inspection.plan.mixin"
    _description = "After-Sales Periodic Inspection Plan"

    @api.model
    def _inspections_due(self, today, horizon_days=None):
        """[(record id, due date)] of the inspections to plan now, not
        planned yet, in record order."""
        raise NotImplementedError

    def _inspection_plans(self, due_dates):
        """The plans of ``self`` for ``_plan_periodic_visits``:
        ``due_dates`` = {record id: [due dates]}."""
        raise NotImplementedError

    def action_view_inspections(self):
        self.ensure_one()
        return self.env["aftersales.visit"]._action_view(
            [("plan_res_model", "=", self._name), ("plan_res_id", "=", self.id)]
        )

    @api.model
    def _cron_generate_inspections(self, batch_size=500, limit=None, horizon_days=None):
        """Plan the periodic inspection visits due soon, ahead of time.

        Works in batches of ``batch_size`` inspections, each one ticket
        ``create()`` and one visit ``create()``, committed one by one and
        reported to the cron's progress: a crash loses none of the batches
        done, and the next run (which plans only what is not planned yet)
        creates nothing twice. At most ``limit`` inspections per call (the
        cron calls again while some remain). A batch that fails is retried
        record by record, so one bad record does not hold up the others.
        Returns the number of visits created."""
        Cron = self.env["ir.cron"]
        Visit = self.env["aftersales.visit"].sudo()
        Source = self.sudo()
        channel = self.env.ref("aftersales_service.channel_inspection")
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        today = fields.Date.context_today(self)
        due = self._inspections_due(today, horizon_days)
        total = len(due)
        if limit:
            due = due[:limit]
        done = created = 0
        Cron._notify_progress(done=0, remaining=total)
        for chunk in split_every(batch_size, due):
            dates = {}
            for source_id, date in chunk:
                dates.setdefault(source_id, []).append(date)
            sources = Source.browse(list(dates))
            try:
                with self.env.cr.savepoint():
                    created += len(
                        Visit._plan_periodic_visits(
                            sources._inspection_plans(dates), channel
                        )
                    )
            except Exception:  # noqa: BLE001 -- retried one by one below
                created += self._generate_inspections_one_by_one(
                    sources, dates, channel
                )
            done += len(chunk)
            Cron._notify_progress(done=done, remaining=total - done)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        return created

    @api.model
    def _generate_inspections_one_by_one(self, sources, dates, channel):
        Visit = self.env["aftersales.visit"].sudo()
        created = 0
        for source in sources:
            try:
                with self.env.cr.savepoint():
                    created += len(
                        Visit._plan_periodic_visits(
                            source._inspection_plans(dates), channel
                        )
                    )
            except Exception as error:  # noqa: BLE001 -- the others go on
                _logger.warning(
                    "Inspections of %s %s not planned: %s",
                    source._description,
                    source.display_name,
                    error,
                )
        return created
