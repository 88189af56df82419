from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Quotation states in which the ticket's quotation is still updated.
QUOTE_OPEN_STATES = ("draft", "sent")
# Watched facts whose change may change a charging decision (besides the
# fields of ``_charge_decision_facts``): the unit and the customer decide the
# warranty and the contract.
CHARGE_FACT_EVENTS = {
    "contract_id",
    "warranty_status",
    "lot_id",
    "partner_id",
    "product_id",
}


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # One quotation per ticket for what the customer pays
    quotation_id = fields.Many2one(
        "sale.order",
        string="Service Quotation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        check_company=True,
        help="The one quotation of the ticket: charged parts, labour and "
        "travel. The customer accepts and signs it on the portal.",
    )
    quotation_state = fields.Selection(
        related="quotation_id.state", string="Quotation Status"
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count")
    charging_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Charging Currency"
    )
    covered_cost = fields.Monetary(
        currency_field="charging_currency_id",
        compute="_compute_charging_amounts",
        store=True,
        compute_sudo=True,
        help="What the company bears for this ticket (warranty or contract), "
        "at cost: covered parts at their cost, labour and travel at the cost "
        "rates of the price list.",
    )
    charged_amount = fields.Monetary(
        string="Charged to Customer",
        currency_field="charging_currency_id",
        compute="_compute_charging_amounts",
        store=True,
        compute_sudo=True,
        help="What the customer pays (untaxed) for parts, labour and travel.",
    )
    can_quote = fields.Boolean(compute="_compute_can_quote")
    can_decide_charging = fields.Boolean(compute="_compute_can_quote")

    @api.depends(
        "charge_ids.covered_cost",
        "charge_ids.charged_amount",
        "part_reservation_ids.line_ids.warranty_cost",
        "part_reservation_ids.line_ids.charged_amount",
    )
    def _compute_charging_amounts(self):
        for ticket in self:
            parts = ticket.part_reservation_ids.line_ids
            ticket.covered_cost = sum(ticket.charge_ids.mapped("covered_cost")) + sum(
                parts.mapped("warranty_cost")
            )
            ticket.charged_amount = sum(
                ticket.charge_ids.mapped("charged_amount")
            ) + sum(parts.mapped("charged_amount"))

    def _compute_invoice_count(self):
        orders = self.sudo().quotation_id
        counts = {order.id: len(order.invoice_ids) for order in orders}
        for ticket in self:
            ticket.invoice_count = counts.get(ticket.sudo().quotation_id.id, 0)

    @api.depends_context("uid")
    def _compute_can_quote(self):
        allowed = self.env.user.has_group(
            "aftersales_service.group_aftersales_user_own"
        )
        for ticket in self:
            ticket.can_decide_charging = allowed
            ticket.can_quote = allowed and (
                not ticket.quotation_id or ticket.quotation_state in QUOTE_OPEN_STATES
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_quote(self):
        """Build or update the ticket's one quotation, in one click."""
        self._ensure_can_quote()
        orders = self._build_quotations()
        if len(self) == 1 and self.quotation_id:
            return self.action_view_quotation()
        if not orders:
            raise UserError(
                self.env._(
                    "Nothing to quote: every consumed part, the labour and the "
                    "travel of %(names)s are free for the customer.",
                    names=", ".join(self.mapped("name")),
                )
            )
        return True

    def action_view_quotation(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            # An agent without the Sales rights cannot open the back-office
            # order form (deliveries, invoices): show the quotation as the
            # customer reads it.
            return {
                "type": "ir.actions.act_url",
                "url": self.quotation_id.sudo().get_portal_url(),
                "target": "new",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.quotation_id.id,
            "view_mode": "form",
        }

    def action_view_invoices(self):
        self.ensure_one()
        invoices = self.quotation_id.invoice_ids
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", invoices.ids)]
        action["context"] = {"create": False}
        if len(invoices) == 1:
            action["views"] = [(False, "form")]
            action["res_id"] = invoices.id
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _ensure_can_quote(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_user_own"):
            raise AccessError(
                self.env._(
                    "Only after-sales agents and managers quote a ticket's charges."
                )
            )
        self.check_access("write")
        for ticket in self:
            if ticket.quotation_id and ticket.quotation_state not in (
                QUOTE_OPEN_STATES
            ):
                raise UserError(
                    self.env._(
                        "Ticket %(name)s: quotation %(order)s is already "
                        "%(state)s; it cannot change any more.",
                        name=ticket.name,
                        order=ticket.quotation_id.name,
                        state=dict(
                            ticket.quotation_id._fields["state"]._description_selection(
                                self.env
                            )
                        )[ticket.quotation_state],
                    )
                )

    def _charge_decision_settled(self):
        """Whether the charging decisions of the ticket's done work (labour,
        travel, consumed parts) are settled: the customer accepted (signed)
        the ticket's quotation, which is then invoiced. What the customer
        accepted stays, whatever facts change later."""
        self.ensure_one()
        return self.sudo().quotation_id.state == "sale"

    def _on_facts_changed(self, fnames, previous=None):
        """The charging lines decided again from the changed facts (their
        computes depend on ``_charge_decision_facts``): a quotation the
        customer has not accepted yet follows them."""
        res = super()._on_facts_changed(fnames, previous)
        facts = {path.split(".")[0] for path in self._charge_decision_facts()}
        if not set(fnames) & (facts | CHARGE_FACT_EVENTS):
            return res
        open_quotes = self.sudo().filtered(
            lambda t: t.quotation_id and t.quotation_state in QUOTE_OPEN_STATES
        )
        if open_quotes:
            open_quotes._build_quotations()
        return res

    def _charging_sources(self):
        """{ticket: (charged part lines, charged labour/travel lines)}."""
        self.charge_ids.filtered(lambda c: not c.fee_id)._compute_fee_id()
        result = {}
        for ticket in self:
            # Consumed parts (their reservation is being closed, or was).
            parts = ticket.part_reservation_ids.line_ids.filtered(
                lambda line: line.state in ("confirmed", "done") and line._is_charged()
            )
            charges = ticket.charge_ids.filtered(
                lambda c: c._is_charged() and c.product_id
            )
            result[ticket] = (parts, charges)
        return result

    def _prepare_quotation_vals(self):
        self.ensure_one()
        warehouse = self.part_reservation_ids[:1].warehouse_id
        vals = {
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "origin": self.name,
            "client_order_ref": self.name,
            "user_id": self.owner_id.id,
            "aftersales_ticket_id": self.id,
            "require_signature": True,
            "require_payment": False,
        }
        if warehouse:
            vals["warehouse_id"] = warehouse.id
        return vals

    def _build_quotations(self):
        """Create or update the one quotation of each ticket: the charged
        parts consumed, the charged labour and travel; lines no longer
        charged leave the quotation. One create() for the new orders and one
        for the new lines of the batch. Quotations already accepted are left
        alone. Runs as superuser: the caller checked the rights."""
        tickets = self.sudo().filtered(
            lambda t: not t.quotation_id or t.quotation_state in QUOTE_OPEN_STATES
        )
        if not tickets:
            return self.env["sale.order"]
        tickets._add_missing_charges()
        sources = tickets._charging_sources()
        todo = tickets.filtered(
            lambda t: not t.quotation_id and (sources[t][0] or sources[t][1])
        )
        SaleOrder = self.env["sale.order"].sudo()
        new_orders = SaleOrder.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        ).create([ticket._prepare_quotation_vals() for ticket in todo])
        for ticket, order in zip(todo, new_orders, strict=True):
            ticket.quotation_id = order
        stale = self.env["sale.order.line"].sudo()
        to_create, sources_created = [], []
        for ticket in tickets.filtered("quotation_id"):
            order = ticket.quotation_id
            parts, charges = sources[ticket]
            all_parts = ticket.part_reservation_ids.line_ids
            for line in (all_parts - parts).filtered("sale_line_id"):
                if line.sale_line_id.order_id == order:
                    stale |= line.sale_line_id
                line.sale_line_id = False
            for charge in (ticket.charge_ids - charges).filtered("sale_line_id"):
                if charge.sale_line_id.order_id == order:
                    stale |= charge.sale_line_id
                charge.sale_line_id = False
            for source in list(parts) + list(charges):
                vals = source._prepare_sale_line_vals(order)
                sale_line = source.sale_line_id
                if sale_line and sale_line.order_id == order:
                    vals.pop("order_id")
                    sale_line.write(vals)
                else:
                    to_create.append(vals)
                    sources_created.append(source)
        stale.unlink()
        created = self.env["sale.order.line"].sudo().create(to_create)
        for source, sale_line in zip(sources_created, created, strict=True):
            source.sale_line_id = sale_line
        tickets._link_consumed_moves()
        for ticket in tickets.filtered("quotation_id"):
            ticket.part_reservation_ids.filtered(
                lambda r, order=ticket.quotation_id: (
                    r.sale_order_id != order
                    and r.line_ids.sale_line_id.order_id == order
                )
            ).sale_order_id = ticket.quotation_id
        orders = tickets.quotation_id
        orders._aftersales_subscribe_customers()
        if new_orders:
            todo._message_log_batch(
                bodies={
                    ticket.id: self.env._(
                        "Quotation %(order)s created for what the customer pays.",
                        order=ticket.quotation_id._get_html_link(),
                    )
                    for ticket in todo
                }
            )
        return orders

    def _add_missing_charges(self):
        """The labour and travel lines a ticket with visits lacks (their
        decision from the warranty), without deciding existing lines again."""
        vals_list = []
        for ticket in self:
            if not ticket.sudo().visit_ids.filtered("check_in_date"):
                continue
            present = set(ticket.charge_ids.mapped("charge_type"))
            vals_list += [
                {"ticket_id": ticket.id, "charge_type": charge_type}
                for charge_type in ("labour", "travel")
                if charge_type not in present
            ]
        if vals_list:
            self.env["aftersales.ticket.charge"].sudo().create(vals_list)

    def _link_consumed_moves(self):
        """The consumed parts' stock moves point at their quotation line:
        confirming the quotation does not deliver them a second time."""
        lines = self.part_reservation_ids.line_ids.filtered("sale_line_id")
        if not lines:
            return
        moves = (
            self.env["stock.move"]
            .sudo()
            .search(
                [
                    (
                        "group_id",
                        "in",
                        lines.reservation_id.sudo().procurement_group_id.ids,
                    ),
                    ("product_id", "in", lines.product_id.ids),
                    ("location_dest_id.usage", "=", "customer"),
                    ("state", "=", "done"),
                ]
            )
        )
        for line in lines:
            group = line.reservation_id.sudo().procurement_group_id
            mine = moves.filtered(
                lambda m, line=line, group=group: (
                    m.group_id == group
                    and m.product_id == line.product_id
                    and m.sale_line_id != line.sale_line_id
                )
            )
            if mine:
                mine.sale_line_id = line.sale_line_id
