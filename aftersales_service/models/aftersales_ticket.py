import functools
import textwrap
from collections import defaultdict
from datetime import timedelta
from urllib.parse import quote_plus

import babel.dates
import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, sql
from odoo.tools.misc import (
    babel_locale_parse,
    clean_context,
    get_lang,
    posix_to_ldml,
)

from .tools import mask_email, mask_phone


@functools.lru_cache(maxsize=32)
def _datetime_pattern(lang_code, date_format, time_format):
    """(babel pattern, locale) of a language's date and short time formats."""
    locale = babel_locale_parse(lang_code)
    return posix_to_ldml(f"{date_format} {time_format}", locale=locale), locale


PRIORITIES = [
    ("0", "Normal"),
    ("1", "Urgent"),
    ("2", "Critical"),
]

# What a technician (without agent rights) may change on a ticket assigned to
# them: the stage, the work log and the appointment. Everything else is the
# agent's or the manager's.
# The stage transitions a write can make, in the order they are handled.
TRANSITIONS = ("resumed", "reopened", "closed", "reclosed", "paused")

TECHNICIAN_WRITABLE_FIELDS = {
    "stage_id",
    "resolution",
    "appointment_start",
    "appointment_stop",
    "color",
    "message_main_attachment_id",
}


class AftersalesTicket(models.Model):
    _name = "aftersales.ticket"
    _description = "After-Sales Ticket"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "aftersales.smart.button.mixin",
    ]
    _order = "priority desc, id desc"
    _primary_email = "partner_email"
    _check_company_auto = True
    _mailing_enabled = True
    _aftersales_action = "aftersales_service.aftersales_ticket_action"

    def _default_stage_id(self):
        Stage = self.env["aftersales.stage"]
        return Stage.browse(Stage._first_stage_id())

    def _default_channel_id(self):
        return self.env["aftersales.channel"].search(
            [("company_id", "in", [False, self.env.company.id])], limit=1
        )

    # Identification
    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    subject = fields.Char(
        tracking=True,
        compute="_compute_subject",
        store=True,
        readonly=False,
        precompute=True,
        help="What the ticket is about, in a few words; the first line of the "
        "symptom when left empty.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    color = fields.Integer()
    received_date = fields.Datetime(
        string="Received On",
        required=True,
        index=True,
        default=fields.Datetime.now,
        copy=False,
        help="When the customer's contact was received; service levels and "
        "repeat contacts count from here.",
    )

    # Customer
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index=True,
        tracking=True,
        check_company=True,
    )
    # indexed with the received date (ticket_portal.py, init()): the portal's
    # list of a customer's tickets and every search on the customer alone
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, precompute=True
    )
    partner_phone = fields.Char(
        string="Contact Phone",
        compute="_compute_partner_contact",
        store=True,
        readonly=False,
        precompute=True,
        groups="aftersales_service.group_aftersales_contact_full",
    )
    partner_email = fields.Char(
        string="Contact Email",
        compute="_compute_partner_contact",
        store=True,
        readonly=False,
        precompute=True,
        groups="aftersales_service.group_aftersales_contact_full",
    )
    partner_phone_masked = fields.Char(
        string="Phone", compute="_compute_contact_masked", compute_sudo=True
    )
    partner_email_masked = fields.Char(
        string="Email", compute="_compute_contact_masked", compute_sudo=True
    )
    service_partner_id = fields.Many2one(
        "res.partner",
        string="Service Address",
        compute="_compute_service_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        help="Where the unit is serviced: the customer's delivery address, or "
        "the customer's own address.",
    )
    service_address = fields.Char(string="Address", compute="_compute_service_address")
    service_map_url = fields.Char(string="Map", compute="_compute_service_address")
    is_vip = fields.Boolean(
        string="VIP",
        related="partner_id.commercial_partner_id.aftersales_vip",
        store=True,
        index=True,
    )
    partner_service_note = fields.Text(
        string="Customer Service Notes",
        compute="_compute_partner_service_note",
    )
    partner_ticket_count = fields.Integer(
        string="Customer Tickets", compute="_compute_partner_ticket_count"
    )

    # Product
    product_id = fields.Many2one(
        "product.product",
        index=True,
        tracking=True,
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Serial Number",
        index=True,
        tracking=True,
        check_company=True,
        domain="[('product_id', '=?', product_id)]",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        index="btree_not_null",
        compute="_compute_sale_order_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
    )
    purchase_date = fields.Date(
        compute="_compute_sale_order_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Date the customer bought the unit (from the sale order when known).",
    )

    # Intake
    channel_id = fields.Many2one(
        "aftersales.channel",
        required=True,
        default=_default_channel_id,
        tracking=True,
        domain="[('company_id', 'in', [False, company_id])]",
    )
    priority = fields.Selection(
        PRIORITIES,
        required=True,
        default="0",
        index=True,
        tracking=True,
    )
    symptom = fields.Text(tracking=True)
    frequency = fields.Selection(
        [
            ("once", "Happened once"),
            ("intermittent", "Intermittent"),
            ("frequent", "Frequent"),
            ("permanent", "Permanent"),
        ],
    )
    environment = fields.Char(
        help="Where and how the unit is used (e.g. humid basement, 24/7 operation)."
    )
    resolution = fields.Html(
        string="Work Log",
        help="Diagnosis and work done, filled by the technician.",
    )

    # Workflow
    stage_id = fields.Many2one(
        "aftersales.stage",
        default=_default_stage_id,
        group_expand="_read_group_stage_ids",
        index=True,
        tracking=True,
        copy=False,
        ondelete="restrict",
    )
    is_closed = fields.Boolean(
        related="stage_id.is_closed", store=True, index=True, string="Closed"
    )
    outcome = fields.Selection(
        related="stage_id.outcome",
        store=True,
        index=True,
        string="Outcome",
        help="Open, solved, or cancelled / not fixed: only solved tickets "
        "count as repairs, met service levels and first-time fixes.",
    )
    closed_date = fields.Datetime(copy=False, readonly=True)
    team_id = fields.Many2one(
        "aftersales.team",
        string="Service Team",
        index=True,
        tracking=True,
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
    )
    technician_id = fields.Many2one(
        "hr.employee",
        index=True,
        tracking=True,
        check_company=True,
    )
    technician_user_id = fields.Many2one(
        related="technician_id.user_id",
        string="Technician User",
        store=True,
        index=True,
    )
    owner_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        tracking=True,
        default=lambda self: self.env.user,
        copy=False,
        domain="[('share', '=', False)]",
        help="First-contact owner: the person who took the customer's contact "
        "stays accountable until the ticket is closed, whoever works on it.",
    )
    appointment_start = fields.Datetime(tracking=True)
    appointment_stop = fields.Datetime()

    # Repeat contacts
    repeat_of_id = fields.Many2one(
        "aftersales.ticket",
        compute="_compute_repeat_of_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        copy=False,
        help="Earlier ticket of the same customer for the same serial (or "
        "product) within the repeat window.",
    )
    is_repeat = fields.Boolean(
        string="Repeat Contact",
        compute="_compute_is_repeat",
        store=True,
        index=True,
    )

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "The ticket reference must be unique per company.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("partner_id")
    def _compute_partner_contact(self):
        for ticket in self:
            partner = ticket.partner_id
            ticket.partner_phone = partner.mobile or partner.phone or False
            ticket.partner_email = partner.email or False

    @api.depends("partner_phone", "partner_email")
    def _compute_contact_masked(self):
        for ticket in self:
            ticket.partner_phone_masked = mask_phone(ticket.partner_phone)
            ticket.partner_email_masked = mask_email(ticket.partner_email)

    @api.depends("symptom")
    def _compute_subject(self):
        for ticket in self:
            if ticket.subject:
                continue
            lines = (ticket.symptom or "").strip().splitlines()
            ticket.subject = (
                textwrap.shorten(lines[0], 80, placeholder="…") if lines else False
            )

    @api.depends("partner_id")
    def _compute_service_partner_id(self):
        """The delivery address of the contact, else of its company, else the
        contact itself (like a sale order's delivery address); one search for
        the whole set."""
        partners = self.partner_id
        deliveries = {}
        if partners:
            for child in self.env["res.partner"].search(
                [
                    ("type", "=", "delivery"),
                    (
                        "parent_id",
                        "in",
                        (partners | partners.commercial_partner_id).ids,
                    ),
                ],
                order="id",
            ):
                deliveries.setdefault(child.parent_id.id, child)
        for ticket in self:
            partner = ticket.partner_id
            ticket.service_partner_id = (
                deliveries.get(partner.id)
                or deliveries.get(partner.commercial_partner_id.id)
                or partner
            )

    @api.depends(
        "service_partner_id.street",
        "service_partner_id.street2",
        "service_partner_id.zip",
        "service_partner_id.city",
        "service_partner_id.state_id",
        "service_partner_id.country_id",
    )
    def _compute_service_address(self):
        for ticket in self:
            partner = ticket.service_partner_id
            parts = [
                partner.street,
                partner.street2,
                " ".join(p for p in (partner.zip, partner.city) if p),
                partner.state_id.name,
                partner.country_id.name,
            ]
            address = ", ".join(part for part in parts if part)
            ticket.service_address = address or False
            ticket.service_map_url = (
                f"https://www.openstreetmap.org/search?query={quote_plus(address)}"
                if address
                else False
            )

    @api.depends(
        "partner_id.aftersales_note",
        "partner_id.commercial_partner_id.aftersales_note",
    )
    def _compute_partner_service_note(self):
        """The contact's notes and, for a company's contact, the company's."""
        for ticket in self:
            partner = ticket.partner_id
            company = partner.commercial_partner_id
            notes = []
            if company != partner and company.aftersales_note:
                notes.append(f"{company.name}: {company.aftersales_note}")
            if partner.aftersales_note:
                notes.append(partner.aftersales_note)
            ticket.partner_service_note = "\n".join(notes) or False

    @api.depends("name", "subject")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = (
                f"{ticket.subject} ({ticket.name})" if ticket.subject else ticket.name
            )

    @api.depends("commercial_partner_id")
    def _compute_partner_ticket_count(self):
        counts = self._count_by("commercial_partner_id", self.commercial_partner_id.ids)
        for ticket in self:
            ticket.partner_ticket_count = counts.get(ticket.commercial_partner_id.id, 0)

    @api.depends("lot_id")
    def _compute_product_id(self):
        for ticket in self:
            if ticket.lot_id and not ticket.product_id:
                ticket.product_id = ticket.lot_id.product_id

    @api.depends("lot_id")
    def _compute_sale_order_id(self):
        tickets = self.filtered(lambda t: t.lot_id and not t.sale_order_id)
        deliveries = tickets._find_lot_deliveries()
        for ticket in self:
            line = deliveries.get(ticket.lot_id.id)
            if ticket not in tickets or not line:
                if not ticket.sale_order_id:
                    ticket.sale_order_id = False
                if not ticket.purchase_date and ticket.sale_order_id:
                    ticket.purchase_date = ticket.sale_order_id.date_order.date()
                continue
            order = line.move_id.sale_line_id.order_id
            ticket.sale_order_id = order
            ticket.purchase_date = (
                order.date_order.date() if order else line.date.date()
            )

    def _find_lot_deliveries(self):
        """Last delivery of each serial to a customer: {lot_id: move line}.

        One search for the whole set of tickets."""
        lots = self.lot_id
        if not lots:
            return {}
        lines = (
            self.env["stock.move.line"]
            .sudo()
            .search(
                [
                    ("lot_id", "in", lots.ids),
                    ("state", "=", "done"),
                    ("location_dest_id.usage", "=", "customer"),
                ],
                order="date desc, id desc",
            )
        )
        result = {}
        for line in lines:
            result.setdefault(line.lot_id.id, line)
        return result

    @api.depends("partner_id", "channel_id")
    def _compute_team_id(self):
        todo = self.filtered(lambda t: not t.team_id)
        by_company = defaultdict(lambda: self.env["aftersales.ticket"])
        for ticket in todo:
            by_company[ticket.company_id or self.env.company] |= ticket
        for company, tickets in by_company.items():
            teams = self.env["aftersales.team"]._find_for_partners(
                tickets.partner_id, company
            )
            for ticket in tickets:
                ticket.team_id = (
                    teams.get(ticket.partner_id.id) or ticket.channel_id.team_id
                )

    @api.depends(
        "commercial_partner_id", "lot_id", "product_id", "received_date", "channel_id"
    )
    def _compute_repeat_of_id(self):
        # Planned work (e.g. a periodic inspection) is not the customer
        # contacting us: it neither repeats nor is repeated.
        tickets = self.filtered(
            lambda t: t.id and t.commercial_partner_id and not t.channel_id.planned_work
        )
        (self - tickets).repeat_of_id = False
        if not tickets:
            return
        now = fields.Datetime.now()
        max_days = max(tickets.company_id.mapped("aftersales_repeat_days") or [0])
        oldest = min(t.received_date or now for t in tickets)
        candidates = self.search(
            [
                ("commercial_partner_id", "in", tickets.commercial_partner_id.ids),
                ("received_date", ">=", oldest - timedelta(days=max_days)),
                ("id", "<", max(tickets.ids)),
                ("channel_id.planned_work", "=", False),
            ],
            order="id desc",
        )
        by_partner = defaultdict(list)
        for candidate in candidates:
            by_partner[candidate.commercial_partner_id.id].append(candidate)
        for ticket in tickets:
            days = ticket.company_id.aftersales_repeat_days
            received = ticket.received_date or now
            since = received - timedelta(days=days)
            match = False
            if days > 0:
                for candidate in by_partner[ticket.commercial_partner_id.id]:
                    if (
                        candidate.id >= ticket.id
                        or not since <= candidate.received_date <= received
                    ):
                        continue
                    if ticket.lot_id:
                        same = candidate.lot_id == ticket.lot_id
                    else:
                        same = (
                            bool(ticket.product_id)
                            and candidate.product_id == ticket.product_id
                        )
                    if same:
                        match = candidate
                        break
            ticket.repeat_of_id = match

    @api.depends("repeat_of_id")
    def _compute_is_repeat(self):
        for ticket in self:
            ticket.is_repeat = bool(ticket.repeat_of_id)

    def _may_have(self, fname):
        """The tickets of ``self`` that may have records in the one2many
        ``fname``: not those whose value is known empty in the cache (a
        ticket just created has none), so that a compute run right after
        ``create()`` looks nothing up for them."""
        field = self._fields[fname]
        cache = self.env.cache
        return self.filtered(
            lambda t: (
                t.id and not (cache.contains(t, field) and not cache.get(t, field))
            )
        )

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"
        return res

    def init(self):
        res = super().init()
        # The Tickets menu opens on the open tickets ("Open" filter, i.e.
        # is_closed IS NULL OR is_closed = FALSE): a kanban column per stage
        # with its count and traffic-light bar, each column's first cards by
        # priority, and the list's first page in the same order. Open tickets
        # are a small share of a database that has run for years: partial
        # indexes on them serve the whole first screen (counts from the
        # index alone) without reading the closed ones.
        open_tickets = "(is_closed IS NULL OR is_closed = FALSE)"
        for name, columns, include in (
            (
                "aftersales_ticket_open_stage_index",
                "stage_id, priority DESC, id DESC",
                "company_id, active, traffic_light",
            ),
            (
                "aftersales_ticket_open_priority_index",
                "priority DESC, id DESC",
                "company_id, active",
            ),
        ):
            if not sql.index_exists(self.env.cr, name):
                self.env.cr.execute(
                    SQL(
                        "CREATE INDEX %s ON %s (%s) INCLUDE (%s) WHERE %s",
                        SQL.identifier(name),
                        SQL.identifier(self._table),
                        SQL(columns),
                        SQL(include),
                        SQL(open_tickets),
                    )
                )
        return res

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        if self.env.context.get("aftersales_stages_with_work"):
            # "My Tickets": only the columns holding the user's work, so the
            # first column (the one a phone opens on) is never empty.
            return stages
        return stages.search([])

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("lot_id", "product_id")
    def _check_lot_product(self):
        for ticket in self:
            if ticket.lot_id and ticket.lot_id.product_id != ticket.product_id:
                raise ValidationError(
                    _(
                        "Serial Number %(lot)s belongs to product %(lot_product)s, "
                        "not to %(product)s. Pick a serial of the ticket's "
                        "product.",
                        lot=ticket.lot_id.name,
                        lot_product=ticket.lot_id.product_id.display_name,
                        product=ticket.product_id.display_name or _("(none)"),
                    )
                )

    @api.constrains("partner_id", "symptom")
    def _check_intake(self):
        for ticket in self:
            if not ticket.partner_id:
                raise ValidationError(
                    _("Customer: every ticket needs the customer who contacted us.")
                )
            if not (ticket.symptom or "").strip():
                raise ValidationError(_("Symptom: describe what the customer reports."))

    @api.constrains("appointment_start", "appointment_stop")
    def _check_appointment(self):
        for ticket in self:
            if (
                ticket.appointment_start
                and ticket.appointment_stop
                and ticket.appointment_stop < ticket.appointment_start
            ):
                raise ValidationError(
                    _("Appointment: the window must end after it starts.")
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def _check_priority_vals(self, vals):
        allowed = dict(self._fields["priority"]._description_selection(self.env))
        if "priority" in vals and vals["priority"] not in allowed:
            raise ValidationError(
                _(
                    "Priority: %(value)s is not a valid priority; choose one "
                    "of %(allowed)s.",
                    value=vals["priority"],
                    allowed=", ".join(allowed.values()),
                )
            )

    def _check_intake_vals(self, vals):
        """Refuse a new ticket without the intake facts, before anything is
        written (constraints alone do not see fields left out of ``vals``)."""
        if not vals.get("partner_id"):
            raise ValidationError(
                _("Customer: every ticket needs the customer who contacted us.")
            )
        if not (vals.get("symptom") or "").strip():
            raise ValidationError(_("Symptom: describe what the customer reports."))
        self._check_priority_vals(vals)

    @api.model_create_multi
    def create(self, vals_list):
        """The one intake of every channel: defaults and references for the
        whole batch, then ``_on_created`` for the capabilities."""
        vals_list = [dict(vals) for vals in vals_list]  # never alter the caller's
        default_company = self.env.company
        self._set_batch_defaults(vals_list)
        by_company = defaultdict(list)
        new = self.env._("New")
        for vals in vals_list:
            self._check_intake_vals(vals)
            if vals.get("lot_id") and not vals.get("product_id"):
                vals.pop("product_id", None)  # let the serial decide
            if not vals.get("name") or vals["name"] == new:
                company_id = vals.get("company_id") or default_company.id
                by_company[company_id].append(vals)
        for company_id, company_vals in by_company.items():
            company = self.env["res.company"].browse(company_id)
            sequence = self._get_ticket_sequence(company)
            names = sequence._aftersales_next_batch(len(company_vals))
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name
        closing_stages = (
            self.env["aftersales.stage"]
            .browse({vals["stage_id"] for vals in vals_list if vals.get("stage_id")})
            .filtered("is_closed")
        )
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("stage_id") in closing_stages.ids:
                vals.setdefault("closed_date", now)
        # Odoo's chatter subscribes the creator with one INSERT and the
        # capabilities their followers (the customer) with another: one
        # INSERT for all of them instead (_subscribe_at_creation)
        subscribe_creator = bool(
            not self.env.context.get("tracking_disable")
            and not self.env.context.get("mail_create_nosubscribe")
            and self.env.user.active
        )
        tickets = (
            super(AftersalesTicket, self.with_context(mail_create_nosubscribe=True))
            .create(vals_list)
            .with_env(self.env)
        )
        tickets._subscribe_at_creation(vals_list, subscribe_creator)
        tickets._on_created()
        return tickets

    def write(self, vals):
        """Work out once for the batch what the write does (a stage
        transition, changed facts) and call the capabilities' hooks."""
        self._check_write_vals(vals)
        if not self:
            return super().write(vals)
        new_stage = self.env["aftersales.stage"]
        if vals.get("stage_id"):
            new_stage = new_stage.browse(vals["stage_id"])
            entering = self.filtered(lambda t: t.stage_id.outcome != new_stage.outcome)
            if new_stage.is_closed and entering:
                entering._check_can_close(new_stage)
        previous = self._lifecycle_snapshot()
        result = super().write(vals)
        if new_stage:
            self._lifecycle_transitions(previous)
        changed = self._lifecycle_changes(previous, exclude={"stage_id"})
        if changed:
            fnames = set().union(*changed.values())
            tickets = self.browse([ticket_id for ticket_id in changed])
            tickets._on_facts_changed(fnames, previous)
        return result

    # ------------------------------------------------------------------
    # Lifecycle: what a write means, and the hooks capabilities extend
    # ------------------------------------------------------------------

    def _lifecycle_watched_fields(self):
        """Fields whose change is an event of the case: the stage and the
        facts capabilities decide from. Capabilities add theirs."""
        return {
            "stage_id",
            "active",
            "partner_id",
            "product_id",
            "lot_id",
            "sale_order_id",
            "purchase_date",
            "priority",
            "team_id",
            "channel_id",
            "company_id",
            "technician_id",
        }

    def _lifecycle_snapshot(self):
        """{ticket id: {field: value}} of the watched fields, before a
        write."""
        fnames = self._lifecycle_watched_fields()
        return {ticket.id: {f: ticket[f] for f in fnames} for ticket in self}

    def _lifecycle_changes(self, previous, exclude=()):
        """{ticket id: changed watched fields} since ``previous``."""
        changes = {}
        for ticket in self:
            before = previous.get(ticket.id, {})
            fnames = {
                fname
                for fname, value in before.items()
                if fname not in exclude and ticket[fname] != value
            }
            if fnames:
                changes[ticket.id] = fnames
        return changes

    def _lifecycle_transitions(self, previous):
        """Classify the stage moves of the batch and call
        ``_on_transition`` once per kind, in the order the clocks need:
        resumed, reopened, closed, reclosed, paused."""
        now = fields.Datetime.now()
        kinds = defaultdict(list)
        for ticket in self:
            old = previous[ticket.id]["stage_id"]
            new = ticket.stage_id
            if old == new:
                continue
            if old.pause_sla and not (new.pause_sla and not new.is_closed):
                kinds["resumed"].append(ticket.id)
            if old.is_closed and not new.is_closed:
                kinds["reopened"].append(ticket.id)
            elif not old.is_closed and new.is_closed:
                kinds["closed"].append(ticket.id)
            elif old.is_closed and new.is_closed and old.outcome != new.outcome:
                kinds["reclosed"].append(ticket.id)
            if new.pause_sla and not new.is_closed and not old.pause_sla:
                kinds["paused"].append(ticket.id)
        # closed_date is the moment the case ended: set when it closes, kept
        # when only the outcome changes, cleared when it reopens.
        if kinds["closed"]:
            self.browse(kinds["closed"]).sudo().write({"closed_date": now})
        if kinds["reopened"]:
            self.browse(kinds["reopened"]).sudo().write({"closed_date": False})
        stages = {
            ticket_id: values["stage_id"] for ticket_id, values in previous.items()
        }
        for kind in TRANSITIONS:
            if kinds[kind]:
                self.browse(kinds[kind])._on_transition(kind, stages)

    @api.model
    def _on_product_facts_changed(self, products):
        """A product moved to another category (or its category moved): the
        open tickets of these products decide again."""
        if not products:
            return
        tickets = self.sudo().search(
            [("product_id", "in", products.ids), ("is_closed", "=", False)]
        )
        tickets._on_facts_changed({"product_id"})

    def _on_created(self):
        """Hook: the tickets were just created (any channel)."""

    def _creation_followers(self):
        """Hook: who else follows the new tickets from the start, as
        [(ticket, partner id, subtype ids)]. Capabilities add theirs (the
        portal: the customer)."""
        return []

    def _subscribe_at_creation(self, vals_list, subscribe_creator):
        """The creator (with the default subtypes, as Odoo's chatter does
        unless asked not to) and the ``_creation_followers`` follow the new
        tickets: one ``create`` of followers for the batch. The tickets are
        new: followers exist only when Odoo's auto-subscription added some,
        then one search finds them and they are updated instead."""
        followers = defaultdict(dict)  # ticket id: {partner id: subtype ids}
        if subscribe_creator:
            default = self.env["mail.message.subtype"].default_subtypes(self._name)[0]
            partner_id = self.env.user.partner_id.id
            for ticket in self:
                followers[ticket.id][partner_id] = default.ids
        for ticket, partner_id, subtype_ids in self._creation_followers():
            followers[ticket.id][partner_id] = subtype_ids
        if not followers:
            return
        Followers = (
            self.env["mail.followers"]
            .sudo()
            .with_context(**clean_context(self.env.context))
        )
        existing = {}
        if self._auto_subscribed_at_creation(vals_list):
            existing = {
                (follower.res_id, follower.partner_id.id): follower
                for follower in Followers.search(
                    [("res_model", "=", self._name), ("res_id", "in", self.ids)]
                )
            }
        new = []
        for ticket_id, partners in followers.items():
            for partner_id, subtype_ids in partners.items():
                follower = existing.get((ticket_id, partner_id))
                if follower:
                    follower.subtype_ids = [Command.set(subtype_ids)]
                    continue
                new.append(
                    {
                        "res_model": self._name,
                        "res_id": ticket_id,
                        "partner_id": partner_id,
                        "subtype_ids": [Command.set(subtype_ids)],
                    }
                )
        if new:
            Followers.create(new)

    def _auto_subscribed_at_creation(self, vals_list):
        """Whether Odoo's auto-subscription (``_message_auto_subscribe``,
        run by the chatter's ``create``) may have added followers to the new
        tickets: a parent relation field of a subtype set, or a responsible
        user (``_message_auto_subscribe_followers``)."""
        Subtype = self.env["mail.message.subtype"]
        __, def_ids, __, __, relation = Subtype._get_auto_subscription_subtypes(
            self._name
        )
        relation_fields = {fname for fnames in relation.values() for fname in fnames}
        for ticket, vals in zip(self, vals_list, strict=True):
            if any(vals.get(fname) for fname in relation_fields):
                return True
            if ticket._message_auto_subscribe_followers(vals, def_ids):
                return True
        return False

    def _on_transition(self, kind, previous):
        """Hook: ``self`` made the stage transition ``kind`` (one of
        ``TRANSITIONS``); ``previous`` = {ticket id: stage before}."""

    def _on_facts_changed(self, fnames, previous=None):
        """Hook: watched facts ``fnames`` of ``self`` changed, in a write
        (``previous`` holds the values before it) or elsewhere (a warranty
        found later, a customer made VIP: ``previous`` is None)."""

    def _check_can_close(self, stage):
        """Hook: refuse (``UserError``) to move ``self`` into the closing
        ``stage`` (or to change their closing outcome to its)."""

    def _technician_writable_fields(self):
        """Fields a technician without agent rights may write on their
        tickets. Capabilities add what they let technicians record."""
        return set(TECHNICIAN_WRITABLE_FIELDS)

    def _check_write_vals(self, vals):
        self._check_priority_vals(vals)
        if "owner_id" in vals and not self.env.su:
            if any(ticket.owner_id.id != vals["owner_id"] for ticket in self):
                raise UserError(
                    _(
                        "The owner stays accountable for the ticket until it is "
                        "closed. Use 'Change Owner' to hand it over with a "
                        "reason."
                    )
                )
        self._check_technician_write(vals)

    def _check_technician_write(self, vals):
        """Technicians without agent rights only change what
        ``_technician_writable_fields`` lists on their tickets."""
        user = self.env.user
        if (
            self.env.su
            or not user.has_group("aftersales_service.group_aftersales_technician")
            or user.has_group("aftersales_service.group_aftersales_user_own")
        ):
            return
        forbidden = set(vals) - self._technician_writable_fields()
        if forbidden:
            labels = ", ".join(
                sorted(
                    self._fields[fname]._description_string(self.env)
                    for fname in forbidden
                    if fname in self._fields
                )
            )
            raise UserError(
                _(
                    "As a technician you can change the stage, the work log and "
                    "the appointment of your tickets, not: %(fields)s.",
                    fields=labels,
                )
            )

    def _set_batch_defaults(self, vals_list):
        """Fill the stage and channel defaults once for the whole batch
        instead of one search per ticket."""
        context = self.env.context
        if any("stage_id" not in vals for vals in vals_list) and (
            "default_stage_id" not in context
        ):
            stage = self._default_stage_id()
            for vals in vals_list:
                vals.setdefault("stage_id", stage.id)
        if any("channel_id" not in vals for vals in vals_list) and (
            "default_channel_id" not in context
        ):
            channels = {}
            for vals in vals_list:
                if "channel_id" in vals:
                    continue
                company_id = vals.get("company_id") or self.env.company.id
                if company_id not in channels:
                    channels[company_id] = self.with_company(
                        company_id
                    )._default_channel_id()
                vals["channel_id"] = channels[company_id].id

    @api.model
    def _get_ticket_sequence(self, company):
        IrSequence = self.env["ir.sequence"].sudo()
        sequence = IrSequence.browse(
            IrSequence._aftersales_sequence_id("aftersales.ticket", company.id)
        )
        if not sequence:
            sequence = IrSequence.create(company._prepare_aftersales_sequence_vals())
        return sequence

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------

    def _track_subtype(self, init_values):
        self.ensure_one()
        if "stage_id" in init_values:
            # by id from the cached xmlid: no query per ticket of a batch
            return self.env["mail.message.subtype"].browse(
                self.env["ir.model.data"]._xmlid_to_res_id(
                    "aftersales_service.mt_ticket_stage"
                )
            )
        return super()._track_subtype(init_values)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        for ticket in self:
            if ticket.partner_id:
                ticket._message_add_suggested_recipient(
                    recipients, partner=ticket.partner_id, reason=_("Customer")
                )
        return recipients

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_change_owner(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Change Owner"),
            "res_model": "aftersales.ticket.owner.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_ids": self.ids},
        }

    def action_transfer(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Transfer to Another Team"),
            "res_model": "aftersales.ticket.transfer.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_ids": self.ids},
        }

    def action_view_partner_tickets(self):
        self.ensure_one()
        return self._action_view(
            [("commercial_partner_id", "=", self.commercial_partner_id.id)],
            {"default_partner_id": self.partner_id.id},
        )

    def action_view_repeat_of(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.repeat_of_id.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _schedule_alerts(self, alerts, notify=True, created=False):
        """One open "Service Level" activity per person per ticket.

        ``alerts``: iterable of (ticket, user, summary, note, deadline). An
        alert for a person who already has one open on the ticket updates it
        (summary, note, the earlier deadline) instead of adding a second one;
        alerts for the same person and ticket in one batch merge the same way.
        ``notify=False`` when the caller already told the person (no
        assignment e-mail); ``created``: the tickets were just created (they
        have no activity yet). One search, one ``create`` for the batch."""
        alerts = [alert for alert in alerts if alert[1]]
        if not alerts:
            return self.env["mail.activity"]
        activity_type = self.env["mail.activity.type"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id(
                "aftersales_service.mail_activity_type_sla"
            )
        )
        Activity = self.env["mail.activity"].sudo()
        existing = Activity
        if not created:
            existing = Activity.search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", list({ticket.id for ticket, *__ in alerts})),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        by_key = {(act.res_id, act.user_id.id): act for act in existing}
        pending = {}
        for ticket, user, summary, note, deadline in alerts:
            key = (ticket.id, user.id)
            activity = by_key.get(key)
            if activity:
                activity.write(
                    {
                        "summary": summary,
                        "note": note or activity.note,
                        "date_deadline": min(activity.date_deadline, deadline),
                    }
                )
                continue
            vals = pending.get(key)
            if vals:
                vals.update(
                    summary=summary,
                    note=note or vals["note"],
                    date_deadline=min(vals["date_deadline"], deadline),
                )
                continue
            pending[key] = {
                "res_model_id": self.env["ir.model"]._get_id(self._name),
                "res_id": ticket.id,
                "activity_type_id": activity_type.id,
                "summary": summary,
                "note": note or False,
                "user_id": user.id,
                "date_deadline": deadline,
            }
        if not pending:
            return existing
        return Activity.with_context(mail_activity_quick_update=not notify).create(
            list(pending.values())
        )

    @api.model
    def _format_datetime_for(self, user, value):
        """``value`` (UTC) as ``user`` reads it: their time zone and language,
        with the zone named."""
        if not value:
            return ""
        tz = user.tz or self.env.user.tz or "UTC"
        lang = get_lang(self.env, user.lang or self.env.lang)
        # what odoo.tools.format_datetime does, with the pattern and locale
        # parsed once per language (the deadline job formats thousands)
        pattern, locale = _datetime_pattern(
            lang.code, lang.date_format, lang.short_time_format
        )
        utc_value = pytz.utc.localize(value, is_dst=False)
        try:
            local_value = utc_value.astimezone(pytz.timezone(tz))
        except pytz.UnknownTimeZoneError:
            local_value = utc_value
        return (
            f"{babel.dates.format_datetime(local_value, pattern, locale=locale)} ({tz})"
        )

    def _change_owner(self, new_owner, reason):
        """Hand the tickets over to ``new_owner``, logging why."""
        user = self.env.user
        may_reassign = user.has_group("aftersales_service.group_aftersales_user_team")
        for ticket in self:
            if ticket.owner_id != user and not may_reassign:
                raise UserError(
                    _(
                        "Only the current owner of %(ticket)s or a team "
                        "supervisor can hand it over.",
                        ticket=ticket.name,
                    )
                )
        if not (reason or "").strip():
            raise UserError(_("Reason: say why the ownership changes."))
        for ticket in self:
            # Log first: the previous owner may lose access once handed over.
            ticket.message_post(
                body=_(
                    "Owner changed from %(old)s to %(new)s. Reason: %(reason)s",
                    old=ticket.owner_id.name,
                    new=new_owner.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        # Rights were checked above; the previous owner may no longer see the
        # ticket once it is handed over, so the write and its tracking run as
        # superuser (the author stays the current user).
        self.sudo().owner_id = new_owner

    def _transfer_to_team(self, team, reason, technician=None):
        if not (reason or "").strip():
            raise UserError(_("Reason: say why the ticket moves to another team."))
        vals = {"team_id": team.id}
        if technician is not None:
            vals["technician_id"] = technician.id
        for ticket in self:
            old = ticket.team_id
            ticket.write(vals)
            ticket.message_post(
                body=_(
                    "Transferred from %(old)s to %(new)s. Reason: %(reason)s",
                    old=old.display_name or _("no team"),
                    new=team.display_name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
