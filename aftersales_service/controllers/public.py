import re
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

from odoo import _, fields, http, tools
from odoo.exceptions import UserError
from odoo.http import request

from .portal import uploaded_files

# Public request form: at most this many requests per network address and
# hour (system parameter aftersales_service.public_request_limit).
REQUEST_LIMIT_PARAM = "aftersales_service.public_request_limit"
REQUEST_LIMIT_DEFAULT = 5
# Warranty self-check: lookups per address in a sliding window. Kept in the
# worker's memory: the route writes nothing, so it can run on a replica.
CHECK_LIMIT = 20
CHECK_WINDOW = 600  # seconds
PUBLIC_FORM_FIELDS = ("name", "email", "phone", "product", "serial", "symptom")


class SlidingWindowLimiter:
    """Per-key counter of hits in the last ``window`` seconds."""

    def __init__(self, limit, window):
        self.limit = limit
        self.window = window
        self._hits = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key):
        """Record a hit; False when the key is over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def reset(self):
        with self._lock:
            self._hits.clear()


warranty_check_limiter = SlidingWindowLimiter(CHECK_LIMIT, CHECK_WINDOW)


def digits(value):
    return re.sub(r"\D", "", value or "")


class AftersalesPublic(http.Controller):
    def _set_visitor_lang(self, lang=None):
        """Render in the visitor's language: ?lang=, else the browser's."""
        installed = dict(request.env["res.lang"].get_installed())
        for code in (lang, request.best_lang):
            if code in installed:
                request.update_context(lang=code)
                return

    def _remote_address(self):
        return request.httprequest.remote_addr or "unknown"

    # ------------------------------------------------------------------
    # Public request form
    # ------------------------------------------------------------------

    @http.route(
        ["/aftersales/request"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
        sitemap=False,
    )
    def request_form(self, lang=None, **kw):
        self._set_visitor_lang(lang)
        return request.render(
            "aftersales_service.public_request_form", {"form": {}, "error": None}
        )

    @http.route(
        ["/aftersales/request"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def request_submit(self, lang=None, **post):
        self._set_visitor_lang(lang)
        form = {fname: (post.get(fname) or "").strip() for fname in PUBLIC_FORM_FIELDS}
        if post.get("website_url"):
            # honeypot: a robot filled the hidden field; answer like a success
            # without creating anything
            return request.render(
                "aftersales_service.public_request_done", {"ticket": None}
            )
        address = self._remote_address()
        if self._over_request_rate(address):
            return request.render(
                "aftersales_service.public_request_form",
                {
                    "form": form,
                    "error": _(
                        "We already received several requests from your "
                        "network in the last hour. Please try again later or "
                        "call us."
                    ),
                },
                status=429,
            )
        try:
            with request.env.cr.savepoint():
                ticket = self._create_public_request(form, address)
        except UserError as error:
            return request.render(
                "aftersales_service.public_request_form",
                {"form": form, "error": error.args[0]},
                status=400,
            )
        return request.render(
            "aftersales_service.public_request_done", {"ticket": ticket}
        )

    def _create_public_request(self, form, address):
        Ticket = request.env["aftersales.ticket"].sudo()
        company = request.env.company
        if not form["name"]:
            raise UserError(_("Name: tell us who you are."))
        if not (form["email"] or form["phone"]):
            raise UserError(_("Give an e-mail address or a phone number."))
        if form["email"] and not tools.email_normalize(form["email"]):
            raise UserError(
                _("E-mail: %(email)s is not a valid address.", email=form["email"])
            )
        if form["phone"] and len(digits(form["phone"])) < 6:
            raise UserError(_("Phone: give a number we can call."))
        partner = self._match_or_create_partner(form, company)
        return Ticket._intake_customer_request(
            partner,
            {
                "symptom": form["symptom"],
                "reported_product": form["product"],
                "reported_serial": form["serial"],
            },
            channel_code="portal",
            company=company,
            uploads=uploaded_files(),
            extra_vals={"intake_address": address},
        )

    def _over_request_rate(self, address):
        limit = int(
            request.env["ir.config_parameter"]
            .sudo()
            .get_param(REQUEST_LIMIT_PARAM, REQUEST_LIMIT_DEFAULT)
        )
        since = fields.Datetime.now() - timedelta(hours=1)
        recent = (
            request.env["aftersales.ticket"]
            .sudo()
            .search_count(
                [("intake_address", "=", address), ("create_date", ">=", since)]
            )
        )
        return recent >= limit

    def _match_or_create_partner(self, form, company):
        """An existing customer by e-mail, else by phone; else a new one."""
        Partner = request.env["res.partner"].sudo()
        company_domain = [("company_id", "in", [False, company.id])]
        email = tools.email_normalize(form["email"]) if form["email"] else False
        if email:
            partner = Partner.search(
                [("email_normalized", "=", email), *company_domain], limit=1
            )
            if partner:
                return partner
        phone = digits(form["phone"])
        if phone:
            candidates = Partner.search(
                [
                    "|",
                    ("phone", "ilike", phone[-4:]),
                    ("mobile", "ilike", phone[-4:]),
                    *company_domain,
                ],
                limit=50,
            )
            partner = candidates.filtered(
                lambda p: phone in (digits(p.phone), digits(p.mobile))
            )[:1]
            if partner:
                return partner
        return Partner.create(
            {
                "name": form["name"],
                "email": form["email"] or False,
                "phone": form["phone"] or False,
                "lang": request.env.lang,
            }
        )

    # ------------------------------------------------------------------
    # Warranty self-check
    # ------------------------------------------------------------------

    @http.route(
        ["/aftersales/warranty"],
        type="http",
        auth="public",
        website=True,
        readonly=True,
        sitemap=False,
    )
    def warranty_check(self, serial=None, phone=None, lang=None, **kw):
        self._set_visitor_lang(lang)
        company = request.env.company
        values = {
            "serial": serial or "",
            "ask_phone": company.aftersales_warranty_check_phone,
            "result": None,
            "error": None,
        }
        if serial is None:
            return request.render("aftersales_service.public_warranty_check", values)
        if not warranty_check_limiter.hit(self._remote_address()):
            values["error"] = _(
                "Too many checks from your network. Please try again in a few minutes."
            )
            return request.render(
                "aftersales_service.public_warranty_check", values, status=429
            )
        values["result"] = self._warranty_check_result(serial.strip(), phone, company)
        if not values["result"]:
            values["error"] = _(
                "We found no warranty for this serial number. Check the number "
                "on the unit's label."
            )
        return request.render("aftersales_service.public_warranty_check", values)

    def _warranty_check_result(self, serial, phone, company):
        """What a visitor may know about a serial: status, end date, covered
        components. Never the customer's name, address or contacts."""
        if not serial:
            return None
        warranty = (
            request.env["aftersales.warranty"]
            .sudo()
            .search(
                [("lot_id.name", "=", serial), ("company_id", "=", company.id)],
                order="state, end_date desc",
                limit=1,
            )
        )
        if not warranty:
            return None
        if company.aftersales_warranty_check_phone:
            partner = warranty.partner_id
            known = [
                digits(number)[-4:]
                for number in (partner.phone, partner.mobile)
                if digits(number)
            ]
            if not phone or digits(phone)[-4:] not in known or len(digits(phone)) < 4:
                return None
        today = fields.Date.context_today(warranty)
        status, __, end, __ = warranty._status_at(today, reason=False)
        status_labels = dict(
            request.env["aftersales.ticket"]
            ._fields["warranty_status"]
            ._description_selection(request.env)
        )
        return {
            "status": status,
            "status_label": status_labels[status],
            "product": warranty.product_id.with_context(
                lang=request.env.lang
            ).display_name,
            "end_date": warranty.end_date,
            "components": [
                (component.name, component.end_date)
                for component in warranty.component_ids
                if component.end_date and component.end_date >= today
            ],
        }
