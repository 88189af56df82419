import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

NOTICE_KINDS = [
    ("at_risk", "At Risk"),
    ("escalated", "Escalated"),
    ("red", "Turned Red"),
]


class AftersalesSlaNotice(models.Model):
    """What the next service-level digest tells one person about one ticket.

    The deadline job stores a notice in the same transaction as the fact it
    announces (the line escalated, warned, the ticket turned red), then sends
    each person one digest listing their notices and deletes them in the
    digest's transaction: a crash between the two leaves the notices for the
    next run, which sends them once. The texts are written when the digest is
    sent, in the reader's language and time zone. Technical: only the job
    (superuser) and administrators read it.
    """

    _name = "aftersales.sla.notice"
    _description = "After-Sales Service-Level Notice (pending digest)"
    _order = "user_id, id"

    user_id = fields.Many2one(
        "res.users", string="Recipient", required=True, index=True, ondelete="cascade"
    )
    ticket_id = fields.Many2one("aftersales.ticket", required=True, ondelete="cascade")
    company_id = fields.Many2one(
        related="ticket_id.company_id", store=True, precompute=True
    )
    sla_id = fields.Many2one(
        "aftersales.ticket.sla", string="Service Level", ondelete="cascade"
    )
    kind = fields.Selection(NOTICE_KINDS, required=True)
    level_id = fields.Many2one("aftersales.escalation.level", ondelete="set null")

    # ------------------------------------------------------------------
    # Digest
    # ------------------------------------------------------------------

    @api.model
    def _send_digests(self, auto_commit=False, users_per_commit=50):
        """One message per recipient listing their pending notices, then the
        notices are deleted, in the same transaction (committed every
        ``users_per_commit`` recipients when ``auto_commit``). Notices locked
        by a concurrent run are left to it; a recipient whose digest fails is
        logged and kept for the next run."""
        self.flush_model()
        self.env.cr.execute(
            "SELECT id FROM aftersales_sla_notice ORDER BY user_id, id "
            "FOR NO KEY UPDATE SKIP LOCKED"
        )
        notices = self.browse(row[0] for row in self.env.cr.fetchall())
        if not notices:
            return 0
        by_user = defaultdict(lambda: self.browse())
        for notice in notices:
            by_user[notice.user_id] |= notice
        base_url = self.get_base_url()
        sent = 0
        for index, (user, user_notices) in enumerate(by_user.items(), start=1):
            try:
                with self.env.cr.savepoint():
                    user_notices._send_digest(user, base_url)
                    user_notices.unlink()
                sent += 1
            except Exception:
                _logger.exception(
                    "Service-level digest for user %s failed; kept for the next run",
                    user.id,
                )
            if auto_commit and index % users_per_commit == 0:
                # the cron's progress: sent digests stay sent after a crash
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return sent

    def _send_digest(self, user, base_url):
        """The digest of ``self`` (notices of ``user``), in their language and
        time zone."""
        user = user.sudo()
        Ticket = self.env["aftersales.ticket"].with_context(lang=user.lang or None)
        env = Ticket.env
        texts = defaultdict(list)
        for notice in self.with_env(env).sorted(lambda n: (n.kind == "red", n.id)):
            line = notice.sla_id
            if notice.kind == "escalated":
                text = env._(
                    "%(target)s failed (due %(deadline)s): escalated to you "
                    "(%(level)s).",
                    target=line._target_label(),
                    deadline=Ticket._format_datetime_for(user, line.deadline),
                    level=notice.level_id.name or "",
                )
            elif notice.kind == "at_risk":
                text = env._(
                    "%(target)s at risk, due %(deadline)s.",
                    target=line._target_label(),
                    deadline=Ticket._format_datetime_for(user, line.deadline),
                )
            else:
                text = env._("Turned red: it needs a manager now.")
            texts[notice.ticket_id].append(text)
        items = [
            Markup('<li><a href="%s/odoo/aftersales.ticket/%s">%s</a> %s: %s</li>')
            % (base_url, ticket.id, ticket.name, ticket.subject or "", " ".join(parts))
            for ticket, parts in sorted(texts.items(), key=lambda item: item[0].id)
        ]
        count = len(texts)
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            env._(
                "Service-level alerts on %(count)s ticket(s) since the last check:",
                count=count,
            ),
            Markup("").join(items),
        )
        self.env["mail.thread"].sudo().with_context(
            lang=user.lang or None
        ).message_notify(
            partner_ids=user.partner_id.ids,
            subject=env._(
                "Service-level alerts: %(count)s ticket(s) need you", count=count
            ),
            body=body,
            model_description=env._("After-Sales Ticket"),
        )
