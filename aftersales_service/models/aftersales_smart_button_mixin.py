from odoo import api, models


class AftersalesSmartButtonMixin(models.AbstractModel):
    """What the smart buttons of other records need from a counted model:
    counts per related record in one aggregate query, and the model's action
    restricted to a domain. The model names its action in
    ``_aftersales_action``."""

    _name = "aftersales.smart.button.mixin"
    _description = "After-Sales Smart Button Counts"
    _aftersales_action = None

    @api.model
    def _count_by(self, fname, ids):
        """Number of records per value of ``fname`` for ``ids``, in one
        aggregate query: {id: count}."""
        if not ids:
            return {}
        return {
            record.id: count
            for record, count in self._read_group(
                [(fname, "in", list(ids))], [fname], ["__count"]
            )
        }

    @api.model
    def _action_view(self, domain, context=None):
        """The model's action restricted to ``domain``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(self._aftersales_action)
        action["domain"] = domain
        action["context"] = context or {}
        return action
