from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AftersalesWarrantyComponent(models.Model):
    _name = "aftersales.warranty.component"
    _description = "Warranty Component"
    _order = "warranty_id, kind desc, id"
    _check_company_auto = True

    warranty_id = fields.Many2one(
        "aftersales.warranty",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="warranty_id.company_id", store=True, precompute=True
    )
    kind = fields.Selection(
        [("term", "Component Term"), ("repair", "Repair Warranty")],
        required=True,
        default="term",
    )
    term_component_id = fields.Many2one(
        "aftersales.warranty.term.component", string="Term Line"
    )
    name = fields.Char(string="Component", required=True)
    product_id = fields.Many2one("product.product", string="Spare Part")
    categ_id = fields.Many2one("product.category", string="Spare Part Category")
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        string="Repair Ticket",
        index="btree_not_null",
        check_company=True,
        help="Ticket under which the part was replaced.",
    )
    start_date = fields.Date(
        compute="_compute_dates", store=True, readonly=False, precompute=True
    )
    end_date = fields.Date(
        compute="_compute_dates", store=True, readonly=False, precompute=True
    )

    @api.depends(
        "warranty_id.start_date",
        "term_component_id.duration",
        "term_component_id.duration_unit",
    )
    def _compute_dates(self):
        Term = self.env["aftersales.warranty.term"]
        for line in self:
            if line.kind != "term" or not line.term_component_id:
                # Repair warranties keep the dates they were given.
                line.start_date = line.start_date
                line.end_date = line.end_date
                continue
            line.start_date = line.warranty_id.start_date
            term_line = line.term_component_id
            line.end_date = Term._end_date(
                line.start_date, term_line.duration, term_line.duration_unit
            )

    @api.constrains("start_date", "end_date")
    def _check_dates(self):
        for line in self:
            if line.start_date and line.end_date and line.end_date < line.start_date:
                raise ValidationError(
                    _(
                        "End Date: component %(component)s of warranty %(warranty)s "
                        "ends on %(end)s, before it starts on %(start)s.",
                        component=line.name,
                        warranty=line.warranty_id.name,
                        end=line.end_date,
                        start=line.start_date,
                    )
                )

    @api.model
    def _prepare_repair_vals(self, warranty, ticket, product, days, date):
        return {
            "warranty_id": warranty.id,
            "kind": "repair",
            "name": product.display_name,
            "product_id": product.id,
            "ticket_id": ticket.id,
            "start_date": date,
            "end_date": date + timedelta(days=days - 1),
        }
