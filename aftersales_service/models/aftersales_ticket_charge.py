from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_round

# Parts are charged on the consumed reservation lines (one decision per
# part); the ticket's charging lines hold what is not a part.
CHARGE_TYPES = [
    ("labour", "Labour"),
    ("travel", "Travel"),
]

CHARGE_DECISIONS = [
    ("free", "Free"),
    ("partial", "Partly Charged"),
    ("customer", "Customer Pays"),
]


class AftersalesTicketCharge(models.Model):
    _name = "aftersales.ticket.charge"
    _description = "After-Sales Ticket Charging Decision"
    _order = "ticket_id, sequence, id"
    _check_company_auto = True

    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="ticket_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    charge_type = fields.Selection(
        CHARGE_TYPES, string="Type", required=True, default="labour"
    )
    name = fields.Char(string="Description")
    decision = fields.Selection(
        CHARGE_DECISIONS,
        compute="_compute_decision",
        store=True,
        readonly=False,
        precompute=True,
    )
    covered_percent = fields.Float(
        string="Covered (%)",
        compute="_compute_decision",
        store=True,
        readonly=False,
        precompute=True,
    )
    # Not stored: said in the reader's language, dates in their format.
    reason = fields.Char(
        compute="_compute_reason",
        help="Why the customer pays or not, in words the customer is told.",
    )
    decision_note = fields.Char(
        string="Reason for Change",
        copy=False,
        help="Why an agent or manager changed the decision (logged on the ticket).",
    )

    # Amounts: quantity from the visits, prices from the service price list
    fee_id = fields.Many2one(
        "aftersales.service.fee",
        compute="_compute_fee_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        help="The price list fee: labour by the unit's product category, "
        "travel by the team's zone.",
    )
    product_id = fields.Many2one(related="fee_id.product_id", string="Quoted As")
    quantity = fields.Float(
        compute="_compute_quantity",
        store=True,
        digits="Product Unit of Measure",
        help="Labour: hours on site recorded by the visits' check-in and "
        "check-out. Travel: visits checked in.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price_unit = fields.Monetary(
        string="Unit Price", related="fee_id.price", store=True, readonly=True
    )
    cost_unit = fields.Monetary(
        string="Unit Cost", related="fee_id.cost", store=True, readonly=True
    )
    amount_total = fields.Monetary(
        string="Full Price", compute="_compute_amounts", store=True
    )
    charged_amount = fields.Monetary(
        string="Customer Pays", compute="_compute_amounts", store=True
    )
    covered_cost = fields.Monetary(
        compute="_compute_amounts",
        store=True,
        help="The covered share valued at the company's cost.",
    )
    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Quotation Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )

    @api.depends(lambda self: ["charge_type", *ticket_charge_facts(self)])
    def _compute_decision(self):
        for line in self:
            if line._keeps_decision():
                # Not assigned: the stored decision stays (Odoo marks the
                # field computed before calling this method).
                continue
            decision, percent, __ = line.ticket_id._warranty_charge_decision(
                line.charge_type, line.env["product.product"]
            )
            line.decision = decision
            line.covered_percent = percent

    @api.depends(lambda self: ["charge_type", *ticket_charge_facts(self)])
    @api.depends_context("lang")
    def _compute_reason(self):
        for line in self:
            line.reason = line.ticket_id._warranty_charge_decision(
                line.charge_type, line.env["product.product"]
            )[2]

    @api.depends("charge_type", "ticket_id.product_id.categ_id", "ticket_id.team_id")
    def _compute_fee_id(self):
        fees = self.env["aftersales.service.fee"].sudo()._fees_for(self.ticket_id)
        for line in self:
            line.fee_id = fees.get(
                (line.ticket_id.id, line.charge_type),
                line.env["aftersales.service.fee"],
            ).sudo(False)

    @api.depends(
        "charge_type",
        "ticket_id.visit_ids.duration",
        "ticket_id.visit_ids.check_in_date",
    )
    def _compute_quantity(self):
        for line in self:
            visits = line.ticket_id.sudo().visit_ids.filtered("check_in_date")
            if line.charge_type == "labour":
                line.quantity = float_round(
                    sum(visits.mapped("duration")), precision_digits=2
                )
            else:
                line.quantity = len(visits)

    @api.depends("quantity", "price_unit", "cost_unit", "decision", "covered_percent")
    def _compute_amounts(self):
        for line in self:
            line.amount_total, line.charged_amount, line.covered_cost = _charge_amounts(
                line.currency_id,
                line.quantity,
                line.price_unit,
                line.cost_unit,
                line._covered_share(),
            )

    def _keeps_decision(self):
        """An agent's decision (made with a reason) and a decision the
        customer accepted (the ticket's quotation signed) are not decided
        again when the facts change. A line never decided is decided."""
        self.ensure_one()
        if not self.decision:
            return False
        return bool(self.decision_note) or self.ticket_id._charge_decision_settled()

    def _covered_share(self):
        self.ensure_one()
        if self.decision == "free":
            return 1.0
        if self.decision == "partial":
            return min(max(self.covered_percent, 0.0), 100.0) / 100.0
        return 0.0

    def _is_charged(self):
        self.ensure_one()
        return self.decision != "free" and self.charged_amount > 0

    # ------------------------------------------------------------------
    # CRUD: who may decide
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if any(set(vals) & DECISION_FIELDS for vals in vals_list):
            self._ensure_can_decide()
        return super().create(vals_list)

    def write(self, vals):
        if not DECISION_FIELDS & set(vals) or self.env.su:
            return super().write(vals)
        self._ensure_can_decide()
        note = (vals.get("decision_note") or "").strip()
        if not note:
            raise UserError(
                self.env._(
                    "Reason for Change: say why the charging decision changes "
                    "(it is logged on the ticket)."
                )
            )
        before = {line.id: line._decision_label() for line in self}
        res = super().write(vals)
        bodies = {}
        for line in self:
            bodies.setdefault(line.ticket_id, []).append(
                self.env._(
                    "Charging of %(item)s changed from %(old)s to %(new)s by "
                    "%(user)s: %(reason)s",
                    item=line._item_label(),
                    old=before[line.id],
                    new=line._decision_label(),
                    user=self.env.user.name,
                    reason=note,
                )
            )
        for ticket, lines in bodies.items():
            ticket.sudo().message_post(
                body="\n".join(lines), subtype_xmlid="mail.mt_note"
            )
        return res

    def _ensure_can_decide(self):
        if not self.env.su and not self.env.user.has_group(
            "aftersales_service.group_aftersales_user_own"
        ):
            raise AccessError(
                self.env._(
                    "Only after-sales agents and managers change charging "
                    "decisions; technicians record what they find."
                )
            )

    def _item_label(self):
        self.ensure_one()
        return dict(self._fields["charge_type"]._description_selection(self.env))[
            self.charge_type
        ]

    def _decision_label(self):
        self.ensure_one()
        label = dict(self._fields["decision"]._description_selection(self.env)).get(
            self.decision, ""
        )
        if self.decision == "partial":
            label = f"{label} ({round(self.covered_percent)}%)"
        return label

    def _prepare_sale_line_vals(self, order):
        self.ensure_one()
        name = f"{self.product_id.display_name}: {self.name or self._item_label()}"
        if self.reason:
            name = f"{name}\n{self.reason}"
        return {
            "order_id": order.id,
            "product_id": self.product_id.id,
            "name": name,
            "product_uom_qty": self.quantity,
            "price_unit": self.price_unit,
            "discount": self.covered_percent if self.decision == "partial" else 0.0,
        }


def ticket_charge_facts(model, ticket_path="ticket_id"):
    """The ticket's charging facts as paths from a charging line (through
    ``ticket_path``): the dependencies every charging line shares."""
    return [
        f"{ticket_path}.{path}"
        for path in sorted(model.env["aftersales.ticket"]._charge_decision_facts())
    ]


# Fields that hold a charging decision: only agents and managers change them.
DECISION_FIELDS = {"decision", "covered_percent"}


def _charge_amounts(currency, quantity, price_unit, cost_unit, covered_share):
    """(full price, what the customer pays, covered share at cost)."""
    full = quantity * price_unit
    charged = full * (1.0 - covered_share)
    covered = quantity * cost_unit * covered_share
    if currency:
        return currency.round(full), currency.round(charged), currency.round(covered)
    return full, charged, covered
