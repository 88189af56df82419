from odoo import api, fields, models

ARRIVAL_STATUSES = [
    ("on_time", "On Time"),
    ("late", "Late"),
]


class AftersalesVisit(models.Model):
    """Field KPIs of the visit: whether the technician arrived on time.

    The ticket's first arrival is measured against the on-site arrival target
    of its service level (the SLA line's deadline); later visits, and visits
    of tickets whose policy promises no arrival time, against the end of the
    window agreed with the customer.
    """

    _inherit = "aftersales.visit"

    arrival_target_date = fields.Datetime(
        string="Arrival Due By",
        compute="_compute_arrival",
        store=True,
        help="The first arrival on a ticket is due by the on-site arrival "
        "target of its service level; later visits by the end of their window.",
    )
    arrival_status = fields.Selection(
        ARRIVAL_STATUSES,
        string="Arrival",
        compute="_compute_arrival",
        store=True,
        index="btree_not_null",
        help="Checked in on site by the time the arrival was due (on time) or "
        "after it (late); empty until the technician checks in.",
    )

    @api.depends(
        "check_in_date",
        "planned_stop",
        "ticket_id.visit_ids.check_in_date",
        "ticket_id.sla_ids.deadline",
    )
    def _compute_arrival(self):
        arrived = self.filtered(lambda v: v.check_in_date and v.id)
        ticket_ids = arrived.ticket_id.ids
        first_arrival, deadlines = {}, {}
        if ticket_ids:
            # Other technicians' visits and the SLA lines are read whatever
            # the user's rights: they only place this visit's arrival.
            first_arrival = dict(
                self.env["aftersales.visit"]
                .sudo()
                ._read_group(
                    [("ticket_id", "in", ticket_ids), ("check_in_date", "!=", False)],
                    ["ticket_id"],
                    ["check_in_date:min"],
                )
            )
            deadlines = dict(
                self.env["aftersales.ticket.sla"]
                .sudo()
                ._read_group(
                    [
                        ("ticket_id", "in", ticket_ids),
                        ("target_type", "=", "arrival"),
                        ("deadline", "!=", False),
                    ],
                    ["ticket_id"],
                    ["deadline:min"],
                )
            )
        for visit in self:
            if visit not in arrived:
                visit.arrival_target_date = False
                visit.arrival_status = False
                continue
            ticket = visit.ticket_id.sudo()
            first = first_arrival.get(ticket)
            deadline = deadlines.get(ticket)
            if deadline and first and visit.check_in_date <= first:
                target = deadline
            else:
                target = visit.planned_stop
            visit.arrival_target_date = target
            visit.arrival_status = (
                "on_time" if visit.check_in_date <= target else "late"
            )
