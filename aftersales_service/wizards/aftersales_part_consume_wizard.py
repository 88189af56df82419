from odoo import Command, api, fields, models


class AftersalesPartConsumeWizard(models.TransientModel):
    _name = "aftersales.part.consume.wizard"
    _description = "Record Consumed Spare Parts"

    reservation_id = fields.Many2one(
        "aftersales.part.reservation", required=True, ondelete="cascade"
    )
    visit_id = fields.Many2one(
        "aftersales.visit",
        ondelete="cascade",
        help="The visit whose service report lists the parts consumed.",
    )
    line_ids = fields.One2many(
        "aftersales.part.consume.wizard.line",
        "wizard_id",
        string="Parts",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("reservation_id")
    def _compute_line_ids(self):
        for wizard in self:
            wizard.line_ids = [Command.clear()] + [
                Command.create(
                    {
                        "reservation_line_id": line.id,
                        "qty_consumed": line.qty_reserved,
                    }
                )
                for line in wizard.reservation_id.line_ids
            ]

    def action_confirm(self):
        self.ensure_one()
        self.reservation_id._consume(
            {
                line.reservation_line_id: {
                    "qty_consumed": line.qty_consumed,
                    "qty_defective": line.qty_defective,
                    "over_reason": line.over_reason,
                }
                for line in self.line_ids
            },
            visit=self.visit_id or None,
        )
        if self.visit_id and self.env["aftersales.part.reservation"].search_count(
            [
                ("ticket_id", "=", self.visit_id.ticket_id.id),
                ("state", "=", "confirmed"),
            ],
            limit=1,
        ):
            # the ticket has more reserved parts: consume them on the visit too
            return self.visit_id.action_consume_parts()
        return {"type": "ir.actions.act_window_close"}
