from odoo import api, models


class AftersalesCachedConfigMixin(models.AbstractModel):
    """Configuration read through ``tools.ormcache`` between requests (the
    first stage, a company's service-level policies, escalation levels): any
    create, write or delete of such a record clears the caches, in every
    worker (Odoo signals the registry change through the database)."""

    _name = "aftersales.cached.config.mixin"
    _description = "After-Sales Configuration Cached Between Requests"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res
