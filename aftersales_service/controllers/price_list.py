from odoo import http
from odoo.http import request

from .public import AftersalesPublic


class AftersalesPriceList(AftersalesPublic):
    """The published service price list: labour rates, travel fees and
    spare-part prices, open to everyone. No personal data: only the
    company's own published prices."""

    @http.route(
        ["/aftersales/prices"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def price_list(self, lang=None, **kw):
        self._set_visitor_lang(lang)
        return request.render(
            "aftersales_service.public_price_list",
            request.env["aftersales.service.fee"]._price_list_values(
                request.env.company
            ),
        )
