import binascii

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import content_disposition, request

from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.aftersales_visit_report import VISIT_REPORT
from .portal import AftersalesCustomerPortal, read_only_unless_outcome

VISIT_MODEL = "aftersales.visit"


class AftersalesVisitPortal(AftersalesCustomerPortal):
    """The customer's visits: times, technician, status, the report to sign
    and the signed PDF; listed on the request's page."""

    _visits_per_page = 20

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "aftersales_visit_count" in counters:
            Visit = request.env[VISIT_MODEL]
            values["aftersales_visit_count"] = (
                Visit.search_count([]) if Visit.has_access("read") else 0
            )
        return values

    @http.route(
        ["/my/visits", "/my/visits/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_visits(self, page=1, **kw):
        """The customer's visits, the latest window first: when, who, the
        status and the signed report to download."""
        values = self._prepare_portal_layout_values()
        Visit = request.env[VISIT_MODEL]
        count = Visit.search_count([])
        pager = portal_pager(
            url="/my/visits",
            total=count,
            page=page,
            step=self._visits_per_page,
        )
        visits = Visit.search(
            [],
            order="planned_start desc, id desc",
            limit=self._visits_per_page,
            offset=pager["offset"],
        )
        request.session["my_aftersales_visits_history"] = visits.ids[:100]
        values.update(
            {
                # technicians and tickets are shown by name, read as superuser
                "visits": visits.sudo(),
                "page_name": "aftersales_visits",
                "default_url": "/my/visits",
                "pager": pager,
            }
        )
        return request.render("aftersales_service.portal_my_visits", values)

    def _ticket_page_values(self, ticket_sudo, access_token, **kw):
        values = super()._ticket_page_values(ticket_sudo, access_token, **kw)
        values["visits"] = ticket_sudo.visit_ids.sorted(
            lambda v: (v.planned_start, v.id)
        )
        return values

    @http.route(
        ["/my/visits/<int:visit_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=read_only_unless_outcome,
    )
    def portal_my_visit(
        self, visit_id, access_token=None, report_type=None, download=False, **kw
    ):
        try:
            visit_sudo = self._document_check_access(
                VISIT_MODEL, visit_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            if report_type == "pdf" and visit_sudo.report_attachment_id:
                return self._signed_report_response(visit_sudo, download)
            return self._show_report(
                model=visit_sudo,
                report_type=report_type,
                report_ref=VISIT_REPORT,
                download=download,
            )
        values = {
            "visit": visit_sudo,
            "ticket": visit_sudo.ticket_id,
            "page_name": "aftersales_visit",
            "can_sign": visit_sudo._portal_can_sign(),
            "message": kw.get("message"),
            "access_token": access_token,
        }
        values = self._get_page_view_values(
            visit_sudo,
            access_token,
            values,
            "my_aftersales_visits_history",
            False,
            **kw,
        )
        return request.render("aftersales_service.portal_my_visit", values)

    def _signed_report_response(self, visit_sudo, download):
        """The report as it was signed, not rendered again."""
        attachment = visit_sudo.report_attachment_id
        pdf = attachment.raw
        headers = [
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(pdf)),
        ]
        if download:
            headers.append(
                ("Content-Disposition", content_disposition(attachment.name))
            )
        return request.make_response(pdf, headers=headers)

    @http.route(
        ["/my/visits/<int:visit_id>/sign"], type="json", auth="public", website=True
    )
    def portal_visit_sign(self, visit_id, access_token=None, name=None, signature=None):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            visit_sudo = self._document_check_access(
                VISIT_MODEL, visit_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return {"error": _("Invalid visit.")}
        if not signature:
            return {"error": _("Signature is missing.")}
        user = request.env.user
        author = visit_sudo.partner_id if user._is_public() else user.partner_id
        try:
            with request.env.cr.savepoint():
                visit_sudo._sign(name, signature, author=author)
        except (UserError, ValidationError) as error:
            return {"error": error.args[0]}
        except (TypeError, binascii.Error):
            return {"error": _("Invalid signature data.")}
        return {
            "force_refresh": True,
            "redirect_url": visit_sudo.get_portal_url(query_string="&message=signed"),
        }
