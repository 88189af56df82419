"""Tracking of a batch written in one ``write()``: the same chatter, built
together.

Odoo logs the tracked changes of each record apart (``_track_finalize`` ->
``_message_track`` -> ``message_post`` / ``_message_log`` per record), about
eight queries and several milliseconds per record before anyone is notified.
For a batch of records written together (a stage change of 500 tickets, the
callbacks it cancels), the mixin below produces exactly the messages Odoo
would (same subtype, author, body, tracking values, record name, reply-to,
parent, companies), with one ``create()`` of the messages and one of their
tracking values for the whole batch, and works out the recipients of all the
messages with one query: a message nobody is to receive costs nothing
more; the inbox notifications, the notification e-mails (each rendered by
Odoo for its message and recipients) and their notifications of the batch
are each created by one ``create()``. A single record keeps Odoo's own
path, and so do the template e-mails ``_track_template`` asks for.
"""

import threading
from collections import defaultdict

from markupsafe import escape

from odoo import models
from odoo.exceptions import MissingError
from odoo.tools import SQL, clean_context, split_every
from odoo.tools.mail import generate_tracking_message_id

# Below this many records with tracked changes, Odoo's own path.
TRACKING_BATCH_MIN = 2


class _PendingSubscriptions(list):
    """Auto-subscriptions of records being created, run after the create;
    closed once run (records keep the context they were created with)."""

    closed = False


