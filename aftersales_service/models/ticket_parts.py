from odoo import _, api, fields, models
from odoo.exceptions import UserError

# Ticket fields a technician may touch through the parts flow.
PARTS_TECHNICIAN_FIELDS = {"part_reservation_ids"}


class AftersalesTicket(models.Model):
    _inherit = "aftersales.ticket"

    # Spare parts
    part_reservation_ids = fields.One2many(
        "aftersales.part.reservation",
        "ticket_id",
        string="Part Reservations",
    )
    part_reservation_count = fields.Integer(
        string="Parts", compute="_compute_part_reservation_count"
    )
    # Not stored: creating tickets costs nothing; the warranty cost itself
    # is stored per reservation line (ticket and product).
    has_part_shortage = fields.Boolean(
        string="Parts Shortage",
        compute="_compute_part_summary",
        search="_search_has_part_shortage",
        compute_sudo=True,
    )
    part_currency_id = fields.Many2one(related="company_id.currency_id")
    part_warranty_cost = fields.Monetary(
        string="Parts Warranty Cost",
        currency_field="part_currency_id",
        compute="_compute_part_summary",
        compute_sudo=True,
        help="Cost of the consumed parts covered by the warranty (borne by "
        "the company).",
    )

    @api.depends("part_reservation_ids")
    def _compute_part_reservation_count(self):
        counts = {}
        if self.ids:
            counts = {
                ticket.id: count
                for ticket, count in self.env[
                    "aftersales.part.reservation"
                ]._read_group(
                    [("ticket_id", "in", self.ids)], ["ticket_id"], ["__count"]
                )
            }
        for ticket in self:
            ticket.part_reservation_count = counts.get(ticket.id, 0)

    @api.depends(
        "part_reservation_ids.has_shortage",
        "part_reservation_ids.warranty_cost",
    )
    def _compute_part_summary(self):
        summary = {}
        if self.ids:
            summary = {
                ticket.id: (shortage, cost)
                for ticket, shortage, cost in self.env[
                    "aftersales.part.reservation"
                ]._read_group(
                    [("ticket_id", "in", self.ids)],
                    ["ticket_id"],
                    ["has_shortage:bool_or", "warranty_cost:sum"],
                )
            }
        for ticket in self:
            shortage, cost = summary.get(ticket.id, (False, 0.0))
            ticket.has_part_shortage = bool(shortage)
            ticket.part_warranty_cost = cost

    def _search_has_part_shortage(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Parts Shortage: search with = or != a boolean."))
        positive = (operator == "=") == value
        domain = [("part_reservation_ids.has_shortage", "=", True)]
        return domain if positive else ["!", *domain]

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _on_transition(self, kind, previous):
        """A ticket that closes (solved or cancelled) gives back the parts it
        did not consume."""
        res = super()._on_transition(kind, previous)
        if kind in ("closed", "reclosed"):
            self._release_part_reservations()
        return res

    def _on_facts_changed(self, fnames, previous=None):
        res = super()._on_facts_changed(fnames, previous)
        if "active" in fnames:
            self.filtered(lambda t: not t.active)._release_part_reservations()
        return res

    def _technician_writable_fields(self):
        return super()._technician_writable_fields() | PARTS_TECHNICIAN_FIELDS

    def _release_part_reservations(self):
        """A ticket closed or cancelled without consuming its parts gives
        them back: open reservations are released."""
        reservations = (
            self.env["aftersales.part.reservation"]
            .sudo()
            .search(
                [("ticket_id", "in", self.ids), ("state", "in", ("draft", "confirmed"))]
            )
        )
        for ticket in self:
            mine = reservations.filtered(lambda r, t=ticket: r.ticket_id == t)
            if mine:
                mine._release(
                    _(
                        "ticket %(ticket)s reached %(stage)s",
                        ticket=ticket.name,
                        stage=ticket.stage_id.name if ticket.active else _("archived"),
                    )
                )

    def action_view_part_reservations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_part_reservation_action"
        )
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {"default_ticket_id": self.id}
        return action

    def action_request_parts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Request Parts"),
            "res_model": "aftersales.part.reservation",
            "view_mode": "form",
            "context": {"default_ticket_id": self.id},
        }
