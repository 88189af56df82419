from odoo import fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    aftersales_ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Quoted Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The after-sales ticket whose charges this quotation holds.",
    )

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

    def action_view_aftersales_quoted_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.aftersales_ticket_id.id,
            "view_mode": "form",
        }

    def _aftersales_subscribe_customers(self):
        """The customer follows their service quotation: the portal shows it
        to them (sale's portal rule reads the followers)."""
        for partner, orders in self.grouped("partner_id").items():
            todo = orders.filtered(lambda o, p=partner: p not in o.message_partner_ids)
            if todo:
                todo.message_subscribe(partner_ids=partner.ids)

    def _aftersales_check_charges(self):
        """A ticket's quotation confirms only for the amount its charging
        lines say: a line edited by hand on the quotation is refused."""
        for order in self.filtered("aftersales_ticket_id"):
            ticket = order.aftersales_ticket_id.sudo()
            sources = [
                *ticket.part_reservation_ids.line_ids.filtered("sale_line_id"),
                *ticket.charge_ids.filtered("sale_line_id"),
            ]
            mine = [
                source for source in sources if source.sale_line_id.order_id == order
            ]
            quoted = sum(source.sale_line_id.price_subtotal for source in mine)
            expected = sum(source.charged_amount for source in mine)
            # Sale rounds each line on its own: a cent per line is rounding.
            tolerance = order.currency_id.rounding * max(len(mine), 1)
            if abs(quoted - expected) > tolerance + 1e-9:
                raise UserError(
                    self.env._(
                        "Quotation %(order)s asks %(quoted)s for the charges of "
                        "ticket %(ticket)s, but its charging lines say "
                        "%(expected)s. Press Quote on the ticket to bring the "
                        "quotation in line.",
                        order=order.name,
                        quoted=order.currency_id.format(quoted),
                        ticket=ticket.name,
                        expected=order.currency_id.format(expected),
                    )
                )

    def action_confirm(self):
        self._aftersales_check_charges()
        return super().action_confirm()

    def _action_confirm(self):
        res = super()._action_confirm()
        self.order_line._aftersales_extend_warranties()
        self.order_line._aftersales_create_contracts()
        return res
