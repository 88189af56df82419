from odoo import api, models, tools


class IrSequence(models.Model):
    _inherit = "ir.sequence"

    @api.model_create_multi
    def create(self, vals_list):
        sequences = super().create(vals_list)
        sequences._aftersales_clear_cache()
        return sequences

    def write(self, vals):
        self._aftersales_clear_cache()
        res = super().write(vals)
        self._aftersales_clear_cache()
        return res

    def unlink(self):
        self._aftersales_clear_cache()
        return super().unlink()

    def _aftersales_clear_cache(self):
        """An after-sales sequence changed: forget the cached lookups."""
        if any((sequence.code or "").startswith("aftersales.") for sequence in self):
            self.env.registry.clear_cache()

    @api.model
    @tools.ormcache("code", "company_id")
    def _aftersales_sequence_id(self, code, company_id):
        """Id of the active sequence ``code`` of a company (cached between
        requests, cleared when an after-sales sequence changes)."""
        return (
            self.sudo()
            .with_context(active_test=True)
            .search([("code", "=", code), ("company_id", "=", company_id)], limit=1)
            .id
        )

    def _aftersales_next_batch(self, count):
        """``count`` next values of the sequence, in one query when the
        sequence allows it (standard, no date ranges): a batch of tickets or
        warranties gets its references without one query per record."""
        self.ensure_one()
        if count <= 0:
            return []
        if self.implementation == "standard" and not self.use_date_range:
            self.env.cr.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                [f"ir_sequence_{self.id:03d}", count],
            )
            # get_next_char() per value, with the prefix and suffix (dates
            # interpolated) worked out once for the batch
            prefix, suffix = self._get_prefix_suffix()
            number = f"%0{self.padding}d"
            return [prefix + number % row[0] + suffix for row in self.env.cr.fetchall()]
        return [self._next() for __ in range(count)]
