from collections import defaultdict

from odoo import _, fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    # The inverse of the reservation lines' move: when a move's state or
    # quantity changes, Odoo finds the lines whose reserved quantity follows
    # it through this field (in cache for a batch) instead of searching the
    # lines once per move and per change, for every move of the database.
    aftersales_reservation_line_ids = fields.One2many(
        "aftersales.part.reservation.line",
        "move_id",
        string="Spare-Part Reservation Lines",
        readonly=True,
        groups="stock.group_stock_user",
    )

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._aftersales_void_returned_warranties()
        moves._aftersales_create_warranties()
        return moves

    def _aftersales_warranty_partner(self):
        self.ensure_one()
        return (
            self.sale_line_id.order_id.partner_id
            or self.picking_id.partner_id
            or self.partner_id
        )

    def _aftersales_delivered_lines(self):
        """Done move lines delivering a serial to a customer. Spare parts
        used on a service ticket (the moves of a parts reservation) are not
        sales: they get no warranty of their own."""
        moves = self.filtered(
            lambda m: (
                m.state == "done"
                and m.location_dest_id.usage == "customer"
                and m.location_id.usage != "customer"
                and m.product_id.tracking == "serial"
                # a loaner lent stays the company's: no warranty for it
                and m.picking_id.aftersales_guarantee_flow != "loan_out"
            )
        )
        if moves.group_id:
            parts_groups = (
                self.env["aftersales.part.reservation"]
                .sudo()
                .search([("procurement_group_id", "in", moves.group_id.ids)])
                .procurement_group_id
            )
            moves = moves.filtered(lambda m: m.group_id not in parts_groups)
        return moves.move_line_ids.filtered(lambda ml: ml.lot_id and ml.quantity)

    def _aftersales_create_warranties(self):
        """One warranty per delivered serial, created in one batch for all the
        moves (a whole picking at once).

        A serial delivered again to the same customer (e.g. back from a
        workshop repair) keeps its warranty; a serial delivered to another
        customer (resold) voids the previous one and gets a new record."""
        move_lines = self._aftersales_delivered_lines()
        if not move_lines:
            return self.env["aftersales.warranty"]
        Warranty = self.env["aftersales.warranty"].sudo()
        existing = Warranty.search(
            [("lot_id", "in", move_lines.lot_id.ids), ("state", "=", "active")]
        )
        active_by_lot = defaultdict(lambda: Warranty)
        for warranty in existing:
            active_by_lot[warranty.lot_id.id] |= warranty
        terms = {}
        for company in move_lines.company_id:
            products = move_lines.filtered(
                lambda ml, c=company: ml.company_id == c
            ).product_id
            terms[company.id] = (
                self.env["aftersales.warranty.term"]
                .sudo()
                ._find_for_products(products, company)
            )
        vals_list = []
        to_void = defaultdict(lambda: Warranty)
        for line in move_lines:
            move = line.move_id
            partner = move._aftersales_warranty_partner()
            term = terms[line.company_id.id].get(line.product_id.id)
            if not partner or not term:
                continue
            commercial = partner.commercial_partner_id
            current = active_by_lot[line.lot_id.id]
            if current.filtered(lambda w, c=commercial: w.commercial_partner_id == c):
                continue
            if current:
                reason = _(
                    "Resold: serial delivered to %(customer)s with %(picking)s.",
                    customer=commercial.display_name,
                    picking=move.picking_id.name or move.reference,
                )
                to_void[reason] |= current
            vals_list.append(move._aftersales_prepare_warranty_vals(line, term))
        for reason, warranties in to_void.items():
            warranties._void(reason)
        return Warranty.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        ).create(vals_list)

    def _aftersales_prepare_warranty_vals(self, move_line, term):
        self.ensure_one()
        partner = self._aftersales_warranty_partner()
        return {
            "company_id": move_line.company_id.id,
            "partner_id": partner.id,
            "product_id": move_line.product_id.id,
            "lot_id": move_line.lot_id.id,
            "term_id": term.id,
            "sale_order_id": self.sale_line_id.order_id.id,
            "picking_id": self.picking_id.id,
            "delivery_date": (move_line.date or self.date).date(),
        }

    def _aftersales_void_returned_warranties(self):
        """Customer returns of a delivery void the serial's warranty."""
        returns = self.filtered(
            lambda m: (
                m.state == "done"
                and m.origin_returned_move_id
                and m.location_id.usage == "customer"
                and m.product_id.tracking == "serial"
            )
        )
        lots = returns.move_line_ids.lot_id
        if not lots:
            return
        warranties = (
            self.env["aftersales.warranty"]
            .sudo()
            .search([("lot_id", "in", lots.ids), ("state", "!=", "void")])
        )
        for move in returns:
            mine = warranties.filtered(
                lambda w, m=move: w.lot_id in m.move_line_ids.lot_id
            )
            if mine:
                mine._void(
                    _(
                        "Returned by the customer with %(picking)s.",
                        picking=move.picking_id.name or move.reference,
                    )
                )
