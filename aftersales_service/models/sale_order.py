from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    aftersales_ticket_count = fields.Integer(
        string="After-Sales Tickets",
        compute="_compute_aftersales_ticket_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    def _compute_aftersales_ticket_count(self):
        counts = self.env["aftersales.ticket"]._count_by("sale_order_id", self.ids)
        for order in self:
            order.aftersales_ticket_count = counts.get(order.id, 0)

    def action_view_aftersales_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("sale_order_id", "=", self.id)],
            {
                "default_sale_order_id": self.id,
                "default_partner_id": self.partner_id.id,
            },
        )

    aftersales_warranty_count = fields.Integer(
        string="Warranties",
        compute="_compute_aftersales_warranty_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    def _compute_aftersales_warranty_count(self):
        counts = self.env["aftersales.warranty"]._count_by("sale_order_id", self.ids)
        for order in self:
            order.aftersales_warranty_count = counts.get(order.id, 0)

    def action_view_aftersales_warranties(self):
        self.ensure_one()
        return self.env["aftersales.warranty"]._action_view(
            [("sale_order_id", "=", self.id)], {"default_sale_order_id": self.id}
        )

    aftersales_contract_count = fields.Integer(
        string="Service Contracts",
        compute="_compute_aftersales_contract_count",
    )

    def _compute_aftersales_contract_count(self):
        counts = (
            self.env["aftersales.contract"].sudo()._count_by("sale_order_id", self.ids)
        )
        for order in self:
            order.aftersales_contract_count = counts.get(order.id, 0)

    def action_view_aftersales_contracts(self):
        self.ensure_one()
        return self.env["aftersales.contract"]._action_view(
            [("sale_order_id", "=", self.id)]
        )

    def _action_confirm(self):
        res = super()._action_confirm()
        self.order_line._aftersales_extend_warranties()
        self.order_line._aftersales_create_contracts()
        return res
