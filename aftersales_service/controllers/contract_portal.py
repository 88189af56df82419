from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

CONTRACT_MODEL = "aftersales.contract"


class AftersalesContractPortal(CustomerPortal):
    """/my/contracts: the customer's service contracts, each with what is
    covered and what is left. Read-only pages (served from a replica when
    there is one)."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "aftersales_contract_count" in counters:
            Contract = request.env[CONTRACT_MODEL]
            values["aftersales_contract_count"] = (
                Contract.search_count([]) if Contract.has_access("read") else 0
            )
        return values

    @http.route(
        ["/my/contracts", "/my/contracts/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_contracts(self, page=1, **kw):
        values = self._prepare_portal_layout_values()
        Contract = request.env[CONTRACT_MODEL]
        count = Contract.search_count([])
        pager = portal_pager(
            url="/my/contracts", total=count, page=page, step=self._items_per_page
        )
        contracts = Contract.search(
            [], limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_aftersales_contracts_history"] = contracts.ids[:100]
        values.update(
            {
                "contracts": contracts.sudo(),
                "page_name": "aftersales_contract",
                "default_url": "/my/contracts",
                "pager": pager,
            }
        )
        return request.render("aftersales_service.portal_my_contracts", values)

    @http.route(
        ["/my/contracts/<int:contract_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=True,
    )
    def portal_my_contract(self, contract_id, access_token=None, **kw):
        try:
            contract_sudo = self._document_check_access(
                CONTRACT_MODEL, contract_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if contract_sudo.state == "draft":
            return request.redirect("/my")
        values = {
            "contract": contract_sudo,
            "page_name": "aftersales_contract",
            "entitlements": contract_sudo.entitlement_ids.sorted(
                lambda e: (e.lot_id.name or "", e.date_from)
            ),
        }
        values = self._get_page_view_values(
            contract_sudo,
            access_token,
            values,
            "my_aftersales_contracts_history",
            False,
            **kw,
        )
        return request.render("aftersales_service.portal_my_contract", values)
