from odoo import api, fields, models

PHOTO_TAGS = [
    ("before", "Before"),
    ("after", "After"),
]


class AftersalesVisitPhoto(models.Model):
    """A photo taken on a visit, tagged before or after the work. The image
    is stored as an attachment; it is part of the service report and is
    locked with it once the customer has signed."""

    _name = "aftersales.visit.photo"
    _description = "After-Sales Visit Photo"
    _inherit = ["aftersales.smart.button.mixin"]
    _order = "visit_id, tag desc, sequence, id"
    _check_company_auto = True

    visit_id = fields.Many2one(
        "aftersales.visit",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="visit_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    tag = fields.Selection(PHOTO_TAGS, required=True, default="before")
    name = fields.Char(string="Caption")
    image_1920 = fields.Image(
        string="Photo", required=True, max_width=1920, max_height=1920
    )
    image_512 = fields.Image(
        string="Photo 512",
        related="image_1920",
        max_width=512,
        max_height=512,
        store=True,
    )
    image_128 = fields.Image(
        string="Photo 128",
        related="image_1920",
        max_width=128,
        max_height=128,
        store=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Rights first: who may not add to a report is refused as such.
        self.check_access("create")
        visits = self.env["aftersales.visit"].browse(
            {vals["visit_id"] for vals in vals_list if vals.get("visit_id")}
        )
        visits._check_report_unlocked()
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        self.visit_id._check_report_unlocked()
        if vals.get("visit_id"):
            self.env["aftersales.visit"].browse(
                vals["visit_id"]
            )._check_report_unlocked()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        self.visit_id._check_report_unlocked()
