import uuid
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

WARRANTY_STATES = [
    ("active", "Active"),
    ("expired", "Expired"),
    ("void", "Void"),
]

WARRANTY_STATUSES = [
    ("in", "In Warranty"),
    ("partly", "Partly in Warranty"),
    ("out", "Out of Warranty"),
    ("unknown", "Unknown"),
]


class AftersalesWarranty(models.Model):
    _name = "aftersales.warranty"
    _description = "Warranty"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "aftersales.smart.button.mixin",
        "aftersales.inspection.plan.mixin",
    ]
    _order = "start_date desc, id desc"
    _aftersales_action = "aftersales_service.aftersales_warranty_action"
    _check_company_auto = True

    # Identification
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    # the portal token from the start: the customer's read-only pages never
    # create one on first view
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
    state = fields.Selection(
        WARRANTY_STATES,
        required=True,
        default="active",
        index=True,
        tracking=True,
        copy=False,
    )

    # Unit and customer
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
        precompute=True,
    )
    aftersales_partner_scope = fields.Boolean(
        string="Known to Partner Technicians",
        compute="_compute_aftersales_partner_scope",
        search="_search_aftersales_partner_scope",
        help="The warranties of the customers of the tickets a partner "
        "technician works (record rule of the Partner Technician role).",
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        check_company=True,
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('product_id', '=?', product_id)]",
    )
    term_id = fields.Many2one(
        "aftersales.warranty.term",
        string="Warranty Term",
        required=True,
        tracking=True,
        check_company=True,
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        index="btree_not_null",
        check_company=True,
    )
    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        index="btree_not_null",
        check_company=True,
    )

    # Dates
    delivery_date = fields.Date(required=True, tracking=True)
    installation_date = fields.Date(
        tracking=True,
        help="Installation or commissioning date. Moves the warranty when the "
        "term starts at installation.",
    )
    acceptance_date = fields.Date(
        tracking=True,
        help="Customer acceptance date. Moves the warranty when the term starts "
        "at acceptance.",
    )
    start_rule = fields.Selection(related="term_id.start_rule")
    start_date = fields.Date(
        compute="_compute_start_date",
        store=True,
        precompute=True,
        tracking=True,
    )
    base_end_date = fields.Date(
        string="Standard End Date",
        compute="_compute_base_end_date",
        store=True,
        precompute=True,
    )
    extension_end_date = fields.Date(
        string="Extended Until",
        tracking=True,
        copy=False,
        help="Set when an extended warranty is sold for this serial.",
    )
    extension_parts_coverage = fields.Float(
        string="Extension: Parts Covered (%)", tracking=True, copy=False
    )
    extension_labour_coverage = fields.Float(
        string="Extension: Labour Covered (%)", tracking=True, copy=False
    )
    extension_travel_coverage = fields.Float(
        string="Extension: Travel Covered (%)", tracking=True, copy=False
    )
    extension_line_ids = fields.One2many(
        "sale.order.line",
        "aftersales_extended_warranty_id",
        string="Extension Sales",
        readonly=True,
    )
    repair_days = fields.Integer(
        string="Days in Repair",
        tracking=True,
        copy=False,
        help="Added to the end date when the term extends the warranty by the "
        "time the unit spent in repair.",
    )
    end_date = fields.Date(
        compute="_compute_end_date",
        store=True,
        precompute=True,
        index=True,
        tracking=True,
    )
    component_ids = fields.One2many(
        "aftersales.warranty.component",
        "warranty_id",
        string="Components",
        copy=True,
    )

    # Coverage (from the term)
    parts_coverage = fields.Float(related="term_id.parts_coverage")
    labour_coverage = fields.Float(related="term_id.labour_coverage")
    travel_coverage = fields.Float(related="term_id.travel_coverage")

    # Void
    void_reason = fields.Text(tracking=True, copy=False)
    void_date = fields.Date(readonly=True, copy=False)

    # Three guarantees: the unit exchanged or replaced
    replaced_by_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Replaced By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The warranty of the new unit delivered in exchange for this one.",
    )
    replaces_warranty_id = fields.Many2one(
        "aftersales.warranty",
        string="Replaces",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The warranty of the faulty unit this new unit replaces.",
    )
    aftersales_guarantee_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Exchanged Under",
        readonly=True,
        copy=False,
        help="The ticket whose exchange or replacement delivered this unit.",
    )

    # History
    ticket_ids = fields.Many2many(
        "aftersales.ticket",
        string="Ticket History",
        compute="_compute_ticket_ids",
    )
    ticket_count = fields.Integer(
        string="Tickets",
        compute="_compute_ticket_ids",
    )

    inspection_visit_count = fields.Integer(
        string="Inspections", compute="_compute_inspection_visit_count"
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    def _compute_aftersales_partner_scope(self):
        inside = self.search(
            [("id", "in", self.ids), ("aftersales_partner_scope", "=", True)]
        )
        for warranty in self:
            warranty.aftersales_partner_scope = warranty in inside

    def _search_aftersales_partner_scope(self, operator, value):
        Ticket = self.env["aftersales.ticket"]
        positive = [
            (
                "commercial_partner_id",
                "in",
                Ticket._partner_technician_subselect("commercial_partner_id"),
            )
        ]
        return Ticket._partner_technician_scope_domain(operator, value, positive)

    def _compute_inspection_visit_count(self):
        counts = {}
        if self.ids:
            counts = dict(
                self.env["aftersales.visit"]._read_group(
                    [
                        ("plan_res_model", "=", self._name),
                        ("plan_res_id", "in", self.ids),
                    ],
                    ["plan_res_id"],
                    ["__count"],
                )
            )
        for warranty in self:
            warranty.inspection_visit_count = counts.get(warranty.id, 0)

    @api.depends("lot_id")
    def _compute_product_id(self):
        for warranty in self:
            if warranty.lot_id:
                warranty.product_id = warranty.lot_id.product_id

    @api.depends(
        "term_id.start_rule", "delivery_date", "installation_date", "acceptance_date"
    )
    def _compute_start_date(self):
        for warranty in self:
            rule = warranty.term_id.start_rule
            start = warranty.delivery_date
            if rule == "installation":
                start = warranty.installation_date or start
            elif rule == "acceptance":
                start = warranty.acceptance_date or warranty.installation_date or start
            warranty.start_date = start

    @api.depends("start_date", "term_id.duration", "term_id.duration_unit")
    def _compute_base_end_date(self):
        Term = self.env["aftersales.warranty.term"]
        for warranty in self:
            term = warranty.term_id
            warranty.base_end_date = Term._end_date(
                warranty.start_date, term.duration, term.duration_unit
            )

    @api.depends("base_end_date", "extension_end_date", "repair_days")
    def _compute_end_date(self):
        for warranty in self:
            dates = [
                d for d in (warranty.base_end_date, warranty.extension_end_date) if d
            ]
            warranty.end_date = (
                max(dates) + timedelta(days=warranty.repair_days) if dates else False
            )

    def _compute_ticket_ids(self):
        tickets = self.env["aftersales.ticket"].search(
            [("lot_id", "in", self.lot_id.ids)]
        )
        for warranty in self:
            mine = tickets.filtered(lambda t, w=warranty: t.lot_id == w.lot_id)
            warranty.ticket_ids = mine
            warranty.ticket_count = len(mine)

    def _get_report_base_filename(self):
        self.ensure_one()
        return _("Warranty %(name)s", name=self.name)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for warranty in self:
            warranty.access_url = f"/my/warranties/{warranty.id}"
        return res

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("start_date", "end_date", "delivery_date", "extension_end_date")
    def _check_dates(self):
        for warranty in self:
            if (
                warranty.end_date
                and warranty.start_date
                and (warranty.end_date < warranty.start_date)
            ):
                raise ValidationError(
                    _(
                        "End Date: the warranty %(name)s ends on %(end)s, before "
                        "it starts on %(start)s.",
                        name=warranty.name,
                        end=warranty.end_date,
                        start=warranty.start_date,
                    )
                )
            for label, date in (
                (_("Installation Date"), warranty.installation_date),
                (_("Acceptance Date"), warranty.acceptance_date),
            ):
                if date and date < warranty.delivery_date:
                    raise ValidationError(
                        _(
                            "%(field)s: %(date)s is before the delivery on "
                            "%(delivery)s.",
                            field=label,
                            date=date,
                            delivery=warranty.delivery_date,
                        )
                    )

    @api.constrains("lot_id", "commercial_partner_id", "state")
    def _check_unique_active(self):
        active = self.filtered(lambda w: w.state == "active")
        if not active:
            return
        others = self.search(
            [
                ("lot_id", "in", active.lot_id.ids),
                ("state", "=", "active"),
                ("id", "not in", active.ids),
            ]
        )
        seen = {(w.lot_id.id, w.commercial_partner_id.id): w for w in others}
        for warranty in active:
            key = (warranty.lot_id.id, warranty.commercial_partner_id.id)
            if key in seen:
                raise ValidationError(
                    _(
                        "Serial Number %(lot)s already has the active warranty "
                        "%(other)s for %(customer)s. Void or extend it instead of "
                        "creating another one.",
                        lot=warranty.lot_id.name,
                        other=seen[key].name,
                        customer=warranty.commercial_partner_id.display_name,
                    )
                )
            seen[key] = warranty

    @api.constrains("lot_id", "product_id")
    def _check_lot_product(self):
        for warranty in self:
            if warranty.lot_id.product_id != warranty.product_id:
                raise ValidationError(
                    _(
                        "Serial Number %(lot)s belongs to product %(product)s.",
                        lot=warranty.lot_id.name,
                        product=warranty.lot_id.product_id.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        Term = self.env["aftersales.warranty.term"]
        new = self.env._("New")
        todo = [v for v in vals_list if not v.get("name") or v["name"] == new]
        for vals, name in zip(todo, self._next_names(len(todo)), strict=True):
            vals["name"] = name
        terms = Term.browse({v["term_id"] for v in vals_list if v.get("term_id")})
        for vals in vals_list:
            if "component_ids" not in vals and vals.get("term_id"):
                term = terms.browse(vals["term_id"])
                vals["component_ids"] = [
                    Command.create(line_vals)
                    for line_vals in self._prepare_component_vals(term)
                ]
        warranties = super().create(vals_list)
        warranties._update_state()
        warranties._recompute_ticket_warranty()
        return warranties

    def write(self, vals):
        res = super().write(vals)
        if {
            "installation_date",
            "acceptance_date",
            "delivery_date",
            "term_id",
            "extension_end_date",
            "repair_days",
        } & set(vals):
            self._update_state()
        if {"state", "lot_id", "end_date", "extension_end_date"} & set(vals):
            self._recompute_ticket_warranty()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_tickets(self):
        if self.ticket_ids:
            raise UserError(
                _(
                    "Warranties with tickets on their serial are kept for the "
                    "record: void them instead of deleting."
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_void(self):
        self._ensure_can_void()
        for warranty in self:
            warranty._void(warranty.void_reason)
        return True

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_ticket_action"
        )
        action["domain"] = [("lot_id", "=", self.lot_id.id)]
        action["context"] = {
            "default_lot_id": self.lot_id.id,
            "default_product_id": self.product_id.id,
            "default_partner_id": self.partner_id.id,
        }
        return action

    def action_view_replaced_by(self):
        self.ensure_one()
        return self.replaced_by_warranty_id._aftersales_form_action()

    def action_view_replaces(self):
        self.ensure_one()
        return self.replaces_warranty_id._aftersales_form_action()

    def _aftersales_form_action(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
        }

    def action_print_certificate(self):
        return self.env.ref(
            "aftersales_service.action_report_aftersales_warranty"
        ).report_action(self)

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _ensure_can_void(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_manager"):
            raise UserError(_("Only an after-sales manager can void a warranty."))
        for warranty in self:
            if warranty.state == "void":
                raise UserError(
                    _("Warranty %(name)s is already void.", name=warranty.name)
                )
            if not (warranty.void_reason or "").strip():
                raise UserError(
                    _(
                        "Void Reason: say why warranty %(name)s is void (e.g. "
                        "exclusion found on site).",
                        name=warranty.name,
                    )
                )

    def _void(self, reason):
        """Void the warranties, keeping the reason. Used by the button, by
        returns and by resales."""
        today = fields.Date.context_today(self)
        for warranty in self:
            warranty.write({"state": "void", "void_reason": reason, "void_date": today})

    def _update_state(self, today=None):
        """Active or expired from the end date; void stays void."""
        today = today or fields.Date.context_today(self)
        for warranty in self:
            if warranty.state == "void":
                continue
            state = (
                "expired"
                if warranty.end_date and warranty.end_date < today
                else "active"
            )
            if warranty.state != state:
                warranty.state = state

    def _recompute_ticket_warranty(self):
        """Open tickets on these serials (e.g. an old unit registered by hand
        after the customer called, or a warranty voided) decide again."""
        tickets = (
            self.env["aftersales.ticket"]
            .sudo()
            .search([("lot_id", "in", self.lot_id.ids), ("is_closed", "=", False)])
        )
        if tickets:
            tickets._on_facts_changed({"warranty_id"})

    @api.model
    def _cron_update_state(self):
        today = fields.Date.context_today(self)
        self.search([("state", "=", "active"), ("end_date", "<", today)])._update_state(
            today
        )

    @api.model
    def _prepare_component_vals(self, term):
        return [
            {
                "term_component_id": line.id,
                "name": line.name,
                "product_id": line.product_id.id,
                "categ_id": line.categ_id.id,
            }
            for line in term.component_ids
        ]

    @api.model
    def _next_names(self, count):
        """Reserve ``count`` references in one query."""
        if not count:
            return []
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "=", "aftersales.warranty")], limit=1)
        )
        if not sequence:
            return [self.env._("New")] * count
        return sequence._aftersales_next_batch(count)

    def _status_at(self, date, reason=True):
        """Warranty status of this unit on ``date``:
        (status, remaining days, end date of what still covers, reason).
        ``reason=False`` when only the status is needed: the reason (dates
        formatted in the reader's language) is then not worked out."""
        self.ensure_one()
        status, days, end, explain = self._status_facts(date)
        return status, days, end, (explain() if reason else False)

    def _status_facts(self, date):
        """(status, remaining days, end date, function giving the reason)."""
        if self.state == "void":
            return (
                "out",
                0,
                False,
                lambda: self.env._(
                    "warranty void: %(reason)s", reason=self.void_reason or ""
                ),
            )
        if date < self.delivery_date:
            return (
                "unknown",
                0,
                False,
                lambda: self.env._("the ticket is dated before the delivery"),
            )
        main_in = bool(self.end_date) and date <= self.end_date
        covering = self.component_ids.filtered(
            lambda c: c.end_date and c.start_date <= date <= c.end_date
        )
        ended = self.component_ids.filtered(
            lambda c: c.kind == "term" and c.end_date and c.end_date < date
        )
        if main_in and not ended:
            return (
                "in",
                (self.end_date - date).days,
                self.end_date,
                lambda: self.env._(
                    "in warranty until %(end)s",
                    end=format_date(self.env, self.end_date),
                ),
            )
        if main_in or covering:
            ends = [self.end_date] if main_in else []
            ends += covering.mapped("end_date")
            end = max(ends)
            return (
                "partly",
                (end - date).days,
                end,
                lambda: self.env._(
                    "partly in warranty: %(covered)s covered, %(ended)s ended",
                    covered=", ".join(
                        ([self.env._("whole unit")] if main_in else [])
                        + covering.mapped("name")
                    ),
                    ended=", ".join(
                        ([] if main_in else [self.env._("whole unit")])
                        + ended.mapped("name")
                    ),
                ),
            )
        return (
            "out",
            0,
            False,
            lambda: self.env._(
                "warranty ended %(end)s", end=format_date(self.env, self.end_date)
            ),
        )

    def _open_three_guarantee_rights(self, today=None):
        """[(right label, last day)] of the three-guarantee rights the
        customer still has on this unit (return, exchange)."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        term = self.term_id
        if self.state == "void" or not term.three_guarantee:
            return []
        rights = [
            (_("Return"), term.return_days),
            (_("Exchange"), term.exchange_days),
        ]
        result = []
        for label, days in rights:
            last_day = self.delivery_date + timedelta(days=days)
            if days and last_day >= today:
                result.append((label, last_day))
        return result

    def _covering_for(self, product, date):
        """(covered?, end date, label) for a spare part on ``date``: the most
        specific component line, else the whole unit."""
        self.ensure_one()
        lines = self.component_ids.filtered(
            lambda c: (
                (c.product_id and c.product_id == product)
                or (
                    not c.product_id
                    and c.categ_id
                    and product
                    and product.categ_id.parent_path.startswith(c.categ_id.parent_path)
                )
            )
        )
        if lines:
            best = max(lines, key=lambda c: (bool(c.product_id), c.end_date))
            return (
                best.start_date <= date <= best.end_date,
                best.end_date,
                best.name,
            )
        return date <= self.end_date, self.end_date, _("unit")

    def _coverage_at(self, charge_type, date):
        """Covered percentage of parts, labour or travel on ``date``: the
        term's, or the extension's during the extended period."""
        self.ensure_one()
        standard_end = self.base_end_date + timedelta(days=self.repair_days)
        if self.extension_end_date and date > standard_end:
            return self[f"extension_{charge_type}_coverage"]
        return self[f"{charge_type}_coverage"]

    def _extend(self, months, sale_line):
        """Extend the warranty by ``months`` from its end (or from the sale date
        when it had already ended), traceably."""
        Term = self.env["aftersales.warranty.term"]
        sale_date = sale_line.order_id.date_order.date()
        for warranty in self:
            base = max(warranty.end_date, sale_date - timedelta(days=1))
            new_end = Term._end_date(base + timedelta(days=1), months, "month")
            old_end = warranty.end_date
            product = sale_line.product_id
            warranty.write(
                {
                    "extension_end_date": new_end,
                    "extension_parts_coverage": (
                        product.aftersales_extension_parts_coverage
                    ),
                    "extension_labour_coverage": (
                        product.aftersales_extension_labour_coverage
                    ),
                    "extension_travel_coverage": (
                        product.aftersales_extension_travel_coverage
                    ),
                    "state": "active",
                }
            )
            warranty.message_post(
                body=_(
                    "Extended warranty sold on %(order)s (%(product)s): the "
                    "warranty ends on %(new)s instead of %(old)s.",
                    order=sale_line.order_id.name,
                    product=sale_line.product_id.display_name,
                    new=new_end,
                    old=old_end,
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------------
    # Periodic inspections
    # ------------------------------------------------------------------

    @api.model
    def _inspections_due(self, today, horizon_days=None):
        """[(warranty id, due date)] of the periodic inspections to plan now:
        due from ``today`` to ``today`` + the term's days ahead (or
        ``horizon_days``), within the warranty, not planned yet. Due dates are
        the start date plus whole multiples of the term's interval (never
        drifting at month ends). One query, in warranty order."""
        self.env["aftersales.warranty"].flush_model(
            ["state", "term_id", "start_date", "end_date"]
        )
        self.env["aftersales.warranty.term"].flush_model(
            ["inspection_interval", "inspection_lead_days"]
        )
        self.env["aftersales.visit"].flush_model(
            ["plan_res_model", "plan_res_id", "plan_due_date"]
        )
        self.env.cr.execute(
            """
            SELECT w.id, d.due
              FROM aftersales_warranty w
              JOIN aftersales_warranty_term t ON t.id = w.term_id
             CROSS JOIN LATERAL generate_series(
                       1,
                       (extract(year FROM age(w.end_date, w.start_date)) * 12
                        + extract(month FROM age(w.end_date, w.start_date)))::int
                       / t.inspection_interval + 1
                   ) AS k
             CROSS JOIN LATERAL (
                   SELECT (w.start_date
                           + make_interval(months => k * t.inspection_interval)
                          )::date AS due
                   ) d
             WHERE w.state = 'active'
               AND t.inspection_interval > 0
               AND w.start_date IS NOT NULL
               AND w.end_date IS NOT NULL
               AND d.due >= %(today)s
               AND d.due <= w.end_date
               AND d.due <= %(today)s::date
                            + COALESCE(%(horizon)s, t.inspection_lead_days)
               AND NOT EXISTS (
                   SELECT 1
                     FROM aftersales_visit v
                    WHERE v.plan_res_model = 'aftersales.warranty'
                      AND v.plan_res_id = w.id
                      AND v.plan_due_date = d.due)
             ORDER BY w.id, d.due
            """,
            {"today": today, "horizon": horizon_days},
        )
        return self.env.cr.fetchall()

    def _inspection_plans(self, due_dates):
        """The plans of ``self`` for ``_plan_periodic_visits``:
        ``due_dates`` = {warranty id: [due dates]}."""
        return [
            {
                "source": warranty,
                "partner": warranty.partner_id,
                "lot": warranty.lot_id,
                "product": warranty.product_id,
                "company": warranty.company_id,
                "due_dates": due_dates[warranty.id],
                "ticket_vals": {"warranty_id": warranty.id},
            }
            for warranty in self
        ]
