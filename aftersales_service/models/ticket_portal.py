import re
import uuid
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

# What a customer may say about a new request, whatever the channel: every
# other ticket field (owner, team, technician, stage, SLA facts...) is decided
# by the intake, never by the customer.
CUSTOMER_INTAKE_FIELDS = (
    "product_id",
    "lot_id",
    "symptom",
    "frequency",
    "environment",
    "priority",
    "reported_product",
    "reported_serial",
)
# Urgencies a customer may choose; "critical" is the service's call.
CUSTOMER_PRIORITIES = ("0", "1")

# Uploads from customers: photos, videos and PDFs only, bounded in size.
UPLOAD_MIMETYPE_PREFIXES = ("image/", "video/")
UPLOAD_MIMETYPES = {"application/pdf"}
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_FILES = 5

PORTAL_STATES = [
    ("received", "Received"),
    ("assigned", "Technician assigned"),
    ("scheduled", "Visit scheduled"),
    ("on_hold", "On hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
]

REFERENCE_RE = re.compile(r"\[(AS\d{2,}\d+)\]")


class AftersalesTicket(models.Model):
    """The customer's side of the ticket: portal status and actions,
    self-service intake (portal, public form, e-mail), acknowledgement and
    stage e-mails."""

    _inherit = "aftersales.ticket"

    # Every ticket gets its token at creation: the acknowledgement links to it
    # and no batch needs one write per ticket later.
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
    reported_product = fields.Char(
        string="Product (as told)",
        help="The product as the customer named it on a self-service request, "
        "when they did not pick one of their delivered units.",
    )
    reported_serial = fields.Char(
        string="Serial (as told)",
        help="The serial number as the customer typed it; linked to the unit "
        "only when it was delivered to this customer.",
    )
    intake_address = fields.Char(
        string="Request Address",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="aftersales_service.group_aftersales_manager",
        help="Network address of a public request form submission (abuse control).",
    )
    customer_confirmed_date = fields.Datetime(
        string="Confirmed Solved by Customer",
        readonly=True,
        copy=False,
        tracking=True,
    )
    portal_state = fields.Selection(
        PORTAL_STATES,
        string="Status",
        compute="_compute_portal_state",
        help="The ticket's status in the customer's words.",
    )
    portal_can_confirm = fields.Boolean(compute="_compute_portal_can")
    portal_can_reopen = fields.Boolean(compute="_compute_portal_can")

    def init(self):
        res = super().init()
        # /my/tickets: a customer's (or their company's) tickets, newest
        # first, read in order from one index whatever the number of tickets
        # in the database; a search on the customer alone uses it too.
        tools.create_index(
            self.env.cr,
            "aftersales_ticket_commercial_partner_received_index",
            self._table,
            ["commercial_partner_id", "received_date DESC", "id DESC"],
        )
        return res

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends(
        "stage_id.pause_sla",
        "is_closed",
        "technician_id",
        "appointment_start",
        "outcome",
    )
    def _compute_portal_state(self):
        for ticket in self:
            if ticket.is_closed:
                state = "solved" if ticket.outcome == "solved" else "closed"
            elif ticket.stage_id.pause_sla:
                state = "on_hold"
            elif ticket.appointment_start:
                state = "scheduled"
            elif ticket.technician_id:
                state = "assigned"
            else:
                state = "received"
            ticket.portal_state = state

    @api.depends(
        "is_closed", "outcome", "closed_date", "customer_confirmed_date", "company_id"
    )
    def _compute_portal_can(self):
        now = fields.Datetime.now()
        for ticket in self:
            solved = ticket.is_closed and ticket.outcome == "solved"
            ticket.portal_can_confirm = solved and not ticket.customer_confirmed_date
            days = ticket.company_id.aftersales_reopen_days
            ticket.portal_can_reopen = bool(
                solved
                and days > 0
                and ticket.closed_date
                and ticket.closed_date + timedelta(days=days) >= now
            )

    # ------------------------------------------------------------------
    # Lifecycle hooks
    # ------------------------------------------------------------------

    def _on_created(self):
        res = super()._on_created()
        self._send_acknowledgement()
        return res

    def _on_transition(self, kind, previous):
        res = super()._on_transition(kind, previous)
        if kind == "reopened":
            # counted by the performance slice (reopen_count); a new
            # confirmation is asked for
            self.sudo().customer_confirmed_date = False
        return res

    # ------------------------------------------------------------------
    # Mail
    # ------------------------------------------------------------------

    def _track_template(self, changes):
        res = super()._track_template(changes)
        ticket = self[0]
        template = ticket.stage_id.mail_template_id
        if "stage_id" in changes and template and ticket._wants_updates():
            res["stage_id"] = (
                template,
                {
                    "auto_delete_keep_log": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id(
                        "mail.mt_note"
                    ),
                    "email_layout_xmlid": "mail.mail_notification_light",
                },
            )
        return res

    def _creation_followers(self):
        """The customer follows their ticket: public answers reach them
        (answers only: status news come from the stage templates)."""
        res = super()._creation_followers()
        discussions = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        for ticket in self.sudo():
            if ticket.partner_id.active:
                res.append((ticket, ticket.partner_id.id, [discussions]))
        return res

    def _wants_updates(self):
        """The customer has an e-mail and did not unsubscribe from updates."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        return bool(partner.email) and not partner.aftersales_no_updates

    def _send_acknowledgement(self):
        """Tell each customer with an e-mail the reference, the expected
        first-response time and the link to follow the request. The template
        is rendered for the whole batch and the e-mails are queued by one
        ``create()`` (logged in each ticket's chatter): a batch of tickets
        costs the same number of queries as one."""
        tickets = self.sudo().filtered(lambda t: t._wants_updates())
        if not tickets:
            return
        template = (
            self.env.ref("aftersales_service.mail_template_ticket_received")
            .sudo()
            .with_context(lang=None)
        )
        rendered = template._generate_template(
            tickets.ids,
            ("subject", "body_html", "email_from", "partner_to", "reply_to"),
        )
        subtype = self.env.ref("mail.mt_note")
        self.env["mail.mail"].sudo().create(
            [
                {
                    "model": self._name,
                    "res_id": ticket.id,
                    "record_name": ticket.name,
                    "message_type": "email_outgoing",
                    "subtype_id": subtype.id,
                    "subject": rendered[ticket.id]["subject"],
                    "body_html": rendered[ticket.id]["body_html"],
                    "body": rendered[ticket.id]["body_html"],
                    "email_from": rendered[ticket.id]["email_from"],
                    "reply_to": rendered[ticket.id].get("reply_to"),
                    "author_id": ticket.company_id.partner_id.id,
                    "recipient_ids": [
                        Command.link(pid) for pid in rendered[ticket.id]["partner_ids"]
                    ],
                    "auto_delete": True,
                    "is_notification": True,  # the chatter keeps the log
                }
                for ticket in tickets
            ]
        )

    def _notify_get_recipients_groups(self, message, model_description, msg_vals=None):
        """Customers get a 'View ticket' button with a token link."""
        groups = super()._notify_get_recipients_groups(
            message, model_description, msg_vals=msg_vals
        )
        if not self:
            return groups
        self.ensure_one()
        portal_group = next(
            (group for group in groups if group[0] == "portal_customer"), None
        )
        if portal_group:
            portal_group[2]["has_button_access"] = True
            portal_group[2]["button_access"] = {
                "url": self._notify_get_action_link("view", **(msg_vals or {})),
                "title": _("View your request"),
            }
        return groups

    def _first_response_deadline(self):
        """Customer-facing deadline of the first response (or False)."""
        self.ensure_one()
        line = self.sudo().sla_ids.filtered(lambda line: line.target_type == "response")
        return line[:1].deadline

    def _customer_deadlines(self):
        """[(label, deadline, reached date)] of the customer-facing targets."""
        self.ensure_one()
        labels = {
            "response": _("First response"),
            "arrival": _("Technician on site"),
            "resolution": _("Resolution"),
        }
        lines = self.sudo().sla_ids.filtered(lambda line: line.target_type in labels)
        order = list(labels)
        return [
            (labels[line.target_type], line.deadline, line.reached_date)
            for line in lines.sorted(lambda line: order.index(line.target_type))
        ]

    # ------------------------------------------------------------------
    # E-mail intake
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A new e-mail to a team's alias: a reply whose headers were lost
        joins its ticket by the reference in the subject; anything else is a
        new request through the customer intake."""
        custom_values = dict(custom_values or {})
        subject = msg_dict.get("subject") or ""
        company = self.env["res.company"].browse(
            custom_values.get("company_id") or self.env.company.id
        )
        existing = self._find_by_subject_reference(subject, company)
        if existing:
            return existing
        partner = self._intake_partner_from_email(msg_dict)
        body = tools.html2plaintext(msg_dict.get("body") or "").strip()
        symptom = "\n\n".join(part for part in (subject.strip(), body) if part)
        team = self.env["aftersales.team"].browse(custom_values.get("team_id"))
        ticket = self._intake_customer_request(
            partner,
            {"symptom": symptom or _("(empty e-mail)")},
            channel_code="email",
            company=company,
            team=team,
            extra_vals={"email_cc": msg_dict.get("cc") or False},
        )
        cc_emails = tools.email_split(msg_dict.get("cc") or "")
        if cc_emails:
            followers = self.env["res.partner"].browse(
                self.env["res.partner"].sudo().find_or_create(email).id
                for email in cc_emails
            )
            ticket.message_subscribe(partner_ids=followers.ids)
        return ticket

    @api.model
    def _find_by_subject_reference(self, subject, company):
        match = REFERENCE_RE.search(subject or "")
        if not match:
            return self.browse()
        return self.sudo().search(
            [("name", "=", match.group(1)), ("company_id", "=", company.id)], limit=1
        )

    @api.model
    def _intake_partner_from_email(self, msg_dict):
        """The sender's partner: the one the gateway recognised, else found
        or created from the address."""
        Partner = self.env["res.partner"].sudo()
        if msg_dict.get("author_id"):
            return Partner.browse(msg_dict["author_id"])
        email_from = msg_dict.get("email_from") or msg_dict.get("from") or ""
        return Partner.find_or_create(email_from)

    # ------------------------------------------------------------------
    # Customer intake (portal, public form, e-mail)
    # ------------------------------------------------------------------

    @api.model
    def _intake_customer_request(
        self,
        partner,
        values,
        channel_code,
        company,
        team=None,
        uploads=(),
        extra_vals=None,
    ):
        """Create the ticket of a customer's self-service request.

        ``values`` is what the customer sent: only CUSTOMER_INTAKE_FIELDS are
        read, everything else is ignored. Runs as superuser: the caller has
        decided who the customer is. Returns the ticket (sudo)."""
        Ticket = self.sudo().with_company(company)
        vals = Ticket._prepare_customer_intake_vals(partner, values, company)
        channel = Ticket._intake_channel(channel_code, company)
        team = team or Ticket._intake_team(partner, channel, company)
        vals.update(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "channel_id": channel.id,
                "team_id": team.id,
                "owner_id": Ticket._intake_owner(team).id,
            }
        )
        vals.update(extra_vals or {})
        files = Ticket._check_customer_uploads(uploads)
        ticket = Ticket.create(vals)
        if files:
            ticket._post_customer_files(partner, files)
        return ticket

    @api.model
    def _prepare_customer_intake_vals(self, partner, values, company):
        vals = {
            fname: values[fname]
            for fname in CUSTOMER_INTAKE_FIELDS
            if values.get(fname) not in (None, "", False)
        }
        priority = vals.get("priority", "0")
        if priority not in CUSTOMER_PRIORITIES:
            raise UserError(_("Urgency: choose normal or urgent."))
        vals["priority"] = priority
        if "frequency" in vals:
            allowed = dict(self._fields["frequency"]._description_selection(self.env))
            if vals["frequency"] not in allowed:
                raise UserError(_("Frequency: choose one of the proposed answers."))
        for fname in ("product_id", "lot_id"):
            if fname in vals:
                try:
                    vals[fname] = int(vals[fname])
                except (TypeError, ValueError) as err:
                    raise UserError(_("Pick one of your products.")) from err
        lots = self._customer_lots(partner, company)
        if "lot_id" in vals and vals["lot_id"] not in lots.ids:
            raise UserError(_("Serial Number: pick one of the units delivered to you."))
        if vals.get("reported_serial") and "lot_id" not in vals:
            typed = vals["reported_serial"].strip()
            lot = lots.filtered(lambda lot: lot.name == typed)[:1]
            if lot:
                vals["lot_id"] = lot.id
        if "product_id" in vals:
            product = self.env["product.product"].sudo().browse(vals["product_id"])
            if not product.exists() or product.company_id not in (
                company,
                self.env["res.company"],
            ):
                vals.pop("product_id")
        if vals.get("lot_id"):
            vals.pop("product_id", None)  # the serial decides the product
        for fname in ("symptom", "environment", "reported_product", "reported_serial"):
            if fname in vals:
                vals[fname] = str(vals[fname]).strip()
        if not vals.get("symptom"):
            raise UserError(_("Symptom: describe what happens."))
        return vals

    @api.model
    def _customer_lots(self, partner, company):
        """Serials delivered to the customer (or its company) in ``company``,
        or under one of its warranties."""
        commercial = partner.commercial_partner_id
        lines = (
            self.env["stock.move.line"]
            .sudo()
            ._read_group(
                [
                    ("lot_id", "!=", False),
                    ("state", "=", "done"),
                    ("location_dest_id.usage", "=", "customer"),
                    ("picking_partner_id", "child_of", commercial.id),
                    ("company_id", "=", company.id),
                ],
                ["lot_id"],
            )
        )
        lots = self.env["stock.lot"].sudo().browse(lot.id for (lot,) in lines)
        warranties = (
            self.env["aftersales.warranty"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", commercial.id),
                    ("company_id", "=", company.id),
                ]
            )
        )
        return lots | warranties.lot_id

    @api.model
    def _intake_channel(self, code, company):
        return (
            self.env["aftersales.channel"]
            .sudo()
            .search(
                [("code", "=", code), ("company_id", "in", [False, company.id])],
                order="company_id, sequence",
                limit=1,
            )
        )

    @api.model
    def _intake_team(self, partner, channel, company):
        teams = self.env["aftersales.team"].sudo()._find_for_partners(partner, company)
        return teams.get(partner.id) or channel.team_id

    @api.model
    def _intake_owner(self, team):
        """Accountable owner of a self-service ticket until an agent takes it:
        the team's leader (up the tree), else the superuser."""
        return team._first_up("leader_id") or self.env.ref("base.user_root")

    @api.model
    def _check_customer_uploads(self, uploads):
        """[(name, bytes)] → [(name, bytes, mimetype)] or a UserError in the
        customer's words: photos, videos and PDFs only, bounded size."""
        uploads = [(name, data) for name, data in uploads if data]
        if len(uploads) > UPLOAD_MAX_FILES:
            raise UserError(
                _("Attach at most %(count)s files.", count=UPLOAD_MAX_FILES)
            )
        files = []
        for name, data in uploads:
            if len(data) > UPLOAD_MAX_BYTES:
                raise UserError(
                    _(
                        "%(file)s is too large: files up to %(size)s MB are accepted.",
                        file=name,
                        size=UPLOAD_MAX_BYTES // (1024 * 1024),
                    )
                )
            mimetype = guess_mimetype(data)
            if not (
                mimetype.startswith(UPLOAD_MIMETYPE_PREFIXES)
                or mimetype in UPLOAD_MIMETYPES
            ) or mimetype in ("image/svg+xml",):
                raise UserError(
                    _(
                        "%(file)s cannot be attached: send photos, videos or "
                        "PDF files.",
                        file=name,
                    )
                )
            files.append((name, data, mimetype))
        return files

    def _post_customer_files(self, partner, files):
        """The customer's photos, as a message of theirs on the ticket."""
        self.ensure_one()
        self.sudo().message_post(
            author_id=partner.id,
            body=_("Photos and files sent with the request."),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            attachments=[(name, data) for name, data, __ in files],
        )

    # ------------------------------------------------------------------
    # Customer actions (portal)
    # ------------------------------------------------------------------

    def _portal_confirm_solved(self, author):
        """The customer confirms the solution."""
        self.ensure_one()
        if not self.portal_can_confirm:
            raise UserError(_("Only a solved request can be confirmed."))
        self.sudo().customer_confirmed_date = fields.Datetime.now()
        self.sudo().message_post(
            author_id=author.id,
            body=_("The customer confirmed the problem is solved."),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _portal_reopen(self, author, reason):
        """The customer reopens a solved request within the company's
        reopening window; logged and counted by the lifecycle."""
        self.ensure_one()
        if not self.portal_can_reopen:
            raise UserError(
                _(
                    "This request can no longer be reopened: solved requests "
                    "can be reopened within %(days)s days. Send us a new "
                    "request.",
                    days=self.company_id.aftersales_reopen_days,
                )
            )
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Reason: tell us what is still wrong."))
        stage = (
            self.env["aftersales.stage"]
            .sudo()
            .search([("is_closed", "=", False)], limit=1)
        )
        ticket = self.sudo()
        ticket.message_post(
            author_id=author.id,
            body=Markup("%s<br/>%s")
            % (_("The customer reopened the request."), reason),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        ticket.stage_id = stage
