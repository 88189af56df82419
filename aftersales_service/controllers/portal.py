from urllib.parse import urlencode

from markupsafe import Markup

from odoo import _, http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request
from odoo.osv import expression

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.ticket_portal import CUSTOMER_INTAKE_FIELDS

TICKET_MODEL = "aftersales.ticket"
WARRANTY_MODEL = "aftersales.warranty"
CERTIFICATE_REPORT = "aftersales_service.action_report_aftersales_warranty"


# Query parameters of the redirect that follows the customer's own write
# (new request, confirm, reopen, signature): the page shows its outcome.
OUTCOME_PARAMS = ("created", "message", "error")


def read_only_unless_outcome(controller):
    """``readonly`` of a portal page: a read-only cursor (a replica when
    there is one), except for the page shown right after the customer's own
    write, which reads the primary: a replica may not have that write yet."""
    args = request.httprequest.args
    return not any(args.get(name) for name in OUTCOME_PARAMS)


def uploaded_files(field_name="attachments"):
    """[(file name, bytes)] of a multipart form's file inputs."""
    return [
        (upload.filename, upload.read())
        for upload in request.httprequest.files.getlist(field_name)
        if upload.filename
    ]


class AftersalesCustomerPortal(CustomerPortal):
    _tickets_per_page = 20

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "aftersales_ticket_count" in counters:
            Ticket = request.env[TICKET_MODEL]
            values["aftersales_ticket_count"] = (
                Ticket.search_count([]) if Ticket.has_access("read") else 0
            )
        if "aftersales_warranty_count" in counters:
            Warranty = request.env[WARRANTY_MODEL]
            values["aftersales_warranty_count"] = (
                Warranty.search_count([]) if Warranty.has_access("read") else 0
            )
        return values

    # ------------------------------------------------------------------
    # Tickets
    # ------------------------------------------------------------------

    def _ticket_searchbar_sortings(self):
        return {
            "date": {"label": _("Newest"), "order": "received_date desc, id desc"},
            "name": {"label": _("Reference"), "order": "name desc"},
            "stage": {"label": _("Status"), "order": "stage_id, id desc"},
        }

    def _ticket_searchbar_filters(self):
        return {
            "open": {"label": _("Open"), "domain": [("is_closed", "=", False)]},
            "closed": {"label": _("Closed"), "domain": [("is_closed", "=", True)]},
            "all": {"label": _("All"), "domain": []},
        }

    def _ticket_searchbar_inputs(self):
        return {
            "all": {
                "input": "all",
                "label": _(
                    "Search%(left)s Requests%(right)s",
                    left=Markup('<span class="nolabel">'),
                    right=Markup("</span>"),
                ),
            },
            "name": {"input": "name", "label": _("Search in Reference")},
            "serial": {"input": "serial", "label": _("Search in Serial Number")},
            "text": {"input": "text", "label": _("Search in Description")},
        }

    def _ticket_search_domain(self, search_in, search):
        # customers do not read serials: match them as superuser, the
        # tickets themselves stay under the customer's rules
        lots = request.env["stock.lot"].sudo()._search([("name", "ilike", search)])
        by_input = {
            "name": [("name", "ilike", search)],
            "serial": [
                "|",
                ("lot_id", "in", lots),
                ("reported_serial", "ilike", search),
            ],
            "text": [("symptom", "ilike", search)],
        }
        if search_in in by_input:
            return by_input[search_in]
        return expression.OR(list(by_input.values()))

    @http.route(
        ["/my/tickets", "/my/tickets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_tickets(
        self, page=1, sortby=None, filterby=None, search=None, search_in="all", **kw
    ):
        values = self._prepare_portal_layout_values()
        Ticket = request.env[TICKET_MODEL]
        sortings = self._ticket_searchbar_sortings()
        filters = self._ticket_searchbar_filters()
        inputs = self._ticket_searchbar_inputs()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "open"
        search_in = search_in if search_in in inputs else "all"
        domain = list(filters[filterby]["domain"])
        if search:
            domain = expression.AND(
                [domain, self._ticket_search_domain(search_in, search)]
            )
        count = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/tickets",
            url_args={
                "sortby": sortby,
                "filterby": filterby,
                "search": search,
                "search_in": search_in,
            },
            total=count,
            page=page,
            step=self._tickets_per_page,
        )
        tickets = Ticket.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._tickets_per_page,
            offset=pager["offset"],
        )
        request.session["my_aftersales_tickets_history"] = tickets.ids[:100]
        values.update(
            {
                "tickets": tickets.sudo(),
                "page_name": "aftersales_ticket",
                "default_url": "/my/tickets",
                "pager": pager,
                "searchbar_sortings": sortings,
                "searchbar_filters": filters,
                "searchbar_inputs": inputs,
                "sortby": sortby,
                "filterby": filterby,
                "search": search,
                "search_in": search_in,
            }
        )
        return request.render("aftersales_service.portal_my_tickets", values)

    @http.route(
        ["/my/tickets/<int:ticket_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=read_only_unless_outcome,
    )
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket_sudo = self._document_check_access(
                TICKET_MODEL, ticket_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        return request.render(
            "aftersales_service.portal_my_ticket",
            self._ticket_page_values(ticket_sudo, access_token, **kw),
        )

    def _ticket_page_values(self, ticket_sudo, access_token, **kw):
        # The portal chatter posts with the record's token: a customer who
        # reads the ticket may answer on it (they cannot write the ticket).
        # Tickets get their token when created: no write on this read-only
        # page (_portal_ensure_token only writes for a ticket without one).
        token = access_token or ticket_sudo._portal_ensure_token()
        values = {
            "ticket": ticket_sudo,
            "page_name": "aftersales_ticket",
            "deadlines": ticket_sudo._customer_deadlines(),
            "charges": ticket_sudo.charge_ids,
            "survey_url": ticket_sudo.callback_ids.filtered("survey_url")[
                :1
            ].survey_url,
            "created": kw.get("created"),
            "error": kw.get("error"),
            "message": kw.get("message"),
            "report_type": "html",
        }
        values = self._get_page_view_values(
            ticket_sudo,
            access_token,
            values,
            "my_aftersales_tickets_history",
            False,
            **kw,
        )
        values["token"] = token
        values["access_token"] = access_token
        return values

    def _ticket_for_action(self, ticket_id, access_token):
        """(ticket as superuser, author partner) after the access check."""
        ticket_sudo = self._document_check_access(TICKET_MODEL, ticket_id, access_token)
        user = request.env.user
        author = ticket_sudo.partner_id if user._is_public() else user.partner_id
        return ticket_sudo, author

    def _ticket_redirect(self, ticket_sudo, access_token, **params):
        url = f"/my/tickets/{ticket_sudo.id}"
        query = {"access_token": access_token} if access_token else {}
        query.update(params)
        return request.redirect(url + ("?" + urlencode(query) if query else ""))

    @http.route(
        ["/my/tickets/<int:ticket_id>/confirm"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_ticket_confirm(self, ticket_id, access_token=None, **kw):
        try:
            ticket_sudo, author = self._ticket_for_action(ticket_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            ticket_sudo._portal_confirm_solved(author)
        except UserError as error:
            return self._ticket_redirect(ticket_sudo, access_token, error=error.args[0])
        return self._ticket_redirect(
            ticket_sudo, access_token, message=_("Thank you for confirming.")
        )

    @http.route(
        ["/my/tickets/<int:ticket_id>/reopen"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_ticket_reopen(self, ticket_id, access_token=None, reason=None, **kw):
        try:
            ticket_sudo, author = self._ticket_for_action(ticket_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            ticket_sudo._portal_reopen(author, reason)
        except UserError as error:
            return self._ticket_redirect(ticket_sudo, access_token, error=error.args[0])
        return self._ticket_redirect(
            ticket_sudo,
            access_token,
            message=_("Your request is open again: we will get back to you."),
        )

    @http.route(
        ["/my/tickets/<int:ticket_id>/updates"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_ticket_updates(self, ticket_id, access_token=None, subscribe="0", **kw):
        """Subscribe to or unsubscribe from status e-mails."""
        try:
            ticket_sudo, __ = self._ticket_for_action(ticket_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        wants = subscribe == "1"
        ticket_sudo.partner_id.aftersales_no_updates = not wants
        return self._ticket_redirect(
            ticket_sudo,
            access_token,
            message=_("You will receive status e-mails again.")
            if wants
            else _("You will no longer receive status e-mails."),
        )

    # ------------------------------------------------------------------
    # New request
    # ------------------------------------------------------------------

    def _new_ticket_values(self, form=None, error=None):
        partner = request.env.user.partner_id
        Ticket = request.env[TICKET_MODEL].sudo()
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "aftersales_ticket_new",
            "lots": Ticket._customer_lots(partner, request.env.company),
            "frequencies": Ticket._fields["frequency"]._description_selection(
                request.env
            ),
            "form": form or {},
            "error": error,
        }

    @http.route(
        ["/my/tickets/new"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_ticket_new(self, **kw):
        return request.render(
            "aftersales_service.portal_ticket_new", self._new_ticket_values()
        )

    @http.route(
        ["/my/tickets/new"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_ticket_submit(self, **post):
        form = {fname: post.get(fname) for fname in CUSTOMER_INTAKE_FIELDS}
        Ticket = request.env[TICKET_MODEL]
        try:
            with request.env.cr.savepoint():
                ticket = Ticket._intake_customer_request(
                    request.env.user.partner_id,
                    form,
                    channel_code="portal",
                    company=request.env.company,
                    uploads=uploaded_files(),
                )
        except UserError as error:
            return request.render(
                "aftersales_service.portal_ticket_new",
                self._new_ticket_values(form, error.args[0]),
            )
        return request.redirect(f"/my/tickets/{ticket.id}?created=1")

    # ------------------------------------------------------------------
    # Warranties
    # ------------------------------------------------------------------

    @http.route(
        ["/my/warranties", "/my/warranties/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_warranties(self, page=1, **kw):
        values = self._prepare_portal_layout_values()
        Warranty = request.env[WARRANTY_MODEL]
        count = Warranty.search_count([])
        pager = portal_pager(
            url="/my/warranties", total=count, page=page, step=self._items_per_page
        )
        warranties = Warranty.search(
            [], limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_aftersales_warranties_history"] = warranties.ids[:100]
        values.update(
            {
                "warranties": warranties.sudo(),
                "page_name": "aftersales_warranty",
                "default_url": "/my/warranties",
                "pager": pager,
            }
        )
        return request.render("aftersales_service.portal_my_warranties", values)

    @http.route(
        ["/my/warranties/<int:warranty_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=True,
    )
    def portal_my_warranty(
        self, warranty_id, access_token=None, report_type=None, download=False, **kw
    ):
        try:
            warranty_sudo = self._document_check_access(
                WARRANTY_MODEL, warranty_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=warranty_sudo,
                report_type=report_type,
                report_ref=CERTIFICATE_REPORT,
                download=download,
            )
        values = {
            "warranty": warranty_sudo,
            "page_name": "aftersales_warranty",
            "rights": warranty_sudo._open_three_guarantee_rights(),
        }
        values = self._get_page_view_values(
            warranty_sudo,
            access_token,
            values,
            "my_aftersales_warranties_history",
            False,
            **kw,
        )
        return request.render("aftersales_service.portal_my_warranty", values)
