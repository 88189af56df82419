import uuid

import pytz

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import is_html_empty
from odoo.tools.misc import format_date, format_datetime, format_time

VISIT_REPORT = "aftersales_service.action_report_aftersales_visit"

# The service report: what the technician records on site and the customer
# signs. Once signed, none of it changes any more, whoever asks.
REPORT_FIELDS = {
    "work_done",
    "fault_code_id",
    "remedy",
    "test_results",
    "measurement_ids",
    "photo_ids",
    "customer_comment",
    "signature",
    "signed_by",
    "signed_on",
    "check_in_date",
    "check_out_date",
    "state",
}
# Written only by the signing flow (backend or portal), which checks the
# user's rights and then writes them as superuser.
SIGNATURE_FIELDS = {"signature", "signed_by", "signed_on", "report_attachment_id"}
# A visit in one of these states may move to another window.
RESCHEDULABLE_STATES = ("planned", "confirmed", "on_the_way")
# The customer was told the window of a visit in one of these states.
TOLD_STATES = ("confirmed", "on_the_way", "on_site")


class AftersalesVisit(models.Model):
    """The visit's life with the customer (confirmation, rescheduling,
    cancellation, all told by e-mail) and its service report, signed on the
    technician's screen or later on the portal, then locked and sent as a
    PDF."""

    _inherit = "aftersales.visit"

    # Every visit gets its token at creation: the e-mails and the customer's
    # request page link to it without a write per visit later.
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))

    window_label = fields.Char(
        string="Window",
        compute="_compute_window_label",
        help="The window in the reader's time zone, e.g. 05/04/2026 10:00 - 12:00.",
    )

    # Life
    cancel_reason = fields.Char(
        string="Cancellation Reason",
        readonly=True,
        copy=False,
        tracking=True,
        help="Why the visit was cancelled or marked as a no-show.",
    )

    # Service report
    work_done = fields.Html(
        copy=False,
        help="What the technician did on site. The customer cannot sign an "
        "empty report.",
    )
    fault_code_id = fields.Many2one(
        "aftersales.fault.code",
        string="Fault",
        compute="_compute_fault_code_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        domain="['|', ('categ_id', '=', False), "
        "('categ_id', 'parent_of', product_categ_id or [])]",
        help="The fault found on site, from the fault catalogue. Goes on the "
        "ticket when the report is signed and the ticket has none yet.",
    )
    product_categ_id = fields.Many2one(related="ticket_id.product_categ_id")
    remedy = fields.Text(
        compute="_compute_remedy",
        store=True,
        readonly=False,
        copy=False,
        help="How the fault was fixed. Proposed from the fault catalogue.",
    )
    test_results = fields.Text(
        copy=False,
        help="Tests run after the work; for an installation, the written "
        "commissioning results (required to sign).",
    )
    measurement_ids = fields.One2many(
        "aftersales.visit.measurement",
        "visit_id",
        string="Measurements",
        copy=False,
    )
    photo_ids = fields.One2many(
        "aftersales.visit.photo", "visit_id", string="Photos", copy=False
    )
    photo_count = fields.Integer(compute="_compute_photo_count")
    part_line_ids = fields.One2many(
        "aftersales.part.reservation.line",
        "visit_id",
        string="Parts Consumed",
        domain=[("qty_consumed", ">", 0)],
        readonly=True,
        copy=False,
    )
    customer_comment = fields.Text(string="Customer's Comments", copy=False)

    # Signature
    signature = fields.Image(
        string="Customer's Signature",
        copy=False,
        attachment=True,
        max_width=1024,
        max_height=1024,
    )
    signed_by = fields.Char(copy=False, tracking=True)
    signed_on = fields.Datetime(copy=False, readonly=True, index="btree_not_null")
    report_attachment_id = fields.Many2one(
        "ir.attachment",
        string="Signed Report",
        readonly=True,
        copy=False,
        help="The PDF of the report as signed, sent to the customer.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("ticket_id")
    def _compute_fault_code_id(self):
        for visit in self:
            if not visit.fault_code_id:
                visit.fault_code_id = visit.ticket_id.fault_code_id

    @api.depends("fault_code_id")
    def _compute_remedy(self):
        for visit in self:
            if not visit.remedy and visit.fault_code_id.remedy:
                visit.remedy = visit.fault_code_id.remedy

    @api.depends("planned_start", "planned_stop")
    @api.depends_context("tz", "lang")
    def _compute_window_label(self):
        tz_name = self.env.context.get("tz") or self.env.user.tz or "UTC"
        for visit in self:
            visit.window_label = visit._window_text(tz_name, self.env.lang)

    def _compute_photo_count(self):
        counts = self.env["aftersales.visit.photo"]._count_by("visit_id", self.ids)
        for visit in self:
            visit.photo_count = counts.get(visit.id, 0)

    def _get_report_base_filename(self):
        self.ensure_one()
        return _("Service Report %(visit)s", visit=self.name)

    # ------------------------------------------------------------------
    # CRUD: the signed report is locked
    # ------------------------------------------------------------------

    def write(self, vals):
        fnames = set(vals)
        if fnames & (REPORT_FIELDS | {"planned_start", "planned_stop"}):
            # Rights first: who may not write is refused as such.
            self.check_access("write")
        if fnames & REPORT_FIELDS:
            self._check_report_unlocked()
        if "report_attachment_id" in fnames:
            # kept once, when signed: the PDF the customer received
            self.filtered("report_attachment_id")._check_report_unlocked()
        if not self.env.su:
            if fnames & SIGNATURE_FIELDS:
                raise UserError(
                    _(
                        "The customer's signature is recorded only by signing: "
                        "the Sign button, or the customer on the portal."
                    )
                )
            if vals.get("state") == "done":
                raise UserError(
                    _("A visit is done when the customer signs its report: use Sign.")
                )
        if fnames & {"planned_start", "planned_stop"} and not vals.get(
            "reschedule_reason"
        ):
            self._check_window_change_allowed(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        signed = self.filtered("signed_on")
        if signed:
            raise UserError(
                _(
                    "Visit %(visit)s has a signed service report: it is kept and "
                    "cannot be deleted.",
                    visit=signed[0].display_name,
                )
            )

    def _check_report_unlocked(self):
        """Refuse any change to the report of a signed visit."""
        signed = self.filtered("signed_on")
        if signed:
            raise UserError(
                _(
                    "Visit %(visit)s: the service report was signed by "
                    "%(signer)s and is locked; nothing on it can be changed.",
                    visit=signed[0].display_name,
                    signer=signed[0].signed_by,
                )
            )

    def _check_window_change_allowed(self, vals):
        """The window of a visit the customer was told about moves only
        through Reschedule, with the reason they are told."""
        for visit in self.filtered(lambda v: v.state in TOLD_STATES):
            start = fields.Datetime.to_datetime(
                vals.get("planned_start", visit.planned_start)
            )
            stop = fields.Datetime.to_datetime(
                vals.get("planned_stop", visit.planned_stop)
            )
            if (start, stop) != (visit.planned_start, visit.planned_stop):
                raise UserError(
                    _(
                        "Visit %(visit)s was confirmed to the customer: use "
                        "Reschedule to move it, with the reason they are told.",
                        visit=visit.display_name,
                    )
                )

    # ------------------------------------------------------------------
    # The customer's view: time zone, window, e-mails
    # ------------------------------------------------------------------

    def _customer_tz(self):
        """The customer's time zone, else the company's, else the user's."""
        self.ensure_one()
        return (
            self.partner_id.tz
            or self.company_id.partner_id.tz
            or self.env.user.tz
            or "UTC"
        )

    def _customer_window(self):
        """The window as the customer reads it, in their time zone and
        language: '05/04/2026 10:00 AM - 12:00 PM'."""
        self.ensure_one()
        return self._window_text(
            self._customer_tz(), self.partner_id.lang or self.env.lang
        )

    def _window_text(self, tz_name, lang):
        """The window in ``tz_name`` and ``lang``; the end's date only when it
        is not the start's."""
        self.ensure_one()
        if not self.planned_start or not self.planned_stop:
            return ""
        try:
            tz = pytz.timezone(tz_name)
        except pytz.UnknownTimeZoneError:
            tz, tz_name = pytz.utc, "UTC"
        start = pytz.utc.localize(self.planned_start).astimezone(tz)
        stop = pytz.utc.localize(self.planned_stop).astimezone(tz)
        env = self.env
        start_text = "{} {}".format(
            format_date(env, start.date(), lang_code=lang),
            format_time(env, self.planned_start, tz_name, "short", lang),
        )
        if start.date() == stop.date():
            stop_text = format_time(env, self.planned_stop, tz_name, "short", lang)
        else:
            stop_text = format_datetime(
                env, self.planned_stop, tz_name, "short", lang_code=lang
            )
        return f"{start_text} - {stop_text}"

    def _send_customer_mail(self, template_xmlid, attachment_ids=None):
        """E-mail the customer with ``template_xmlid`` (rendered in their
        language, from the company's address), logged in the visit's chatter.
        Called inside a flow after the user's rights on the visits were
        checked; a customer without an e-mail address is left a note for the
        team instead."""
        template = self.env.ref(template_xmlid)
        for visit in self.sudo():
            if not visit.partner_id.email:
                visit.message_post(
                    body=_(
                        "%(customer)s has no e-mail address: tell them by phone.",
                        customer=visit.partner_id.display_name,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            visit.message_post_with_source(
                template,
                email_layout_xmlid="mail.mail_notification_light",
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
                attachment_ids=[Command.set(attachment_ids or [])],
            )

    # ------------------------------------------------------------------
    # Life: confirm, reschedule, cancel, no-show, check-in, check-out
    # ------------------------------------------------------------------

    def action_confirm(self):
        res = super().action_confirm()
        self._send_customer_mail("aftersales_service.mail_template_visit_confirmed")
        return res

    def action_open_reschedule(self):
        self.ensure_one()
        self._check_state(RESCHEDULABLE_STATES, _("rescheduled"))
        return {
            "type": "ir.actions.act_window",
            "name": _("Reschedule Visit"),
            "res_model": "aftersales.visit.reschedule.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_visit_id": self.id},
        }

    def _reschedule(self, start, stop, reason):
        """Move the visits to a new window, with the reason. A customer who
        was told the old window is told the new one and why by e-mail (the
        visit stays confirmed); the reschedules are counted."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                _("Reason: say why the visit is rescheduled; the customer is told.")
            )
        start = fields.Datetime.to_datetime(start)
        stop = fields.Datetime.to_datetime(stop)
        if not start or not stop:
            raise UserError(_("New window: give its start and its end."))
        self._check_state(RESCHEDULABLE_STATES, _("rescheduled"))
        unchanged = self.filtered(
            lambda v: (v.planned_start, v.planned_stop) == (start, stop)
        )
        if unchanged:
            raise UserError(
                _(
                    "Visit %(visit)s is already planned in that window: give the "
                    "new one.",
                    visit=unchanged[0].display_name,
                )
            )
        told = self.filtered(lambda v: v.state in TOLD_STATES)
        for visit in self:
            visit.write(
                {
                    "planned_start": start,
                    "planned_stop": stop,
                    "reschedule_reason": reason,
                    "reschedule_count": visit.reschedule_count + 1,
                    "state": "confirmed" if visit in told else visit.state,
                }
            )
        self._message_log_batch(
            bodies={
                visit.id: self.env._(
                    "Rescheduled to %(window)s: %(reason)s",
                    window=visit._customer_window(),
                    reason=reason,
                )
                for visit in self
            }
        )
        told._send_customer_mail("aftersales_service.mail_template_visit_rescheduled")
        return True

    def _open_cancel_wizard(self, outcome):
        self.ensure_one()
        if outcome == "no_show":
            self._check_state(
                ("planned", "confirmed", "on_the_way"), _("marked no-show")
            )
            title = _("Customer Not There")
        else:
            self._check_state(("planned", *TOLD_STATES), _("cancelled"))
            title = _("Cancel Visit")
        return {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": "aftersales.visit.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_visit_id": self.id, "default_outcome": outcome},
        }

    def action_open_cancel_wizard(self):
        return self._open_cancel_wizard("cancelled")

    def action_open_no_show_wizard(self):
        return self._open_cancel_wizard("no_show")

    @api.model
    def _require_reason(self, reason, message):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(message)
        return reason

    def action_cancel(self, reason=None):
        reason = self._require_reason(
            reason, _("Reason: say why the visit is cancelled.")
        )
        told = self.filtered(lambda v: v.state in TOLD_STATES)
        res = super().action_cancel()
        self.write({"cancel_reason": reason})
        told._send_customer_mail("aftersales_service.mail_template_visit_cancelled")
        return res

    def action_no_show(self, reason=None):
        reason = self._require_reason(
            reason,
            _("Reason: say what happened (nobody at home, wrong address, ...)."),
        )
        res = super().action_no_show()
        self.write({"cancel_reason": reason})
        return res

    def action_check_in(self):
        """On site: also meets the ticket's on-site arrival target (and the
        first response when nobody answered yet), once per ticket."""
        res = super().action_check_in()
        for ticket, visits in self.grouped("ticket_id").items():
            # the visit's technician may not be the ticket's: the visit's
            # rights were checked by the check-in's write
            ticket.sudo()._sla_register_arrival(
                visits[0].check_in_date,
                who=", ".join(visits.sudo().technician_id.mapped("name")),
            )
        return res

    def action_check_out(self):
        done = self.filtered("check_out_date")
        if done:
            raise UserError(
                _(
                    "Visit %(visit)s is already checked out.",
                    visit=done[0].display_name,
                )
            )
        return super().action_check_out()

    # ------------------------------------------------------------------
    # Parts consumed on the visit
    # ------------------------------------------------------------------

    def _check_can_record_parts(self, tickets=None):
        for visit in self:
            visit._check_report_unlocked()
            if visit.state != "on_site":
                raise UserError(
                    _(
                        "Visit %(visit)s: parts are recorded on site, after "
                        "checking in.",
                        visit=visit.display_name,
                    )
                )
            if tickets is not None and visit.ticket_id not in tickets:
                raise UserError(
                    _(
                        "Visit %(visit)s belongs to ticket %(ticket)s: record "
                        "the parts of that ticket's reservations on it.",
                        visit=visit.display_name,
                        ticket=visit.ticket_id.name,
                    )
                )

    def action_consume_parts(self):
        """Consume the ticket's reserved parts on this visit, one reservation
        after the other, through the reservation's own consumption flow."""
        self.ensure_one()
        self.check_access("write")
        self._check_can_record_parts()
        reservation = self.env["aftersales.part.reservation"].search(
            [("ticket_id", "=", self.ticket_id.id), ("state", "=", "confirmed")],
            order="id",
            limit=1,
        )
        if not reservation:
            raise UserError(
                _(
                    "Ticket %(ticket)s has no reserved parts to consume: request "
                    "the parts first.",
                    ticket=self.ticket_id.name,
                )
            )
        action = reservation.action_consume()
        action["context"] = dict(action["context"], default_visit_id=self.id)
        return action

    # ------------------------------------------------------------------
    # Signing
    # ------------------------------------------------------------------

    def action_download_signed_report(self):
        self.ensure_one()
        if not self.report_attachment_id:
            raise UserError(
                _("Visit %(visit)s has no signed report.", visit=self.display_name)
            )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.report_attachment_id.id}?download=true",
            "target": "self",
        }

    def _check_can_sign(self):
        for visit in self:
            visit._check_report_unlocked()
            if visit.state != "on_site":
                states = dict(self._fields["state"]._description_selection(self.env))
                raise UserError(
                    _(
                        "Visit %(visit)s is %(state)s: the customer signs the "
                        "report once the technician has checked in on site.",
                        visit=visit.display_name,
                        state=states[visit.state],
                    )
                )
            if is_html_empty(visit.work_done):
                raise UserError(
                    _(
                        "Visit %(visit)s: the service report is empty. Write the "
                        "work done before the customer signs.",
                        visit=visit.display_name,
                    )
                )
            if (
                visit.visit_type == "installation"
                and not (visit.test_results or "").strip()
            ):
                raise UserError(
                    _(
                        "Visit %(visit)s is an installation: write the "
                        "commissioning results before the customer signs.",
                        visit=visit.display_name,
                    )
                )

    def _portal_can_sign(self):
        """The customer may sign this report on the portal now."""
        self.ensure_one()
        try:
            self._check_can_sign()
        except UserError:
            return False
        return True

    def action_sign(self):
        """Sign on the technician's screen: checks the report, then opens the
        signature dialog."""
        self.ensure_one()
        self.check_access("write")
        self._check_can_sign()
        return {
            "type": "ir.actions.act_window",
            "name": _("Customer Signature"),
            "res_model": "aftersales.visit.sign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_visit_id": self.id},
        }

    def action_send_for_signature(self):
        """Ask the customer to sign later on the portal: e-mails them the
        link (with the visit's token) to the report."""
        self.check_access("write")
        self._check_can_sign()
        self._send_customer_mail("aftersales_service.mail_template_visit_sign_request")
        return True

    def _sign(self, signed_by, signature, comment=None, author=None):
        """The customer signs the report: the visit is done, the report is
        locked, its PDF is kept on the visit and the ticket and e-mailed to
        the customer. ``author``: who signed, for the ticket's chatter (the
        user's partner by default)."""
        self.ensure_one()
        self.check_access("write")
        self._check_can_sign()
        signed_by = (signed_by or "").strip()
        if not signed_by:
            raise UserError(_("Signed by: give the name of the person who signs."))
        if not signature:
            raise UserError(_("The customer's signature is missing."))
        now = fields.Datetime.now()
        vals = {
            "signature": signature,
            "signed_by": signed_by,
            "signed_on": now,
            "state": "done",
        }
        if comment and comment.strip():
            vals["customer_comment"] = comment.strip()
        if not self.check_out_date:
            vals["check_out_date"] = now
        visit = self.sudo()
        visit.write(vals)
        visit._report_on_signature(author or self.env.user.partner_id)
        return True

    def _report_on_signature(self, author):
        """Render the signed report, keep it on the visit, put a copy on the
        ticket, e-mail it to the customer; the ticket gets the diagnosed
        fault when it has none. Runs as superuser inside the signing flow."""
        self.ensure_one()
        pdf = self.env["ir.actions.report"]._render_qweb_pdf(VISIT_REPORT, self.ids)[0]
        filename = f"{self._get_report_base_filename()}.pdf"
        attachment = self.env["ir.attachment"].create(
            {
                "name": filename,
                "raw": pdf,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )
        self.write({"report_attachment_id": attachment.id})
        ticket = self.ticket_id
        if self.fault_code_id and not ticket.fault_code_id and not ticket.is_closed:
            ticket.write({"fault_code_id": self.fault_code_id.id})
        ticket.message_post(
            body=_(
                "Service report of visit %(visit)s signed by %(signer)s.",
                visit=self.name,
                signer=self.signed_by,
            ),
            attachments=[(filename, pdf)],
            author_id=author.id,
            subtype_xmlid="mail.mt_note",
        )
        self._send_customer_mail(
            "aftersales_service.mail_template_visit_report",
            attachment_ids=attachment.ids,
        )
