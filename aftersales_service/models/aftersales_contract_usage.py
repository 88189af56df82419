from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError


class AftersalesContractUsage(models.Model):
    """One service used under a contract: by a signed visit, or by a ticket
    closed solved without such a visit. A visit uses its entitlement once,
    a ticket once: unique indexes hold it even under concurrency."""

    _name = "aftersales.contract.usage"
    _description = "Service Contract Usage"
    _inherit = ["aftersales.smart.button.mixin"]
    _order = "date desc, id desc"
    _aftersales_action = "aftersales_service.aftersales_contract_usage_action"
    _check_company_auto = True

    entitlement_id = fields.Many2one(
        "aftersales.contract.entitlement",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    contract_id = fields.Many2one(
        related="entitlement_id.contract_id", store=True, index=True
    )
    company_id = fields.Many2one(
        related="entitlement_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="entitlement_id.partner_id", store=True)
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    visit_id = fields.Many2one(
        "aftersales.visit",
        ondelete="restrict",
        index="btree_not_null",
        readonly=True,
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    # What a salesperson (no ticket or visit rights) reads of the service.
    ticket_ref = fields.Char(related="ticket_id.name", string="Ticket Reference")
    visit_ref = fields.Char(related="visit_id.name", string="Visit Reference")

    def init(self):
        tools.create_unique_index(
            self.env.cr,
            "aftersales_contract_usage_visit_uniq",
            self._table,
            ["visit_id"],
        )
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS aftersales_contract_usage_ticket_uniq
                ON aftersales_contract_usage (ticket_id) WHERE visit_id IS NULL
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_once(vals_list)
        return super().create(vals_list)

    @api.model
    def _check_once(self, vals_list):
        """Readable refusal before the unique indexes' (same rule): a visit
        uses a service once, a ticket without visit once."""
        seen = set()
        for vals in vals_list:
            key = (
                ("visit_id", "=", vals["visit_id"])
                if vals.get("visit_id")
                else ("ticket_id", "=", vals.get("ticket_id"))
            )
            domain = [key]
            if key[0] == "ticket_id":
                domain.append(("visit_id", "=", False))
            twice = self.sudo().search(domain, limit=1)
            if twice or key in seen:
                ticket = self.env["aftersales.ticket"].sudo().browse(vals["ticket_id"])
                raise ValidationError(
                    _(
                        "%(what)s already used contract %(contract)s: an "
                        "entitlement is consumed once per service.",
                        what=ticket.name,
                        contract=twice.contract_id.name or "",
                    )
                )
            seen.add(key)

    @api.constrains("ticket_id", "entitlement_id")
    def _check_ticket_company(self):
        for usage in self:
            if usage.ticket_id.company_id != usage.company_id:
                raise ValidationError(
                    _(
                        "Ticket %(ticket)s is not of the company of contract "
                        "%(contract)s.",
                        ticket=usage.ticket_id.name,
                        contract=usage.contract_id.name,
                    )
                )
