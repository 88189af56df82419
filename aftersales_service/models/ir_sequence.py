from odoo import models


class IrSequence(models.Model):
    _inherit = "ir.sequence"

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
