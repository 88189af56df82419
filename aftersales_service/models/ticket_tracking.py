from odoo import models


class AftersalesTicket(models.Model):
    _name = "aftersales.ticket"
    # the mixin first: its _track_finalize comes before mail.thread's
    _inherit = ["aftersales.tracking.batch", "aftersales.ticket"]
