from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

VISIT_TYPES = [
    ("installation", "Installation & Commissioning"),
    ("diagnosis", "Diagnosis"),
    ("repair", "Repair"),
    ("inspection", "Periodic Inspection"),
    ("pickup", "Pickup / Delivery"),
]

VISIT_STATES = [
    ("planned", "Planned"),
    ("confirmed", "Confirmed"),
    ("on_the_way", "On the Way"),
    ("on_site", "On Site"),
    ("done", "Done & Signed"),
    ("cancelled", "Cancelled"),
    ("no_show", "No-Show"),
]

# A visit in one of these states still occupies its technician's window.
BUSY_STATES = ("planned", "confirmed", "on_the_way", "on_site")
# A visit in one of these states is over: nothing about it moves any more.
CLOSED_STATES = ("done", "cancelled", "no_show")


class AftersalesVisit(models.Model):
    """One trip of a technician to the customer (or of the unit to the
    workshop) for a ticket. A ticket has several visits; each is planned in a
    window agreed with the customer, worked on site and closed by a service
    report the customer signs."""

    _name = "aftersales.visit"
    _description = "After-Sales Field Visit"
    _inherit = [
        "mail.thread",
        "mail.activity.mixin",
        "portal.mixin",
        "aftersales.smart.button.mixin",
    ]
    _order = "planned_start desc, id desc"
    _check_company_auto = True
    _aftersales_action = "aftersales_service.aftersales_visit_action"

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        related="ticket_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="ticket_id.partner_id", string="Customer", store=True, index=True
    )
    commercial_partner_id = fields.Many2one(
        related="ticket_id.commercial_partner_id", store=True, index=True
    )
    product_id = fields.Many2one(related="ticket_id.product_id")
    lot_id = fields.Many2one(related="ticket_id.lot_id")
    service_address = fields.Char(related="ticket_id.service_address", string="Address")
    service_map_url = fields.Char(related="ticket_id.service_map_url", string="Map")
    visit_type = fields.Selection(
        VISIT_TYPES, string="Type", required=True, default="repair", tracking=True
    )
    state = fields.Selection(
        VISIT_STATES,
        string="Status",
        required=True,
        default="planned",
        index=True,
        tracking=True,
        copy=False,
    )
    team_id = fields.Many2one(
        "aftersales.team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    technician_id = fields.Many2one(
        "hr.employee",
        index=True,
        tracking=True,
        check_company=True,
    )
    technician_user_id = fields.Many2one(
        related="technician_id.user_id",
        string="Technician User",
        store=True,
        index=True,
    )
    helper_ids = fields.Many2many(
        "hr.employee",
        "aftersales_visit_helper_rel",
        "visit_id",
        "employee_id",
        string="Assisting Technicians",
        check_company=True,
    )
    planned_start = fields.Datetime(
        string="Window Start", required=True, index=True, tracking=True
    )
    planned_stop = fields.Datetime(string="Window End", required=True, tracking=True)
    check_in_date = fields.Datetime(string="Checked In", readonly=True, copy=False)
    check_out_date = fields.Datetime(string="Checked Out", readonly=True, copy=False)
    duration = fields.Float(
        string="Time on Site (h)",
        compute="_compute_duration",
        store=True,
        help="Hours between check-in and check-out.",
    )
    reschedule_count = fields.Integer(readonly=True, copy=False)
    reschedule_reason = fields.Char(readonly=True, copy=False)
    note = fields.Text(string="Instructions")
    color = fields.Integer(related="technician_id.color")

    @api.depends("ticket_id")
    def _compute_team_id(self):
        for visit in self:
            if not visit.team_id:
                visit.team_id = visit.ticket_id.team_id

    @api.depends("check_in_date", "check_out_date")
    def _compute_duration(self):
        for visit in self:
            if visit.check_in_date and visit.check_out_date:
                delta = visit.check_out_date - visit.check_in_date
                visit.duration = delta.total_seconds() / 3600.0
            else:
                visit.duration = 0.0

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for visit in self:
            visit.access_url = f"/my/visits/{visit.id}"
        return res

    @api.constrains("planned_start", "planned_stop")
    def _check_window(self):
        for visit in self:
            if visit.planned_stop <= visit.planned_start:
                raise ValidationError(
                    _(
                        "Visit %(visit)s: the end of the window must be after "
                        "its start.",
                        visit=visit.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        tickets = self.env["aftersales.ticket"].browse(
            {vals["ticket_id"] for vals in vals_list if vals.get("ticket_id")}
        )
        if any(ticket.is_closed for ticket in tickets):
            raise UserError(_("The ticket is closed: no visit can be planned."))
        pending = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        if pending:
            sequence = (
                self.env["ir.sequence"]
                .sudo()
                .search([("code", "=", "aftersales.visit")], limit=1)
            )
            names = sequence._aftersales_next_batch(len(pending))
            for vals, name in zip(pending, names, strict=True):
                vals["name"] = name
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Status
    # ------------------------------------------------------------------

    def _check_state(self, allowed, action):
        wrong = self.filtered(lambda v: v.state not in allowed)
        if wrong:
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                _(
                    "Visit %(visit)s is %(state)s: it cannot be %(action)s.",
                    visit=wrong[0].display_name,
                    state=states[wrong[0].state],
                    action=action,
                )
            )

    def action_confirm(self):
        self._check_state(("planned",), _("confirmed"))
        self.write({"state": "confirmed"})
        return True

    def action_on_the_way(self):
        self._check_state(("planned", "confirmed"), _("started"))
        self.write({"state": "on_the_way"})
        return True

    def action_check_in(self):
        self._check_state(("planned", "confirmed", "on_the_way"), _("checked in"))
        now = fields.Datetime.now()
        self.write({"state": "on_site", "check_in_date": now})
        return True

    def action_check_out(self):
        missing = self.filtered(lambda v: not v.check_in_date)
        if missing:
            raise UserError(
                _(
                    "Visit %(visit)s: check in on site before checking out.",
                    visit=missing[0].display_name,
                )
            )
        self._check_state(("on_site",), _("checked out"))
        self.write({"check_out_date": fields.Datetime.now()})
        return True

    def action_cancel(self):
        self._check_state(BUSY_STATES, _("cancelled"))
        self.write({"state": "cancelled"})
        return True

    def action_no_show(self):
        self._check_state(("planned", "confirmed", "on_the_way"), _("marked no-show"))
        self.write({"state": "no_show"})
        return True

    def action_view_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.ticket_id.id,
            "view_mode": "form",
        }
