from odoo import fields, models


class AftersalesPartConsumeWizardLine(models.TransientModel):
    _name = "aftersales.part.consume.wizard.line"
    _description = "Record Consumed Spare Parts: Line"

    wizard_id = fields.Many2one(
        "aftersales.part.consume.wizard", required=True, ondelete="cascade"
    )
    reservation_line_id = fields.Many2one(
        "aftersales.part.reservation.line", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one(related="reservation_line_id.product_id")
    product_uom_id = fields.Many2one(related="reservation_line_id.product_uom_id")
    qty_reserved = fields.Float(
        related="reservation_line_id.qty_reserved", string="Reserved"
    )
    qty_consumed = fields.Float(string="Consumed", digits="Product Unit of Measure")
    qty_defective = fields.Float(
        string="Defective Taken Back", digits="Product Unit of Measure"
    )
    over_reason = fields.Char(
        string="Reason for Extra", help="Required when more is consumed than reserved."
    )
