"""Visits of teams operated by a service partner: who may do them, and the
monthly list of the partner's signed visits that supports settlement."""

from datetime import date, datetime, time

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models


class AftersalesVisit(models.Model):
    _inherit = "aftersales.visit"

    service_partner_id = fields.Many2one(
        related="team_id.service_partner_id",
        string="Service Partner",
        store=True,
        index="btree_not_null",
    )
    parts_consumed_summary = fields.Char(
        string="Consumed Parts in Short",
        compute="_compute_parts_consumed_summary",
        compute_sudo=True,
    )

    @api.depends("part_line_ids.qty_consumed", "part_line_ids.product_id")
    def _compute_parts_consumed_summary(self):
        for visit in self:
            visit.parts_consumed_summary = ", ".join(
                f"{line.product_id.display_name} × {line.qty_consumed:g}"
                for line in visit.part_line_ids
                if line.qty_consumed > 0
            )

    @api.constrains("technician_id", "helper_ids", "team_id")
    def _check_partner_technician_team(self):
        self.env["aftersales.team"]._check_partner_technicians(
            [
                (visit, visit.technician_id | visit.helper_ids, visit.team_id)
                for visit in self
            ]
        )

    def _partner_team_vals(self, team):
        """Sending a candidate of ``team`` (from the ranking): a partner's
        technician works their own team's visits only, so the visit goes to
        the partner-operated team with them."""
        self.ensure_one()
        if team.service_partner_id and team != self.team_id:
            return {"team_id": team.id}
        return {}

    # ------------------------------------------------------------------
    # Settlement
    # ------------------------------------------------------------------

    @api.model
    def _settlement_month_bounds(self, month_start):
        """[start, stop) in naive UTC of the calendar month of
        ``month_start`` in the user's time zone."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        first = date(month_start.year, month_start.month, 1)
        start = tz.localize(datetime.combine(first, time.min))
        stop = tz.localize(datetime.combine(first + relativedelta(months=1), time.min))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            stop.astimezone(pytz.utc).replace(tzinfo=None),
        )

    @api.model
    def _settlement_domain(self, partner=None, month_start=None):
        """The completed visits a service partner is settled for: done and
        signed (cancelled and no-show visits never count), of a team the
        partner operates; of one partner and one month (by signature date)
        when given."""
        domain = [
            ("state", "=", "done"),
            ("signed_on", "!=", False),
            ("service_partner_id", "!=", False),
        ]
        if partner:
            domain.append(("service_partner_id", "=", partner.id))
        if month_start:
            start, stop = self._settlement_month_bounds(month_start)
            domain += [("signed_on", ">=", start), ("signed_on", "<", stop)]
        return domain
