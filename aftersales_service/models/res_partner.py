from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression

from .tools import mask_emails_in, mask_phone

# A customer's contact details: masked for technician-only users.
CONTACT_PHONE_FIELDS = frozenset({"phone", "mobile", "phone_sanitized"})
CONTACT_EMAIL_FIELDS = frozenset({"email", "email_formatted", "email_normalized"})
CONTACT_FIELDS = CONTACT_PHONE_FIELDS | CONTACT_EMAIL_FIELDS


def mask_contact_value(fname, value):
    """The masked form of a contact field's value (read format)."""
    if not value or not isinstance(value, str):
        return value
    if fname in CONTACT_PHONE_FIELDS:
        return mask_phone(value)
    return mask_emails_in(value)


class ResPartner(models.Model):
    """Customers' phone numbers and e-mails are shown masked to technicians
    who do not see full contacts (group *See Full Customer Contacts*): in
    every read that leaves the server (read, search_read, web_read, the
    chatter's partner data, exports, the display name with its e-mail),
    grouping on them is refused and the name search does not match them.
    Colleagues (internal users) and companies keep their contacts. The
    stored values never change, and server code reading them is unaffected
    (e-mails still reach the customer)."""

    _inherit = "res.partner"

    aftersales_vip = fields.Boolean(
        string="After-Sales VIP",
        tracking=True,
        help="VIP customers get a dedicated, faster service lane.",
    )
    aftersales_note = fields.Text(
        string="Service Notes",
        help="Notes shown on every ticket of this customer, e.g. 'elderly at "
        "home, prefer mornings'.",
    )
    aftersales_no_updates = fields.Boolean(
        string="No Service Updates by E-mail",
        help="The customer unsubscribed from after-sales status e-mails "
        "(acknowledgements and stage updates). Answers from the service team "
        "still reach them.",
    )
    aftersales_ticket_count = fields.Integer(
        string="After-Sales Tickets",
        compute="_compute_aftersales_ticket_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    aftersales_partner_scope = fields.Boolean(
        string="Known to Partner Technicians",
        compute="_compute_aftersales_partner_scope",
        search="_search_aftersales_partner_scope",
        help="What a partner technician sees of the contacts: colleagues, "
        "the companies, their own company and the customers of their team's "
        "tickets (record rule of the Partner Technician role).",
    )

    def _compute_aftersales_partner_scope(self):
        inside = self.search(
            [("id", "in", self.ids), ("aftersales_partner_scope", "=", True)]
        )
        for partner in self:
            partner.aftersales_partner_scope = partner in inside

    def _search_aftersales_partner_scope(self, operator, value):
        Ticket = self.env["aftersales.ticket"]
        user = self.env.user.sudo()
        positive = [
            "|",
            "|",
            "|",
            "|",
            "|",
            ("partner_share", "=", False),
            ("id", "in", user.company_ids.partner_id.ids),
            ("commercial_partner_id", "=", user.commercial_partner_id.id),
            ("id", "in", Ticket._partner_technician_subselect("partner_id")),
            ("id", "in", Ticket._partner_technician_subselect("commercial_partner_id")),
            ("id", "in", Ticket._partner_technician_subselect("service_partner_id")),
        ]
        return Ticket._partner_technician_scope_domain(operator, value, positive)

    def _compute_aftersales_ticket_count(self):
        # Count on the commercial entity so a company shows its contacts'
        # tickets too.
        counts = self.env["aftersales.ticket"]._count_by(
            "commercial_partner_id", self.commercial_partner_id.ids
        )
        for partner in self:
            partner.aftersales_ticket_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def action_view_aftersales_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("commercial_partner_id", "=", self.commercial_partner_id.id)],
            {"default_partner_id": self.id},
        )

    aftersales_warranty_count = fields.Integer(
        string="Warranties",
        compute="_compute_aftersales_warranty_count",
        groups="aftersales_service.group_aftersales_technician",
    )

    def _compute_aftersales_warranty_count(self):
        counts = self.env["aftersales.warranty"]._count_by(
            "commercial_partner_id", self.commercial_partner_id.ids
        )
        for partner in self:
            partner.aftersales_warranty_count = counts.get(
                partner.commercial_partner_id.id, 0
            )

    def action_view_aftersales_warranties(self):
        self.ensure_one()
        return self.env["aftersales.warranty"]._action_view(
            [("commercial_partner_id", "=", self.commercial_partner_id.id)],
            {"default_partner_id": self.id},
        )

    def write(self, vals):
        res = super().write(vals)
        if "aftersales_vip" in vals:
            # the VIP lane is decided per ticket: open tickets decide again
            tickets = (
                self.env["aftersales.ticket"]
                .sudo()
                .search(
                    [
                        ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                        ("is_closed", "=", False),
                    ]
                )
            )
            tickets._on_facts_changed({"is_vip"})
        return res

    # ------------------------------------------------------------------
    # Masked contacts
    # ------------------------------------------------------------------

    @api.model
    def _aftersales_contacts_masked(self):
        """Whether the current user (whatever sudo) sees customers' contacts
        masked: a technician without the full-contacts group."""
        user = self.env.user
        return user.has_group(
            "aftersales_service.group_aftersales_technician"
        ) and not user.has_group("aftersales_service.group_aftersales_contact_full")

    def _aftersales_masked_ids(self):
        """Ids of the partners in ``self`` whose contacts the current user
        sees masked: everyone but internal users and companies."""
        ids = [pid for pid in self._ids if isinstance(pid, int)]
        if not ids or not self._aftersales_contacts_masked():
            return set()
        partners = self.browse(ids).sudo().with_context(active_test=False)
        kept = partners.user_ids.filtered(lambda user: not user.share).partner_id
        kept |= (
            self.env["res.company"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", ids)])
            .partner_id
        )
        return set(ids) - set(kept.ids)

    def _read_format(self, fnames, load="_classic_read"):
        result = super()._read_format(fnames, load=load)
        fields_to_mask = CONTACT_FIELDS.intersection(fnames)
        if fields_to_mask and result:
            masked = self._aftersales_masked_ids()
            for vals in result:
                if vals["id"] in masked:
                    for fname in fields_to_mask:
                        vals[fname] = mask_contact_value(fname, vals[fname])
        return result

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        columns = [
            index
            for index, path in enumerate(fields)
            if len(path) == 1 and path[0] in CONTACT_FIELDS
        ]
        masked = self._aftersales_masked_ids() if columns else set()
        if not masked:
            return super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        rows = []
        # One record at a time: a record's own values are on its first row.
        for partner in self:
            partner_rows = super(ResPartner, partner)._export_rows(
                fields, _is_toplevel_call=_is_toplevel_call
            )
            if partner.id in masked and partner_rows:
                for index in columns:
                    partner_rows[0][index] = mask_contact_value(
                        fields[index][0], partner_rows[0][index]
                    )
            rows.extend(partner_rows)
        return rows

    @api.depends_context("uid")
    def _compute_display_name(self):
        result = super()._compute_display_name()
        if self.env.context.get("show_email"):
            masked = self._aftersales_masked_ids()
            for partner in self:
                if partner.id in masked:
                    partner.display_name = mask_emails_in(partner.display_name)
        return result

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if self.env.su or not self._aftersales_contacts_masked():
            return domain
        # A masked contact must not be found by its e-mail either.
        negative = operator in expression.NEGATIVE_TERM_OPERATORS
        return [
            (
                (expression.TRUE_LEAF if negative else expression.FALSE_LEAF)
                if expression.is_leaf(term)
                and isinstance(term[0], str)
                and term[0].split(".")[0] in CONTACT_FIELDS
                else term
            )
            for term in domain
        ]

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        if not self.env.su and self._aftersales_contacts_masked():
            specs = [*groupby, *aggregates]
            if any(
                spec.split(":")[0].split(".")[0] in CONTACT_FIELDS for spec in specs
            ):
                raise AccessError(
                    _(
                        "Customers' phone numbers and e-mails are masked for "
                        "technicians: they cannot be grouped or counted by them."
                    )
                )
        return super()._read_group(
            domain,
            groupby=groupby,
            aggregates=aggregates,
            having=having,
            offset=offset,
            limit=limit,
            order=order,
        )
