from odoo import fields, models


class AftersalesCarryInWizard(models.TransientModel):
    """Receive a customer's unit for a carry-in or mail-in repair: the
    serial read on the unit, its condition, and whether it is handed over
    now or sent by mail."""

    _name = "aftersales.carry.in.wizard"
    _description = "Receive a Customer's Unit"

    ticket_id = fields.Many2one("aftersales.ticket", required=True, readonly=True)
    product_id = fields.Many2one(related="ticket_id.product_id")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number on the Unit",
        required=True,
        domain="[('product_id', '=', product_id)]",
        help="Read it on the unit's serial plate: it must be the ticket's serial.",
    )
    arrival = fields.Selection(
        [
            ("counter", "Handed Over Now"),
            ("mail", "Sent by Mail"),
        ],
        string="Arrives",
        required=True,
        default="counter",
        help="Handed over at the counter: received now. Sent by mail: the "
        "stock staff validate the receipt when the parcel arrives.",
    )
    condition = fields.Text(
        string="Condition and Accessories",
        help="Accessories handed over and visible damage; printed on the "
        "customer's receipt.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.ticket_id._carry_in_receive(
            self.lot_id, self.condition, by_mail=self.arrival == "mail"
        )
        return {"type": "ir.actions.act_window_close"}
