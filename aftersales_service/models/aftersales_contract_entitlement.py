from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_date

from .ticket_field import RESOLUTION_MODES


class AftersalesContractEntitlement(models.Model):
    """What a customer may use under a contract: one coverage line for one
    unit (or for the customer as a whole), dated, with how many services it
    includes and how many were used. The rows ticket and visit look up in
    one indexed query (``_lookup``); written when the contract is
    activated, never by hand."""

    _name = "aftersales.contract.entitlement"
    _description = "Service Contract Entitlement"
    _order = "date_from, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "aftersales.contract",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    line_id = fields.Many2one(
        "aftersales.contract.line",
        string="Coverage",
        ondelete="set null",
        readonly=True,
    )
    name = fields.Char(related="line_id.name", string="Service")
    active = fields.Boolean(default=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        help="The customer (company) the contract is with.",
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        readonly=True,
        help="Empty: any unit of the customer.",
    )
    resolution_mode = fields.Selection(RESOLUTION_MODES, string="Mode", readonly=True)
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="Until", required=True, readonly=True)
    quantity = fields.Integer(
        string="Included", readonly=True, help="0: unlimited within the period."
    )
    covers_parts = fields.Boolean(string="Parts Included", readonly=True)
    usage_ids = fields.One2many(
        "aftersales.contract.usage", "entitlement_id", string="Uses"
    )
    used_count = fields.Integer(
        string="Used", compute="_compute_used_count", store=True, readonly=True
    )
    remaining = fields.Integer(
        string="Left",
        compute="_compute_remaining",
        help="Services left; -1 for unlimited.",
    )
    remaining_label = fields.Char(string="What Is Left", compute="_compute_remaining")

    _sql_constraints = [
        (
            "period",
            "CHECK(date_to >= date_from)",
            "An entitlement cannot end before it starts.",
        ),
        (
            "quantity_positive",
            "CHECK(quantity >= 0)",
            "The number of services included cannot be negative.",
        ),
    ]

    def init(self):
        # The lookup (see _lookup): a unit's entitlements, or, for the
        # customer as a whole, the customer's; live rows only.
        tools.create_index(
            self.env.cr,
            "aftersales_contract_entitlement_lot_lookup_idx",
            self._table,
            ["lot_id", "date_from"],
            where="active AND lot_id IS NOT NULL",
        )
        tools.create_index(
            self.env.cr,
            "aftersales_contract_entitlement_partner_lookup_idx",
            self._table,
            ["partner_id", "date_from"],
            where="active AND lot_id IS NULL",
        )

    @api.depends("usage_ids")
    def _compute_used_count(self):
        counts = {
            entitlement.id: count
            for entitlement, count in self.env["aftersales.contract.usage"]
            .sudo()
            ._read_group(
                [("entitlement_id", "in", self.ids)], ["entitlement_id"], ["__count"]
            )
        }
        for entitlement in self:
            entitlement.used_count = counts.get(entitlement.id, 0)

    @api.depends("quantity", "used_count")
    @api.depends_context("lang")
    def _compute_remaining(self):
        for entitlement in self:
            if not entitlement.quantity:
                entitlement.remaining = -1
                entitlement.remaining_label = _("Unlimited")
            else:
                entitlement.remaining = max(
                    entitlement.quantity - entitlement.used_count, 0
                )
                entitlement.remaining_label = _(
                    "%(left)s of %(total)s left",
                    left=entitlement.remaining,
                    total=entitlement.quantity,
                )

    @api.depends("contract_id.name", "name", "lot_id")
    def _compute_display_name(self):
        for entitlement in self:
            entitlement.display_name = " - ".join(
                part
                for part in (
                    entitlement.contract_id.name,
                    entitlement.name,
                    entitlement.lot_id.name,
                )
                if part
            )

    # ------------------------------------------------------------------
    # The lookup
    # ------------------------------------------------------------------

    @api.model
    def _lookup(self, queries):
        """Which entitlement applies to each query, in ONE indexed query for
        the whole list. ``queries``: [(lot id or None, commercial partner id
        or None, resolution mode or None, date)]. Returns a list of
        entitlements (empty where none), in the order of ``queries``.

        Among the live entitlements of the unit (and the customer-wide ones
        of the customer) started by the date, the best is the one that
        applies at the date in the mode with services left; then in the mode
        but used up; then in another mode; then the latest ended one, so
        that the ticket can say why it is not covered (ended, used up, other
        mode)."""
        if not queries:
            return []
        self.flush_model()
        self.env["aftersales.contract.usage"].flush_model()
        self.env.cr.execute(
            """
            SELECT q.n, e.id
              FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[],
                          %s::date[]) AS q(n, lot, partner, mode, day)
              LEFT JOIN LATERAL (
                   SELECT e.id
                     FROM aftersales_contract_entitlement e
                    WHERE e.active
                      AND (e.lot_id = q.lot
                           OR (e.lot_id IS NULL AND e.partner_id = q.partner))
                      AND e.date_from <= q.day
                    ORDER BY
                          (e.date_to >= q.day
                           AND (q.mode IS NULL OR e.resolution_mode IS NULL
                                OR e.resolution_mode = q.mode)
                           AND (e.quantity = 0 OR e.used_count < e.quantity)) DESC,
                          (e.date_to >= q.day
                           AND (q.mode IS NULL OR e.resolution_mode IS NULL
                                OR e.resolution_mode = q.mode)) DESC,
                          (e.date_to >= q.day) DESC,
                          e.lot_id IS NULL,
                          e.resolution_mode IS NULL,
                          e.date_to DESC,
                          e.id
                    LIMIT 1
                   ) e ON TRUE
             ORDER BY q.n
            """,
            [
                list(range(len(queries))),
                [lot or None for lot, __, __, __ in queries],
                [partner or None for __, partner, __, __ in queries],
                [mode or None for __, __, mode, __ in queries],
                [day for __, __, __, day in queries],
            ],
        )
        ids = [row[1] for row in self.env.cr.fetchall()]
        records = self.browse([i for i in ids if i])
        by_id = {record.id: record for record in records}
        return [by_id.get(i, self.browse()) for i in ids]

    def _verdict(self, mode, day, consumed=False):
        """(covers, reason in words) of this entitlement for a service in
        ``mode`` on ``day``; ``consumed``: this service already used it."""
        self.ensure_one()
        contract = self.contract_id
        modes = dict(self._fields["resolution_mode"]._description_selection(self.env))
        if consumed:
            return True, _(
                "covered by contract %(contract)s (%(service)s), used once",
                contract=contract.name,
                service=self.name,
            )
        if contract.state == "cancelled":
            return False, _(
                "contract %(contract)s was cancelled", contract=contract.name
            )
        if day > self.date_to:
            return False, _(
                "contract %(contract)s (%(service)s) ended on %(end)s",
                contract=contract.name,
                service=self.name,
                end=format_date(self.env, self.date_to),
            )
        if mode and self.resolution_mode and self.resolution_mode != mode:
            return False, _(
                "contract %(contract)s covers %(covered)s at this date, not %(mode)s",
                contract=contract.name,
                covered=modes[self.resolution_mode],
                mode=modes[mode],
            )
        if self.quantity and self.used_count >= self.quantity:
            return False, _(
                "contract %(contract)s: all %(total)s %(service)s used",
                contract=contract.name,
                total=self.quantity,
                service=self.name,
            )
        return True, _(
            "covered by contract %(contract)s (%(service)s) until %(end)s, %(left)s",
            contract=contract.name,
            service=self.name,
            end=format_date(self.env, self.date_to),
            left=self.remaining_label,
        )

    # ------------------------------------------------------------------
    # Consumption
    # ------------------------------------------------------------------

    @api.model
    def _consume(self, items):
        """Use one service of each entitlement for each (entitlement,
        ticket, visit) in ``items``, exactly once: the rows are locked, what
        was already used by the ticket (or visit) is left out, and a used-up
        entitlement is not used (the service is charged). One usage create
        for the batch. Returns the usages created."""
        items = [item for item in items if item[0]]
        if not items:
            return self.env["aftersales.contract.usage"]
        entitlements = self.browse({ent.id for ent, __, __ in items}).sudo()
        self.env.cr.execute(
            "SELECT id FROM aftersales_contract_entitlement WHERE id = ANY(%s) "
            "ORDER BY id FOR UPDATE",
            [entitlements.ids],
        )
        entitlements.invalidate_recordset(["used_count"])
        left = {
            ent.id: (ent.quantity - ent.used_count if ent.quantity else None)
            for ent in entitlements
        }
        vals_list = []
        for entitlement, ticket, visit in items:
            remaining = left[entitlement.id]
            if remaining is not None:
                if remaining <= 0:
                    continue
                left[entitlement.id] = remaining - 1
            vals_list.append(
                {
                    "entitlement_id": entitlement.id,
                    "ticket_id": ticket.id,
                    "visit_id": visit.id if visit else False,
                }
            )
        return self.env["aftersales.contract.usage"].sudo().create(vals_list)

    @api.constrains("used_count", "quantity")
    def _check_not_overused(self):
        for entitlement in self:
            if entitlement.quantity and entitlement.used_count > entitlement.quantity:
                raise ValidationError(
                    _(
                        "Contract %(contract)s: all %(total)s %(service)s are "
                        "used; this service is chargeable.",
                        contract=entitlement.contract_id.name,
                        total=entitlement.quantity,
                        service=entitlement.name,
                    )
                )
