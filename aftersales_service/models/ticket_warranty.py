from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.misc import format_date

from .aftersales_warranty import WARRANTY_STATUSES

# Ticket fields a technician (without agent rights) may set on the tickets
# assigned to them: what they find on site.
WARRANTY_TECHNICIAN_FIELDS = {
    "warranty_exclusion_id",
    "warranty_exclusion_note",
    "fault_code_id",
    "performance_failure",
}

THREE_GUARANTEE_RIGHTS = [
    ("none", "None"),
    ("return", "Return"),
    ("exchange", "Exchange"),
    ("replacement", "Replacement"),
]


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # Warranty of the unit
    warranty_date = fields.Date(
        string="Warranty Check Date",
        default=fields.Date.context_today,
        copy=False,
        help="Date at which the warranty is decided: the day the customer "
        "reported the failure.",
    )
    warranty_id = fields.Many2one(
        "aftersales.warranty",
        compute="_compute_warranty_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        compute_sudo=True,
    )
    warranty_status = fields.Selection(
        WARRANTY_STATUSES,
        compute="_compute_warranty_status",
        store=True,
        precompute=True,
        index=True,
        compute_sudo=True,
    )
    warranty_remaining_days = fields.Integer(
        string="Warranty Days Left",
        compute="_compute_warranty_status",
        store=True,
        precompute=True,
        compute_sudo=True,
    )
    warranty_end_date = fields.Date(
        string="Covered Until",
        compute="_compute_warranty_status",
        store=True,
        precompute=True,
        compute_sudo=True,
    )
    # Not stored: said in the reader's language, dates in their format.
    warranty_status_reason = fields.Char(
        string="Warranty Reason",
        compute="_compute_warranty_status_reason",
        compute_sudo=True,
    )

    # Diagnosis
    fault_code_id = fields.Many2one(
        "aftersales.fault.code",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="['|', ('categ_id', '=', False), "
        "('categ_id', 'parent_of', product_categ_id or [])]",
        help="The diagnosed fault, from the fault catalogue of the product's "
        "category. Repairs are counted per serial and fault for the "
        "replacement rule.",
    )
    product_categ_id = fields.Many2one(
        related="product_id.categ_id", string="Product Category"
    )
    performance_failure = fields.Boolean(
        tracking=True,
        help="The unit fails to perform as specified (not damage, not "
        "wear): opens the return and exchange rights.",
    )
    warranty_exclusion_id = fields.Many2one(
        "aftersales.warranty.exclusion",
        tracking=True,
        domain="[('company_id', 'in', [False, company_id])]",
        help="Set by the technician when the failure is not covered (e.g. "
        "liquid damage). The customer is told why.",
    )
    warranty_exclusion_note = fields.Text(
        string="Exclusion Findings",
        tracking=True,
    )

    # Three guarantees (三包)
    repair_count = fields.Integer(
        string="Earlier Repairs",
        compute="_compute_three_guarantee",
        compute_sudo=True,
        help="Closed repairs of the same fault on this serial.",
    )
    three_guarantee_right = fields.Selection(
        THREE_GUARANTEE_RIGHTS,
        string="Three-Guarantee Right",
        compute="_compute_three_guarantee",
        compute_sudo=True,
    )
    three_guarantee_reason = fields.Char(
        string="Three-Guarantee Reason",
        compute="_compute_three_guarantee",
        compute_sudo=True,
    )
    replacement_state = fields.Selection(
        [
            ("none", "No Replacement"),
            ("proposed", "Replacement Proposed"),
            ("approved", "Replacement Approved"),
        ],
        default="none",
        required=True,
        tracking=True,
        copy=False,
    )
    replacement_approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    warranty_extended_days = fields.Integer(
        string="Warranty Days Added",
        readonly=True,
        copy=False,
        help="Days this repair added to the unit's warranty (the term extends "
        "the warranty by the time in repair); taken back if the ticket is "
        "cancelled.",
    )
    can_propose_replacement = fields.Boolean(compute="_compute_can_replacement")
    can_approve_replacement = fields.Boolean(compute="_compute_can_replacement")

    # Charging
    charge_ids = fields.One2many(
        "aftersales.ticket.charge", "ticket_id", string="Charging Decisions"
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("lot_id", "product_id", "partner_id")
    def _compute_warranty_id(self):
        """The warranty of the ticket's serial, or of the single unit of the
        product the customer has: one indexed search for the whole set."""
        lots = self.lot_id
        loose = self.filtered(lambda t: not t.lot_id and t.product_id and t.partner_id)
        domains = []
        if lots:
            domains.append([("lot_id", "in", lots.ids)])
        if loose:
            domains.append(
                [
                    ("product_id", "in", loose.product_id.ids),
                    (
                        "commercial_partner_id",
                        "in",
                        loose.partner_id.commercial_partner_id.ids,
                    ),
                    ("state", "!=", "void"),
                ]
            )
        warranties = self.env["aftersales.warranty"]
        if domains:
            warranties = warranties.search(
                expression.OR(domains), order="start_date desc, id desc"
            )
        by_lot = defaultdict(list)
        by_unit = defaultdict(list)
        for warranty in warranties:
            by_lot[warranty.lot_id.id].append(warranty)
            if warranty.state != "void":
                key = (warranty.product_id.id, warranty.commercial_partner_id.id)
                by_unit[key].append(warranty)
        for ticket in self:
            partner = ticket.partner_id.commercial_partner_id
            if ticket.lot_id:
                candidates = by_lot[ticket.lot_id.id]
                ranked = sorted(
                    candidates,
                    key=lambda w, p=partner: (
                        w.commercial_partner_id != p,
                        w.state == "void",
                    ),
                )
                ticket.warranty_id = ranked[0] if ranked else False
            else:
                key = (ticket.product_id.id, partner.id)
                candidates = by_unit.get(key, [])
                # Only a single unit of the product identifies the warranty.
                ticket.warranty_id = candidates[0] if len(candidates) == 1 else False

    @api.depends(
        "warranty_id",
        "warranty_date",
        "warranty_id.state",
        "warranty_id.void_reason",
        "warranty_id.delivery_date",
        "warranty_id.end_date",
        "warranty_id.component_ids.start_date",
        "warranty_id.component_ids.end_date",
    )
    def _compute_warranty_status(self):
        today = fields.Date.context_today(self)
        for ticket in self:
            warranty = ticket.warranty_id
            if not warranty:
                ticket.warranty_status = "unknown"
                ticket.warranty_remaining_days = 0
                ticket.warranty_end_date = False
                continue
            status, days, end, __ = warranty._status_at(
                ticket.warranty_date or today, reason=False
            )
            ticket.warranty_status = status
            ticket.warranty_remaining_days = days
            ticket.warranty_end_date = end

    @api.depends(
        "warranty_id",
        "warranty_date",
        "warranty_id.state",
        "warranty_id.void_reason",
        "warranty_id.delivery_date",
        "warranty_id.end_date",
        "warranty_id.component_ids.start_date",
        "warranty_id.component_ids.end_date",
    )
    @api.depends_context("lang")
    def _compute_warranty_status_reason(self):
        today = fields.Date.context_today(self)
        for ticket in self:
            if not ticket.warranty_id:
                ticket.warranty_status_reason = _("no warranty found for this unit")
                continue
            ticket.warranty_status_reason = ticket.warranty_id._status_at(
                ticket.warranty_date or today
            )[3]

    @api.depends(
        "warranty_id",
        "warranty_date",
        "warranty_status",
        "performance_failure",
        "fault_code_id",
        "lot_id",
        "warranty_exclusion_id",
    )
    @api.depends_context("lang")
    def _compute_three_guarantee(self):
        counts = self._warranty_repair_counts()
        today = fields.Date.context_today(self)
        for ticket in self:
            ticket.repair_count = counts.get(ticket.id, 0)
            right, reason = ticket._three_guarantee_right(today)
            ticket.three_guarantee_right = right
            ticket.three_guarantee_reason = reason

    @api.depends("replacement_state", "three_guarantee_right")
    @api.depends_context("uid")
    def _compute_can_replacement(self):
        is_manager = self.env.user.has_group(
            "aftersales_service.group_aftersales_manager"
        )
        for ticket in self:
            ticket.can_propose_replacement = (
                ticket.three_guarantee_right == "replacement"
                and ticket.replacement_state == "none"
            )
            ticket.can_approve_replacement = (
                is_manager and ticket.replacement_state == "proposed"
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def _lifecycle_watched_fields(self):
        return super()._lifecycle_watched_fields() | {
            "warranty_id",
            "warranty_status",
            "warranty_exclusion_id",
        }

    def _on_facts_changed(self, fnames, previous=None):
        if previous is None and "warranty_id" in fnames:
            # a warranty registered, changed or voided elsewhere: decide again
            # before the other capabilities read the ticket's warranty
            self.env.add_to_compute(self._fields["warranty_id"], self)
            self.env.add_to_compute(self._fields["warranty_status"], self)
            # what depends on the ticket's warranty (the charging lines)
            # decides again too
            self._recompute_recordset(["warranty_id"])
            self.modified(["warranty_id"])
            fnames = set(fnames) | {"warranty_status"}
        res = super()._on_facts_changed(fnames, previous)
        if previous is not None and "warranty_exclusion_id" in fnames:
            self.filtered(
                lambda t: (
                    t.warranty_exclusion_id
                    and previous[t.id]["warranty_exclusion_id"]
                    != t.warranty_exclusion_id
                )
            )._notify_warranty_exclusion()
        return res

    def _check_can_close(self, stage):
        res = super()._check_can_close(stage)
        if stage.outcome == "solved":
            self._ensure_repair_allowed()
        return res

    def _on_transition(self, kind, previous):
        """Only a solved ticket is a repair: it starts the warranty of the
        parts it consumed and may extend the unit's warranty. Cancelling a
        solved ticket takes the extension back."""
        res = super()._on_transition(kind, previous)
        if kind not in ("closed", "reclosed"):
            return res
        solved = self.filtered(lambda t: t.outcome == "solved")
        solved._create_repair_warranties()
        solved._extend_warranty_by_repair_time()
        (self - solved)._revert_warranty_extension()
        return res

    def _technician_writable_fields(self):
        return super()._technician_writable_fields() | WARRANTY_TECHNICIAN_FIELDS

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_warranty(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.warranty",
            "res_id": self.warranty_id.id,
            "view_mode": "form",
        }

    def action_decide_charges(self):
        """Add the labour and travel lines that are missing and decide every
        line again from the warranty as of the check date (except an agent's
        decision and what the customer accepted: ``_keeps_decision``)."""
        vals_list = []
        for ticket in self:
            present = set(ticket.charge_ids.mapped("charge_type"))
            vals_list += [
                {"ticket_id": ticket.id, "charge_type": charge_type}
                for charge_type in ("labour", "travel")
                if charge_type not in present
            ]
        self.env["aftersales.ticket.charge"].create(vals_list)
        # Decided again by their compute (not a hand-made change: no reason).
        charges = self.charge_ids
        for fname in ("decision", "covered_percent"):
            self.env.add_to_compute(charges._fields[fname], charges)
        charges.flush_recordset(["decision", "covered_percent"])
        return True

    def action_propose_replacement(self):
        for ticket in self:
            if not ticket.can_propose_replacement:
                raise UserError(
                    _(
                        "Ticket %(name)s: a replacement is proposed when the same "
                        "fault has reached the repair limit.",
                        name=ticket.name,
                    )
                )
            ticket.replacement_state = "proposed"
            ticket.message_post(
                body=_(
                    "Replacement proposed: %(reason)s",
                    reason=ticket.three_guarantee_reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_approve_replacement(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_manager"):
            raise UserError(_("Only an after-sales manager approves a replacement."))
        for ticket in self:
            if ticket.replacement_state != "proposed":
                raise UserError(
                    _(
                        "Ticket %(name)s: no replacement is waiting for approval.",
                        name=ticket.name,
                    )
                )
        self.write(
            {
                "replacement_state": "approved",
                "replacement_approved_by_id": self.env.user.id,
            }
        )
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _warranty_repair_counts(self):
        """Closed repairs of the same serial and fault: {ticket_id: count},
        one aggregate query for the set."""
        tickets = self.filtered(lambda t: t.lot_id and t.fault_code_id)
        if not tickets:
            return {}
        groups = (
            self.env["aftersales.ticket"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    ("lot_id", "in", tickets.lot_id.ids),
                    ("fault_code_id", "in", tickets.fault_code_id.ids),
                    ("outcome", "=", "solved"),
                    ("replacement_state", "!=", "approved"),
                ],
                ["lot_id", "fault_code_id"],
                ["id:array_agg"],
            )
        )
        closed = {(lot.id, fault.id): set(ids) for lot, fault, ids in groups}
        return {
            ticket.id: len(
                closed.get((ticket.lot_id.id, ticket.fault_code_id.id), set())
                - {ticket.id}
            )
            for ticket in tickets
        }

    def _three_guarantee_right(self, today):
        """(right, reason in words) for this ticket."""
        self.ensure_one()
        warranty = self.warranty_id
        term = warranty.term_id
        if not warranty or not term.three_guarantee or warranty.state == "void":
            return "none", False
        if self.warranty_exclusion_id:
            return "none", _(
                "no three-guarantee right: excluded, %(exclusion)s",
                exclusion=self.warranty_exclusion_id.name,
            )
        date = self.warranty_date or today
        days = (date - warranty.delivery_date).days
        if self.performance_failure and 0 <= days <= term.return_days:
            return "return", _(
                "return: performance failure %(days)s days after delivery, within "
                "%(limit)s days",
                days=days,
                limit=term.return_days,
            )
        if self.performance_failure and 0 <= days <= term.exchange_days:
            return "exchange", _(
                "exchange: performance failure %(days)s days after delivery, "
                "within %(limit)s days",
                days=days,
                limit=term.exchange_days,
            )
        if (
            term.replace_repair_count
            and self.repair_count >= term.replace_repair_count
            and self.warranty_status in ("in", "partly")
        ):
            return "replacement", _(
                "replacement: fault %(fault)s already repaired %(count)s times "
                "and still failing (limit %(limit)s repairs)",
                fault=self.fault_code_id.code,
                count=self.repair_count,
                limit=term.replace_repair_count,
            )
        return "none", False

    def _ensure_repair_allowed(self):
        for ticket in self:
            if (
                ticket.three_guarantee_right == "replacement"
                and ticket.replacement_state != "approved"
            ):
                raise UserError(
                    _(
                        "Ticket %(name)s: another repair is blocked, %(reason)s. "
                        "Propose a replacement and have a manager approve it.",
                        name=ticket.name,
                        reason=ticket.three_guarantee_reason,
                    )
                )

    @api.model
    def _charge_decision_facts(self):
        """The ticket's fields (paths) that ``_warranty_charge_decision``
        decides from: every charging line (labour and travel charges, parts
        on the reservation lines) depends on them, so that each decides again
        when one changes. Capabilities that extend the decision add theirs."""
        return {
            "warranty_id",
            "warranty_date",
            "warranty_exclusion_id",
            "warranty_id.state",
            "warranty_id.end_date",
            "warranty_id.component_ids.end_date",
            "resolution_mode",
        }

    def _warranty_charge_decision(self, charge_type, product):
        """(decision, covered percent, reason) for one charging line."""
        self.ensure_one()
        warranty = self.sudo().warranty_id
        if self.warranty_exclusion_id:
            return (
                "customer",
                0.0,
                _("excluded: %(exclusion)s", exclusion=self.warranty_exclusion_id.name),
            )
        if not warranty:
            return "customer", 0.0, _("no warranty found for this unit")
        if warranty.state == "void":
            return (
                "customer",
                0.0,
                _("warranty void: %(reason)s", reason=warranty.void_reason or ""),
            )
        date = self.warranty_date or fields.Date.context_today(self)
        if charge_type == "parts" and product:
            covered, end, label = warranty._covering_for(product, date)
        else:
            covered, end, label = (
                date <= warranty.end_date,
                warranty.end_date,
                _("unit"),
            )
        if not covered:
            return (
                "customer",
                0.0,
                _(
                    "%(label)s warranty ended %(end)s",
                    label=label,
                    end=format_date(self.env, end),
                ),
            )
        percent = warranty._coverage_at(charge_type, date)
        if percent >= 100:
            return (
                "free",
                100.0,
                _(
                    "%(label)s warranty until %(end)s",
                    label=label,
                    end=format_date(self.env, end),
                ),
            )
        if percent <= 0:
            return (
                "customer",
                0.0,
                _(
                    "%(type)s not covered by the warranty term",
                    type=dict(
                        self.env["aftersales.ticket.charge"]
                        ._fields["charge_type"]
                        ._description_selection(self.env)
                    )[charge_type],
                ),
            )
        return (
            "partial",
            percent,
            _(
                "%(label)s warranty until %(end)s covers %(percent)s%%",
                label=label,
                end=format_date(self.env, end),
                percent=round(percent),
            ),
        )

    def _notify_warranty_exclusion(self):
        """Tell the customer why the repair is not covered."""
        for ticket in self:
            exclusion = ticket.warranty_exclusion_id
            ticket.message_post(
                body=_(
                    "Your repair is not covered by the warranty: %(name)s. "
                    "%(description)s",
                    name=exclusion.name,
                    description=exclusion.description,
                ),
                partner_ids=ticket.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )

    def _create_repair_warranties(self):
        """Parts consumed under solved tickets get their own warranty from the
        repair date (the term's repair warranty days): the consumed
        reservation lines are the one record of what was replaced."""
        lines = (
            self.env["aftersales.part.reservation.line"]
            .sudo()
            .search(
                [
                    ("reservation_id.ticket_id", "in", self.ids),
                    ("qty_consumed", ">", 0),
                ]
            )
            .sorted(lambda line: (line.date_consumed or fields.Datetime.now(), line.id))
        )
        if not lines:
            return
        Component = self.env["aftersales.warranty.component"].sudo()
        today = fields.Date.context_today(self)
        done = set(
            Component.search([("ticket_id", "in", self.ids)]).mapped(
                lambda c: (c.ticket_id.id, c.product_id.id)
            )
        )
        vals_list = []
        for line in lines:
            ticket = line.reservation_id.ticket_id
            warranty = ticket.sudo().warranty_id
            days = warranty.term_id.repair_warranty_days
            key = (ticket.id, line.product_id.id)
            if not warranty or warranty.state == "void" or days <= 0 or key in done:
                continue
            done.add(key)
            # The parts' own warranty runs from the day they were fitted.
            start = (
                fields.Date.context_today(self, line.date_consumed)
                if line.date_consumed
                else today
            )
            vals_list.append(
                Component._prepare_repair_vals(
                    warranty, ticket, line.product_id, days, start
                )
            )
        Component.create(vals_list)

    def _extend_warranty_by_repair_time(self):
        """When the term says so, the warranty ends later by the days the unit
        spent in repair."""
        for ticket in self.sudo():
            warranty = ticket.warranty_id
            if (
                not warranty.term_id.extend_by_repair_time
                or warranty.state == "void"
                or ticket.warranty_status not in ("in", "partly")
                or not ticket.warranty_date
                or not ticket.closed_date
                or ticket.warranty_extended_days
            ):
                continue
            days = (ticket.closed_date.date() - ticket.warranty_date).days
            if days <= 0:
                continue
            warranty.repair_days += days
            ticket.warranty_extended_days = days
            warranty.message_post(
                body=_(
                    "%(days)s days in repair under ticket %(ticket)s: the warranty "
                    "now ends on %(end)s.",
                    days=days,
                    ticket=ticket.name,
                    end=warranty.end_date,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _revert_warranty_extension(self):
        """A ticket that turns out not to be a repair gives back the days it
        added to the warranty."""
        for ticket in self.sudo().filtered("warranty_extended_days"):
            warranty = ticket.warranty_id
            days = ticket.warranty_extended_days
            warranty.repair_days = max(warranty.repair_days - days, 0)
            ticket.warranty_extended_days = 0
            warranty.message_post(
                body=_(
                    "Ticket %(ticket)s was not a repair after all: the %(days)s "
                    "days it added are taken back; the warranty ends on %(end)s.",
                    ticket=ticket.name,
                    days=days,
                    end=warranty.end_date,
                ),
                subtype_xmlid="mail.mt_note",
            )
