from odoo import fields, models


class AftersalesTicketTransferWizard(models.TransientModel):
    _name = "aftersales.ticket.transfer.wizard"
    _description = "Transfer After-Sales Tickets to Another Team"

    ticket_ids = fields.Many2many("aftersales.ticket", required=True)
    team_id = fields.Many2one("aftersales.team", string="New Team", required=True)
    technician_id = fields.Many2one(
        "hr.employee",
        string="New Technician",
        help="Leave empty to keep the current technician.",
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        self.ticket_ids._transfer_to_team(
            self.team_id, self.reason, technician=self.technician_id or None
        )
        return {"type": "ir.actions.act_window_close"}
