from odoo import _, api, fields, models


class AftersalesTicket(models.Model):
    """Contract slice of the ticket: the entitlement that applies to the
    unit (or the customer) at the ticket's date for its resolution mode,
    what is left of it, whether it covers the service and why (read by the
    charging decisions), and its consumption when the ticket is solved."""

    _inherit = "aftersales.ticket"

    entitlement_id = fields.Many2one(
        "aftersales.contract.entitlement",
        compute="_compute_entitlement_id",
        store=True,
        precompute=True,
        compute_sudo=True,
        index="btree_not_null",
        help="The contract entitlement that applies to this unit (or "
        "customer) on the ticket's date, for its resolution mode.",
    )
    contract_id = fields.Many2one(
        "aftersales.contract",
        string="Service Contract",
        related="entitlement_id.contract_id",
        store=True,
        index="btree_not_null",
    )
    entitlement_left = fields.Char(
        string="Left Under Contract",
        related="entitlement_id.remaining_label",
    )
    entitlement_covers = fields.Boolean(
        string="Covered by Contract",
        compute="_compute_entitlement_verdict",
        compute_sudo=True,
    )
    entitlement_reason = fields.Char(
        string="Contract Coverage",
        compute="_compute_entitlement_verdict",
        compute_sudo=True,
        help="Whether the contract covers this service, in words.",
    )
    contract_usage_ids = fields.One2many(
        "aftersales.contract.usage", "ticket_id", string="Contract Services Used"
    )

    @api.depends(
        "lot_id",
        "partner_id.commercial_partner_id",
        "resolution_mode",
        "warranty_date",
        "company_id",
        "contract_usage_ids",
    )
    def _compute_entitlement_id(self):
        """One indexed query for the whole set; a ticket that used an
        entitlement keeps it."""
        todo = []
        for ticket in self:
            if ticket.contract_usage_ids:
                ticket.entitlement_id = ticket.contract_usage_ids[:1].entitlement_id
            else:
                todo.append(ticket)
        if not todo:
            return
        today = fields.Date.context_today(self)
        found = self.env["aftersales.contract.entitlement"]._lookup(
            [
                (
                    ticket.lot_id.id,
                    ticket.partner_id.commercial_partner_id.id,
                    ticket.resolution_mode,
                    ticket.warranty_date or today,
                )
                for ticket in todo
            ]
        )
        for ticket, entitlement in zip(todo, found, strict=True):
            if entitlement and entitlement.company_id != ticket.company_id:
                entitlement = entitlement.browse()
            ticket.entitlement_id = entitlement

    @api.depends(
        "entitlement_id.used_count",
        "entitlement_id.active",
        "entitlement_id.contract_id.state",
        "contract_usage_ids",
        "resolution_mode",
        "warranty_date",
    )
    @api.depends_context("lang")
    def _compute_entitlement_verdict(self):
        today = fields.Date.context_today(self)
        for ticket in self:
            entitlement = ticket.entitlement_id
            if not entitlement:
                ticket.entitlement_covers = False
                ticket.entitlement_reason = False
                continue
            covers, reason = entitlement._verdict(
                ticket.resolution_mode,
                ticket.warranty_date or today,
                consumed=bool(ticket.contract_usage_ids),
            )
            ticket.entitlement_covers = covers
            ticket.entitlement_reason = reason

    @api.depends("contract_id.response_tier")
    def _compute_sla_policy_id(self):
        return super()._compute_sla_policy_id()

    def _sla_policy_facts(self):
        facts = super()._sla_policy_facts()
        contract = self.sudo().contract_id
        facts["contract_tier"] = (
            contract.response_tier if contract.state == "active" else False
        )
        return facts

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------

    def _lifecycle_watched_fields(self):
        return super()._lifecycle_watched_fields() | {"contract_id"}

    def _on_transition(self, kind, previous):
        """A ticket solved uses one service of its entitlement, unless one
        of its visits already did (signed) or it is planned work of the
        contract (an inspection)."""
        res = super()._on_transition(kind, previous)
        if kind in ("closed", "reclosed"):
            self.filtered(lambda t: t.outcome == "solved")._consume_entitlement()
        return res

    def _consume_entitlement(self):
        tickets = self.sudo().filtered(
            lambda t: (
                t.entitlement_id
                and not t.contract_usage_ids
                and not t.is_planned_work
                and t.entitlement_covers
            )
        )
        usages = self.env["aftersales.contract.entitlement"]._consume(
            [(ticket.entitlement_id, ticket, None) for ticket in tickets]
        )
        for usage in usages:
            usage.ticket_id.message_post(
                body=_(
                    "Service used under contract %(contract)s (%(service)s): %(left)s.",
                    contract=usage.contract_id.name,
                    service=usage.entitlement_id.name,
                    left=usage.entitlement_id.remaining_label,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return usages

    def _refresh_entitlement(self):
        """A contract was activated or cancelled elsewhere: look up again
        and let the capabilities decide again (SLA tier, charges)."""
        self.env.add_to_compute(self._fields["entitlement_id"], self)
        self._recompute_recordset(["entitlement_id"])
        self.modified(["entitlement_id"])
        self.flush_recordset()
        self._on_facts_changed({"contract_id", "sla_policy_id"})

    # ------------------------------------------------------------------
    # Charging
    # ------------------------------------------------------------------

    @api.model
    def _charge_decision_facts(self):
        return super()._charge_decision_facts() | {
            "entitlement_id",
            "entitlement_id.used_count",
            "entitlement_id.covers_parts",
            "entitlement_covers",
            "contract_usage_ids",
        }

    def _warranty_charge_decision(self, charge_type, product):
        """The warranty decides first; where it leaves the customer to pay
        (in part or in full), a contract that covers the service makes it
        free, and an exhausted or ended one says why the customer pays."""
        decision = super()._warranty_charge_decision(charge_type, product)
        if decision[0] == "free":
            return decision
        ticket = self.sudo()
        entitlement = ticket.entitlement_id
        if not entitlement:
            return decision
        covers = ticket.entitlement_covers
        if covers and charge_type == "parts" and not entitlement.covers_parts:
            return (
                decision[0],
                decision[1],
                _(
                    "%(reason)s; parts not included in contract %(contract)s",
                    reason=decision[2],
                    contract=entitlement.contract_id.name,
                ),
            )
        if covers:
            return "free", 100.0, ticket.entitlement_reason
        if decision[0] == "partial":
            return decision
        return "customer", 0.0, ticket.entitlement_reason

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_contract(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.contract",
            "res_id": self.contract_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
