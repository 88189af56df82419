from odoo import _, api, fields, models


class AftersalesVisit(models.Model):
    """Contract slice of the visit: the on-site entitlement that applies to
    the unit on the visit's day, with what is left, used once when the
    customer signs the service report."""

    _inherit = "aftersales.visit"

    entitlement_id = fields.Many2one(
        "aftersales.contract.entitlement",
        compute="_compute_entitlement",
        compute_sudo=True,
    )
    entitlement_left = fields.Char(
        string="Left Under Contract", compute="_compute_entitlement", compute_sudo=True
    )
    entitlement_reason = fields.Char(
        string="Contract Coverage", compute="_compute_entitlement", compute_sudo=True
    )
    contract_usage_id = fields.Many2one(
        "aftersales.contract.usage",
        string="Contract Service Used",
        compute="_compute_entitlement",
        compute_sudo=True,
    )

    @api.depends(
        "ticket_id.lot_id",
        "ticket_id.partner_id",
        "planned_start",
        "state",
    )
    @api.depends_context("lang")
    def _compute_entitlement(self):
        """One lookup query and one usage read for the whole set."""
        usages = {
            usage.visit_id.id: usage
            for usage in self.env["aftersales.contract.usage"]
            .sudo()
            .search([("visit_id", "in", self.ids)])
        }
        found = self.env["aftersales.contract.entitlement"]._lookup(
            [
                (
                    visit.ticket_id.lot_id.id,
                    visit.ticket_id.partner_id.commercial_partner_id.id,
                    "onsite",
                    fields.Date.to_date(visit.planned_start)
                    or fields.Date.context_today(visit),
                )
                for visit in self
            ]
        )
        for visit, entitlement in zip(self, found, strict=True):
            usage = usages.get(visit.id, self.env["aftersales.contract.usage"])
            if usage:
                entitlement = usage.entitlement_id
            if entitlement and entitlement.company_id != visit.company_id:
                entitlement = entitlement.browse()
            visit.contract_usage_id = usage
            visit.entitlement_id = entitlement
            visit.entitlement_left = entitlement.remaining_label or False
            visit.entitlement_reason = (
                entitlement._verdict(
                    "onsite",
                    fields.Date.to_date(visit.planned_start),
                    consumed=bool(usage),
                )[1]
                if entitlement
                else False
            )

    def _report_on_signature(self, author):
        res = super()._report_on_signature(author)
        self._consume_entitlement()
        return res

    def _consume_entitlement(self):
        """The signed visit uses one on-site service of its entitlement,
        once; not a visit planned by the contract itself (inspection)."""
        visits = self.sudo().filtered(
            lambda v: (
                v.entitlement_id
                and not v.contract_usage_id
                and not v.ticket_id.is_planned_work
                and v.entitlement_id._verdict(
                    "onsite", fields.Date.to_date(v.planned_start)
                )[0]
            )
        )
        usages = self.env["aftersales.contract.entitlement"]._consume(
            [(visit.entitlement_id, visit.ticket_id, visit) for visit in visits]
        )
        for usage in usages:
            usage.ticket_id.message_post(
                body=_(
                    "Visit %(visit)s used an on-site service of contract "
                    "%(contract)s: %(left)s.",
                    visit=usage.visit_id.name,
                    contract=usage.contract_id.name,
                    left=usage.entitlement_id.remaining_label,
                ),
                subtype_xmlid="mail.mt_note",
            )
        self.invalidate_recordset(["entitlement_id", "contract_usage_id"])
        return usages
