from odoo import fields, models


class AftersalesTicketOwnerWizard(models.TransientModel):
    _name = "aftersales.ticket.owner.wizard"
    _description = "Change the Owner of After-Sales Tickets"

    ticket_ids = fields.Many2many("aftersales.ticket", required=True)
    owner_id = fields.Many2one(
        "res.users",
        string="New Owner",
        required=True,
        domain="[('share', '=', False)]",
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.ticket_ids._change_owner(self.owner_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
