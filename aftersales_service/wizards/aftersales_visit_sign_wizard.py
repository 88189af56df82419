from odoo import api, fields, models


class AftersalesVisitSignWizard(models.TransientModel):
    """The customer signs the service report on the technician's screen."""

    _name = "aftersales.visit.sign.wizard"
    _description = "Sign an After-Sales Service Report"

    visit_id = fields.Many2one("aftersales.visit", required=True, ondelete="cascade")
    signed_by = fields.Char(
        compute="_compute_signed_by", store=True, readonly=False, required=True
    )
    signature = fields.Image(
        required=True,
        attachment=False,
        max_width=1024,
        max_height=1024,
    )
    customer_comment = fields.Text(
        string="Customer's Comments",
        compute="_compute_customer_comment",
        store=True,
        readonly=False,
    )

    @api.depends("visit_id")
    def _compute_signed_by(self):
        for wizard in self:
            wizard.signed_by = wizard.visit_id.partner_id.name

    @api.depends("visit_id")
    def _compute_customer_comment(self):
        for wizard in self:
            wizard.customer_comment = wizard.visit_id.customer_comment

    def action_confirm(self):
        self.ensure_one()
        self.visit_id._sign(
            self.signed_by, self.signature, comment=self.customer_comment
        )
        return {"type": "ir.actions.act_window_close"}
