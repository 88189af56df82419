from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    aftersales_vip = fields.Boolean(
        string="After-Sales VIP",
        tracking=True,
        help="VIP customers get a dedicated, faster service lane.",
    )
    aftersales_note = fields.Text(
        string="Service Notes",
        help="Notes shown on every ticket of this customer, e.g. 'elderly at "
        "home, prefer mornings'.",
    )
    aftersales_ticket_count = fields.Integer(
        string="After-Sales Tickets",
        compute="_compute_aftersales_ticket_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    def _compute_aftersales_ticket_count(self):
        # Count on the commercial entity so a company shows its contacts'
        # tickets too.
        counts = self.env["aftersales.ticket"]._count_by(
            "commercial_partner_id", self.commercial_partner_id.ids
        )
        for partner in self:
            partner.aftersales_ticket_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def action_view_aftersales_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("commercial_partner_id", "=", self.commercial_partner_id.id)],
            {"default_partner_id": self.id},
        )

    aftersales_warranty_count = fields.Integer(
        string="Warranties",
        compute="_compute_aftersales_warranty_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    def _compute_aftersales_warranty_count(self):
        counts = self.env["aftersales.warranty"]._count_by(
            "commercial_partner_id", self.commercial_partner_id.ids
        )
        for partner in self:
            partner.aftersales_warranty_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def action_view_aftersales_warranties(self):
        self.ensure_one()
        return self.env["aftersales.warranty"]._action_view(
            [("commercial_partner_id", "=", self.commercial_partner_id.id)],
            {"default_partner_id": self.id},
        )

    def write(self, vals):
        res = super().write(vals)
        if "aftersales_vip" in vals:
            # the VIP lane is decided per ticket: open tickets decide again
            tickets = (
                self.env["aftersales.ticket"]
                .sudo()
                .search(
                    [
                        ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                        ("is_closed", "=", False),
                    ]
                )
            )
            tickets._on_facts_changed({"is_vip"})
        return res
