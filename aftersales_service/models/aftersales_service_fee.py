from odoo import api, fields, models
from odoo.exceptions import ValidationError

FEE_TYPES = [
    ("labour", "Labour"),
    ("travel", "Travel"),
]


class AftersalesServiceFee(models.Model):
    _name = "aftersales.service.fee"
    _description = "Service Price List Fee"
    _order = "fee_type, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    fee_type = fields.Selection(FEE_TYPES, string="Type", required=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Quoted As",
        required=True,
        check_company=True,
        domain="[('type', '=', 'service')]",
        help="The service product of the quotation line.",
    )
    # Where the fee applies: labour per product category, travel per team
    # (the team's zone). Empty: the company's default fee of that type.
    product_categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        help="Labour: the rate for units of this category (and its "
        "sub-categories). Empty: every category without its own rate.",
    )
    team_id = fields.Many2one(
        "aftersales.team",
        string="Team Zone",
        check_company=True,
        help="Travel: the fee for visits of this team's zone. Empty: every "
        "team without its own fee.",
    )
    unit_label = fields.Char(
        string="Per",
        translate=True,
        help="What one unit is, as the customer reads it (hour, visit).",
    )
    price = fields.Monetary(
        string="Customer Price",
        required=True,
        help="What the customer pays per unit when the service is charged.",
    )
    cost = fields.Monetary(
        string="Company Cost",
        help="What one unit costs the company: values the covered part as "
        "warranty or contract cost.",
    )
    published = fields.Boolean(
        default=True,
        help="Shown on the public service price list.",
    )
    description = fields.Text(translate=True)

    @api.constrains("price", "cost")
    def _check_amounts(self):
        for fee in self:
            if fee.price < 0 or fee.cost < 0:
                raise ValidationError(
                    self.env._(
                        "Fee %(name)s: a price or cost cannot be negative "
                        "(price %(price)s, cost %(cost)s).",
                        name=fee.name,
                        price=fee.price,
                        cost=fee.cost,
                    )
                )

    @api.model
    def _fees_for(self, tickets):
        """{(ticket id, fee type): fee} for the tickets: labour by the unit's
        product category (nearest category with a rate), travel by the
        ticket's team; else the company's default. One search for the set."""
        fees = self.search(
            [("company_id", "in", tickets.company_id.ids)], order="sequence, id"
        )
        by_key = {}
        for fee in fees:
            key = (
                fee.company_id.id,
                fee.fee_type,
                fee.product_categ_id.id or fee.team_id.id or False,
            )
            by_key.setdefault(key, fee)
        result = {}
        for ticket in tickets:
            company = ticket.company_id.id
            categ = ticket.product_id.categ_id
            labour = self.browse()
            while categ and not labour:
                labour = by_key.get((company, "labour", categ.id), self.browse())
                categ = categ.parent_id
            result[ticket.id, "labour"] = labour or by_key.get(
                (company, "labour", False), self.browse()
            )
            result[ticket.id, "travel"] = by_key.get(
                (company, "travel", ticket.team_id.id), self.browse()
            ) or by_key.get((company, "travel", False), self.browse())
        return result

    @api.model
    def _price_list_values(self, company):
        """What the public price list shows for ``company``: published fees
        and published spare parts with their sales price. Read as superuser,
        limited to published prices (nothing about customers)."""
        fees = (
            self.sudo()
            .with_company(company)
            .search(
                [("company_id", "=", company.id), ("published", "=", True)],
                order="fee_type, sequence, id",
            )
        )
        parts = (
            self.env["product.template"]
            .sudo()
            .with_company(company)
            .search(
                [
                    ("aftersales_price_published", "=", True),
                    ("sale_ok", "=", True),
                    ("company_id", "in", [False, company.id]),
                ],
                order="name, id",
            )
        )
        return {
            "company": company,
            "currency": company.currency_id,
            "labour_fees": fees.filtered(lambda f: f.fee_type == "labour"),
            "travel_fees": fees.filtered(lambda f: f.fee_type == "travel"),
            "parts": parts,
        }
