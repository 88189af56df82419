from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .ticket_field import RESOLUTION_MODES


class AftersalesContractLine(models.Model):
    """One coverage line of a contract (or of a template): a service mode
    covered from a month to a month of the contract, e.g. months 0-12 on
    site, 12-36 carry-in; with a quantity it is a counted service (five
    on-site software visits)."""

    _name = "aftersales.contract.line"
    _description = "Service Contract Coverage"
    _order = "sequence, month_from, id"

    sequence = fields.Integer(default=10)
    template_id = fields.Many2one(
        "aftersales.contract.template", ondelete="cascade", index="btree_not_null"
    )
    contract_id = fields.Many2one(
        "aftersales.contract", ondelete="cascade", index="btree_not_null"
    )
    name = fields.Char(
        string="Service",
        required=True,
        translate=True,
        help="What the customer is entitled to, e.g. 'On-site software visit'.",
    )
    resolution_mode = fields.Selection(
        RESOLUTION_MODES,
        string="Mode",
        help="How the service is given. Empty: any mode.",
    )
    month_from = fields.Integer(string="From Month", default=0, required=True)
    month_to = fields.Integer(string="To Month", default=12, required=True)
    quantity = fields.Integer(
        string="Services Included",
        help="How many times the customer may use it in the period; 0 for unlimited.",
    )
    covers_parts = fields.Boolean(
        string="Parts Included",
        default=True,
        help="Labour and travel are always included; parts when ticked.",
    )

    _sql_constraints = [
        (
            "template_or_contract",
            "CHECK((template_id IS NULL) != (contract_id IS NULL))",
            "A coverage line belongs to a template or to a contract.",
        ),
    ]

    @api.constrains("month_from", "month_to", "quantity")
    def _check_period(self):
        for line in self:
            if line.month_from < 0 or line.month_to <= line.month_from:
                raise ValidationError(
                    _(
                        "Coverage %(name)s: the period must end after it "
                        "starts (from month %(start)s to month %(end)s).",
                        name=line.name,
                        start=line.month_from,
                        end=line.month_to,
                    )
                )
            if line.quantity < 0:
                raise ValidationError(
                    _(
                        "Coverage %(name)s: the number of services cannot be "
                        "negative (0 means unlimited).",
                        name=line.name,
                    )
                )

    def _prepare_copy_vals(self):
        self.ensure_one()
        return {
            "sequence": self.sequence,
            "name": self.name,
            "resolution_mode": self.resolution_mode,
            "month_from": self.month_from,
            "month_to": self.month_to,
            "quantity": self.quantity,
            "covers_parts": self.covers_parts,
        }
