from odoo import api, fields, models

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

    @api.depends(
        "charge_type",
        "ticket_id.warranty_id",
        "ticket_id.warranty_date",
        "ticket_id.warranty_exclusion_id",
        "ticket_id.warranty_id.state",
        "ticket_id.warranty_id.end_date",
        "ticket_id.warranty_id.component_ids.end_date",
        "ticket_id.entitlement_id.used_count",
        "ticket_id.contract_usage_ids",
        "ticket_id.resolution_mode",
    )
    def _compute_decision(self):
        for line in self:
            decision, percent, __ = line.ticket_id._warranty_charge_decision(
                line.charge_type, line.env["product.product"]
            )
            line.decision = decision
            line.covered_percent = percent

    @api.depends(
        "charge_type",
        "ticket_id.warranty_id",
        "ticket_id.warranty_date",
        "ticket_id.warranty_exclusion_id",
        "ticket_id.warranty_id.state",
        "ticket_id.warranty_id.end_date",
        "ticket_id.warranty_id.component_ids.end_date",
        "ticket_id.entitlement_id.used_count",
        "ticket_id.contract_usage_ids",
        "ticket_id.resolution_mode",
    )
    @api.depends_context("lang")
    def _compute_reason(self):
        for line in self:
            line.reason = line.ticket_id._warranty_charge_decision(
                line.charge_type, line.env["product.product"]
            )[2]