class AftersalesTrackingBatch(models.AbstractModel):
    _name = "aftersales.tracking.batch"
    _description = "Tracking messages of a batch, built together"

    def _track_finalize(self):
        key = f"mail.tracking.{self._name}"
        initial_values = self.env.cr.precommit.data.get(key, {})
        ids = [id_ for id_, vals in initial_values.items() if vals]
        if len(ids) < TRACKING_BATCH_MIN:
            return super()._track_finalize()  # one record: Odoo's path
        initial_values = self.env.cr.precommit.data.pop(key)
        records = self.browse(ids).sudo()
        fnames = self._track_get_fields()
        # as Odoo's: the context without its default_* keys
        cleaned = records.with_env(records.env(context=clean_context(self._context)))
        tracking = cleaned._track_batch_messages(fnames, initial_values)
        records._track_batch_post_templates(tracking)
        # as Odoo's: run after the main flush, recomputations may follow
        self.env.flush_all()

    def _track_batch_post_templates(self, tracking):
        """The templates ``_track_template`` asks for (e.g. the stage e-mail
        to the customer), record by record as Odoo posts them."""
        for record in self:
            changes, __ = tracking.get(record.id, (None, None))
            if changes:
                record._message_track_post_template(changes)

    def _track_batch_messages(self, fnames, initial_values):
        """``_message_track`` of Odoo for ``self`` (sudo), all messages
        created together. Returns {record id: (changes, tracking commands)}
        like Odoo's."""
        if not fnames:
            return {}
        tracked_fields = self.fields_get(
            fnames, attributes=("string", "type", "selection", "currency_field")
        )
        tracking = {}
        for record in self:
            try:
                tracking[record.id] = record._mail_track(
                    tracked_fields, initial_values[record.id]
                )
            except MissingError:
                continue
        data = self.env.cr.precommit.data
        bodies = data.pop(f"mail.tracking.message.{self._name}", {})
        authors = data.pop(f"mail.tracking.author.{self._name}", {})
        posts = []  # (record, subtype, author id, body, tracking commands)
        logs = []
        subtypes_ok = {}
        for record in self:
            changes, tracking_value_ids = tracking.get(record.id, (None, None))
            if not changes:
                continue
            subtype = record._track_subtype(
                {fname: initial_values[record.id][fname] for fname in changes}
            )
            author_id = authors[record.id].id if record.id in authors else None
            body = (
                bodies[record.id]
                if record.id in bodies
                else record._track_get_default_log_message(changes)
            )
            if subtype:
                if subtype.id not in subtypes_ok:
                    subtypes_ok[subtype.id] = bool(subtype.exists())
                if not subtypes_ok[subtype.id]:
                    continue
                posts.append((record, subtype, author_id, body, tracking_value_ids))
            elif tracking_value_ids:
                logs.append((record, author_id, body, tracking_value_ids))
        if posts and self.env.user._is_public():
            # a public user's messages may have a guest author: Odoo's path
            for record, subtype, author_id, body, tracking_value_ids in posts:
                record.message_post(
                    body=body,
                    author_id=author_id,
                    subtype_id=subtype.id,
                    tracking_value_ids=tracking_value_ids,
                )
        elif posts:
            self._track_batch_post(posts)
        if logs:
            self._track_batch_log(logs)
        return tracking

    # ------------------------------------------------------------------
    # The messages
    # ------------------------------------------------------------------

    def _track_batch_first_messages(self):
        """{record id: id of its first message}: the parent ``message_post``
        gives a new message of a flat thread, for the batch in one query."""
        if not self._mail_flat_thread or not self:
            return {}
        self.env["mail.message"].flush_model(["model", "res_id", "message_type"])
        self.env.cr.execute(
            SQL(
                """SELECT res_id, MIN(id) FROM mail_message
                    WHERE model = %s AND res_id IN %s
                      AND message_type != 'user_notification'
                 GROUP BY res_id""",
                self._name,
                tuple(self.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    def _track_batch_create(self, values_list, trackings):
        """Create the messages of ``values_list`` and their tracking values
        (``trackings``: the tracking commands of each message), one
        ``create()`` each for the batch."""
        messages = self.sudo()._message_create(values_list)
        tracking_vals = [
            dict(command[2], mail_message_id=message.id)
            for message, commands in zip(messages, trackings, strict=True)
            for command in commands or ()
        ]
        if tracking_vals:
            self.env["mail.tracking.value"].sudo().create(tracking_vals)
        return messages

    def _track_batch_post(self, posts):
        """``message_post`` of each tracking message (a subtype: followers
        may be notified), created together."""
        records = self.browse([record.id for record, *__ in posts])
        # message_post adds the user's language to the context first
        records = records._fallback_lang()
        company = records.env.company
        alias_domains = records.sudo()._mail_get_alias_domains(default_company=company)
        companies = records._mail_get_companies(default=company)
        parents = records._track_batch_first_messages()
        author_values = {}
        reply_tos = {}
        values_list = []
        trackings = []
        for (__, subtype, author_id, body, tracking_value_ids), record in zip(
            posts, records, strict=True
        ):
            if author_id not in author_values:
                author_values[author_id] = records._message_compute_author(
                    author_id, None, raise_on_email=True
                )
            real_author_id, email_from = author_values[author_id]
            if email_from not in reply_tos:
                reply_tos[email_from] = records._notify_get_reply_to(default=email_from)
            values = {
                "email_add_signature": True,
                "record_name": record.sudo().display_name,
                "author_id": real_author_id,
                "author_guest_id": False,
                "email_from": email_from,
                "model": records._name,
                "res_id": record.id,
                "body": escape(body),
                "message_type": "notification",
                "parent_id": parents.get(record.id, False),
                "subject": False,
                "subtype_id": subtype.id,
                "partner_ids": [],
                "record_alias_domain_id": alias_domains[record.id].id,
                "record_company_id": companies[record.id].id,
                "reply_to": reply_tos[email_from][record.id],
            }
            values["attachment_ids"] = []  # what _process_attachments_for_post gives
            values_list.append(values)
            trackings.append(tracking_value_ids)
        messages = records._track_batch_create(values_list, trackings)
        notify = []
        for record, message, values, tracking_value_ids in zip(
            records, messages, values_list, trackings, strict=True
        ):
            msg_values = dict(values, tracking_value_ids=tracking_value_ids)
            record._message_post_after_hook(message, msg_values)
            notify.append((record, message, msg_values))
        records._track_batch_notify(notify)
        return messages

    def _track_batch_log(self, logs):
        """``_message_log`` of each tracked change without a subtype (an
        internal note, nobody notified), created together."""
        records = self.browse([record.id for record, *__ in logs])
        author_values = {}
        reply_tos = {}
        values_list = []
        trackings = []
        for record, author_id, body, tracking_value_ids in logs:
            if author_id not in author_values:
                author_values[author_id] = records._message_compute_author(
                    author_id, None, raise_on_email=False
                )
            real_author_id, email_from = author_values[author_id]
            if email_from not in reply_tos:
                reply_tos[email_from] = self.env["mail.thread"]._notify_get_reply_to(
                    default=email_from
                )[False]
            values_list.append(
                {
                    "author_id": real_author_id,
                    "email_from": email_from,
                    "model": records._name,
                    "res_id": record.id,
                    "record_alias_domain_id": False,
                    "record_company_id": False,
                    "record_name": False,
                    "attachment_ids": False,
                    "message_type": "notification",
                    "is_internal": True,
                    "subject": False,
                    "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id(
                        "mail.mt_note"
                    ),
                    "email_add_signature": False,
                    "message_id": generate_tracking_message_id("message-notify"),
                    "partner_ids": False,
                    "reply_to": reply_tos[email_from],
                    "body": escape(body or ""),
                }
            )
            trackings.append(tracking_value_ids)
        return records._track_batch_create(values_list, trackings)

    # ------------------------------------------------------------------
    # Notifications
    # ------------------------------------------------------------------

    def _track_batch_recipients(self, notify):
        """{record id: recipients data} of the messages of ``notify``
        ([(record, message, msg_values)]) as ``_notify_get_recipients``
        gives them: one query per (subtype, message type) for the batch."""
        groups = defaultdict(list)
        for record, __, msg_values in notify:
            key = (
                msg_values.get("subtype_id"),
                msg_values.get("message_type"),
                tuple(msg_values.get("partner_ids") or ()),
            )
            groups[key].append(record.id)
        followers = self.env["mail.followers"]
        data = {}
        for (subtype_id, message_type, pids), ids in groups.items():
            data.update(
                followers._get_recipient_data(
                    self.browse(ids), message_type, subtype_id, list(pids)
                )
            )
        user = self.env.user
        result = {}
        for record, message, msg_values in notify:
            if user.active:
                author_id = user.partner_id.id
            else:
                author_id = msg_values.get("author_id") or message.author_id.id
            result[record.id] = [
                pdata
                for pid, pdata in (data.get(record.id) or {}).items()
                if not (pid and pid == author_id) and pdata["active"] is not False
            ]
        return result

    def _track_batch_notify(self, notify):
        """Notify the followers of the messages of ``notify`` ([(record,
        message, msg_values)]) as ``_notify_thread`` does message by
        message: the recipients of all messages in one query, the inbox
        notifications of the batch in one ``create()`` with one read of the
        followers for the users' inbox, the push devices read once; the
        e-mails rendered per message (in each recipient's language) by
        Odoo. A message nobody is to receive costs nothing more."""
        if self.env.context.get("mail_notify_author"):
            # the author is notified too: Odoo's path, message by message
            for record, message, msg_values in notify:
                record._notify_thread(message, msg_values)
            return
        recipients = self._track_batch_recipients(notify)
        todo = [
            (record._fallback_lang(), message, msg_values, recipients[record.id])
            for record, message, msg_values in notify
            if recipients.get(record.id)
        ]
        if not todo:
            return
        users = self.env["res.users"]
        for *__, rdata in todo:
            for data in rdata:
                if data["uid"]:
                    # as _notify_thread: the users' partners are known
                    user = users.browse(data["uid"])
                    self.env.cache.insert_missing(
                        user, user._fields["partner_id"], [data["id"]]
                    )
        self._track_batch_notify_inbox(todo)
        self._track_batch_notify_email(todo)
        push = {
            record.id: record._extract_partner_ids_for_notifications(
                message, msg_values, rdata
            )
            for record, message, msg_values, rdata in todo
        }
        pids = {pid for ids in push.values() for pid in ids}
        if not pids:
            return
        with_devices = set(
            self.env["mail.push.device"]
            .sudo()
            .search([("partner_id", "in", list(pids))])
            .partner_id.ids
        )
        for record, message, msg_values, rdata in todo:
            if with_devices.intersection(push[record.id]):
                record._notify_thread_by_web_push(message, rdata, msg_values)

    def _track_batch_notify_email(self, todo):
        """``_notify_thread_by_email`` of each message of ``todo``: each
        e-mail rendered by Odoo for its message, recipients' group and
        language, the e-mails of the batch in one ``create()`` and their
        notifications in another; sent after the commit as Odoo sends them
        (a message with fewer e-mails than the force-send limit)."""
        Mail = self.env["mail.mail"].sudo().with_context(clean_context(self._context))
        params = self.env["ir.config_parameter"].sudo()
        batch_size = int(params.get_param("mail.batch_size")) or 50
        mail_values = []
        chunks = []  # (message, recipient ids) of each e-mail
        for record, message, msg_values, rdata in todo:
            partners_data = [data for data in rdata if data["notif"] == "email"]
            if not partners_data:
                continue
            base_mail_values = record._notify_by_email_get_base_mail_values(
                message, additional_values={"auto_delete": True}
            )
            for (
                __,
                render_values,
                recipients_group,
            ) in record._notify_get_classified_recipients_iterator(
                message, partners_data, msg_vals=msg_values
            ):
                body = record._notify_by_email_render_layout(
                    message,
                    recipients_group,
                    msg_vals=msg_values,
                    render_values=render_values,
                )
                recipient_ids = recipients_group.pop("recipients")
                for chunk in split_every(batch_size, recipient_ids):
                    mail_values.append(
                        record._notify_by_email_get_final_mail_values(
                            chunk,
                            base_mail_values,
                            additional_values={"body_html": body},
                        )
                    )
                    chunks.append((message, list(chunk)))
        if not mail_values:
            return
        emails = Mail.create(mail_values)
        notif_values = []
        by_message = defaultdict(lambda: Mail)
        for email, (message, recipient_ids) in zip(emails, chunks, strict=True):
            by_message[message] |= email
            notif_values += [
                {
                    "author_id": message.author_id.id,
                    "is_read": True,  # discard Inbox notification
                    "mail_mail_id": email.id,
                    "mail_message_id": message.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": recipient_id,
                }
                for recipient_id in recipient_ids
            ]
        self.env["mail.notification"].sudo().with_context(
            clean_context(self._context)
        ).create(notif_values)
        # Odoo sends the e-mails of a message at once (after the commit)
        # when they are fewer than the limit, else leaves them to the queue
        if not self.env.context.get("mail_notify_force_send", True):
            return
        limit = int(params.get_param("mail.mail.force.send.limit", 100))
        to_send = Mail.union(
            *(mails for mails in by_message.values() if len(mails) < limit)
        )
        test_mode = getattr(threading.current_thread(), "testing", False)
        if not to_send or (self.pool._init and not test_mode):
            return
        if test_mode:
            to_send.send()
        else:
            to_send.send_after_commit()

    def _track_batch_notify_inbox(self, todo):
        """``_notify_thread_by_inbox`` of each message of ``todo``
        ([(record, message, msg_values, recipients data)]): the inbox
        notifications in one ``create()``, the followers the users' inbox
        shows read once, one bus message per user and message."""
        inbox = []
        notif_values = []
        for record, message, msg_values, rdata in todo:
            pids_uids = sorted(
                (data["id"], data["uid"]) for data in rdata if data["notif"] == "inbox"
            )
            if not pids_uids:
                continue
            inbox.append((record, message, msg_values, pids_uids))
            notif_values += [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "notification_status": "sent",
                    "notification_type": "inbox",
                    "res_partner_id": pid,
                }
                for pid, __ in pids_uids
            ]
        if not inbox:
            return
        self.env["mail.notification"].sudo().create(notif_values)
        Users = self.env["res.users"]
        all_users = Users.browse(
            {uid for *__, pids_uids in inbox for __, uid in pids_uids if uid}
        )
        followers = (
            self.env["mail.followers"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", [record.id for record, *__ in inbox]),
                    ("partner_id", "in", all_users.partner_id.ids),
                ]
            )
        )
        by_record = defaultdict(lambda: self.env["mail.followers"].sudo())
        for follower in followers:
            by_record[follower.res_id] |= follower
        for record, message, msg_values, pids_uids in inbox:
            for user in Users.browse(uid for __, uid in pids_uids if uid):
                user._bus_send_store(
                    message.with_user(user).with_context(allowed_company_ids=[]),
                    msg_vals=msg_values,
                    for_current_user=True,
                    add_followers=True,
                    followers=by_record[record.id],
                    notification_type="mail.message/inbox",
                )
