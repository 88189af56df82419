"""Tracking of a batch written in one write() (issue 15): each ticket's
chatter, notifications and e-mails are what the one-by-one path gives, and
the queries do not grow with the tickets."""

from freezegun import freeze_time

from odoo.tests import new_test_user

from .test_sla_common import SlaCase, at


class TrackingBatchCase(SlaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.stage_cancelled = env.ref("aftersales_service.stage_cancelled")
        cls.mt_stage = env.ref("aftersales_service.mt_ticket_stage")
        # an internal follower reading the inbox, one reading e-mails, and
        # an outside partner following the stage changes (e-mailed)
        cls.user_manager.notification_type = "inbox"
        cls.follower_email = new_test_user(
            env,
            login="as_follower_email",
            name="Ma Follower",
            email="ma.follower@example.com",
            notification_type="email",
            groups="aftersales_service.group_aftersales_user_team",
        )
        cls.watcher = env["res.partner"].create(
            {"name": "Dealer Watcher", "email": "dealer@example.com"}
        )
        cls.customer_no_email = env["res.partner"].create({"name": "Xu Customer"})

    def _tickets(self, count):
        """``count`` tickets, customers alternating between one with an
        e-mail (stage e-mails) and one without, with the followers above."""
        tickets = self.env["aftersales.ticket"]
        for index in range(count):
            customer = self.customer if index % 2 else self.customer_no_email
            tickets |= self._sla_ticket(
                at(0, 10),
                self.env(user=self.user_agent),
                partner_id=customer.id,
                complexity="simple",
            )
        tickets.message_subscribe(
            partner_ids=(self.user_manager | self.follower_email).partner_id.ids
        )
        tickets.message_subscribe(
            partner_ids=self.watcher.ids, subtype_ids=self.mt_stage.ids
        )
        # run the creation's pending tracking now (it would discard the
        # first write's tracking otherwise)
        self.env.flush_all()
        self.env.cr.flush()
        return tickets.with_user(self.user_agent)

    def _last_message_id(self):
        return self.env["mail.message"].sudo().search([], order="id desc", limit=1).id

    def _chatter(self, ticket, since):
        """What the chatter, the notifications and the e-mails of ``ticket``
        hold since message ``since``, with the ticket's own reference, id and
        token replaced so that two tickets compare."""
        ticket = ticket.sudo()

        def norm(value):
            if not isinstance(value, str):
                return value
            for own, generic in (
                (ticket.access_token, "TOKEN"),
                (ticket.display_name, "NAME"),
                (ticket.name, "REF"),
                (f"/{ticket.id}", "/ID"),
                (f"={ticket.id}", "=ID"),
            ):
                value = value.replace(own, generic)
            return value

        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "aftersales.ticket"),
                    ("res_id", "=", ticket.id),
                    ("id", ">", since),
                ],
                order="id",
            )
        )
        first = (
            self.env["mail.message"]
            .sudo()
            .search(
                [("model", "=", "aftersales.ticket"), ("res_id", "=", ticket.id)],
                order="id",
                limit=1,
            )
        )
        result = []
        for message in messages:
            result.append(
                {
                    "type": message.message_type,
                    "subtype": message.subtype_id.id,
                    "author": message.author_id.id,
                    "email_from": message.email_from,
                    "reply_to": message.reply_to,
                    "internal": message.is_internal,
                    "company": message.record_company_id.id,
                    "alias_domain": message.record_alias_domain_id.id,
                    "parent_is_first": message.parent_id == first,
                    "has_parent": bool(message.parent_id),
                    "signature": message.email_add_signature,
                    "record_name": norm(message.record_name),
                    "subject": norm(message.subject),
                    "body": norm(str(message.body)),
                    "partners": sorted(message.partner_ids.ids),
                    "tracking": sorted(
                        (
                            value.field_id.name,
                            value.old_value_char,
                            value.new_value_char,
                            value.old_value_integer,
                            value.new_value_integer,
                        )
                        for value in message.sudo().tracking_value_ids
                    ),
                    "mails": sorted(
                        (
                            norm(mail.subject),
                            norm(str(mail.body_html)),
                            tuple(sorted(mail.recipient_ids.ids)),
                            mail.email_to,
                            mail.auto_delete,
                            mail.state,
                        )
                        for mail in self.env["mail.mail"]
                        .sudo()
                        .search([("mail_message_id", "=", message.id)])
                    ),
                    "notifications": sorted(
                        (
                            notif.res_partner_id.id,
                            notif.notification_type,
                            notif.notification_status,
                            notif.is_read,
                        )
                        for notif in message.notification_ids
                    ),
                }
            )
        return result

    def _compare(self, vals, when, count=4, context=None):
        single = self._tickets(count).with_context(**(context or {}))
        batch = self._tickets(count).with_context(**(context or {}))
        since = self._last_message_id()
        with freeze_time(when):
            for ticket in single:
                ticket.write(vals)
                self.env.flush_all()
                self.env.cr.flush()  # tracking of this ticket alone
            batch.write(vals)
            self.env.flush_all()
            self.env.cr.flush()
        for one, other in zip(single, batch, strict=True):
            expected = self._chatter(one, since)
            self.assertTrue(expected)
            self.assertEqual(self._chatter(other, since), expected)
        return single, batch, since


class TestTrackingBatch(TrackingBatchCase):
    def test_stage_change_of_a_batch_logs_what_one_by_one_logs(self):
        single, batch, since = self._compare(
            {"stage_id": self.stage_waiting.id}, at(0, 11)
        )
        # what the chatter shows: the stage tracked under its subtype by the
        # writer, the followers of that subtype notified once each (not the
        # author), the customer with an e-mail told by the stage's template
        stage_message = self._chatter(batch[1], since)[0]
        self.assertEqual(stage_message["subtype"], self.mt_stage.id)
        self.assertEqual(stage_message["author"], self.user_agent.partner_id.id)
        self.assertEqual(
            [(t[0], t[1], t[2]) for t in stage_message["tracking"]],
            [("stage_id", self.stage_new.name, self.stage_waiting.name)],
        )
        self.assertEqual(
            sorted(n[0:2] for n in stage_message["notifications"]),
            sorted(
                [
                    (self.user_manager.partner_id.id, "inbox"),
                    (self.follower_email.partner_id.id, "email"),
                    (self.watcher.id, "email"),
                ]
            ),
        )
        customer_mails = [
            message
            for message in self._chatter(batch[1], since)
            if message["type"] == "auto_comment"
        ]
        self.assertEqual(len(customer_mails), 1)
        self.assertEqual(customer_mails[0]["partners"], self.customer.ids)
        self.assertFalse(
            [
                message
                for message in self._chatter(batch[0], since)
                if message["type"] == "auto_comment"
            ],
            "a customer without e-mail gets no stage e-mail",
        )

    def test_queued_emails_are_the_ones_one_by_one_queues(self):
        """E-mails left in the queue (not sent at once): the same e-mails,
        bodies and recipients, for each ticket."""
        single, batch, since = self._compare(
            {"stage_id": self.stage_waiting.id},
            at(0, 11),
            context={"mail_notify_force_send": False},
        )
        mails = [
            mail
            for message in self._chatter(batch[1], since)
            for mail in message["mails"]
        ]
        # the two e-mailed followers of the stage message and the customer
        self.assertEqual(len(mails), 3)
        self.assertTrue(all(mail[5] == "outgoing" for mail in mails))

    def test_other_tracked_fields_in_the_same_write(self):
        self._compare({"stage_id": self.stage_in_repair.id, "priority": "1"}, at(0, 11))

    def test_solved_and_cancelled_batches_log_what_one_by_one_logs(self):
        single, batch, __ = self._compare({"stage_id": self.stage_solved.id}, at(0, 14))
        # solved -> cancelled: the callbacks planned at solving are cancelled
        # with their note and their tracked state, like one by one
        callbacks = self.env["aftersales.callback"].sudo()
        one = callbacks.search([("ticket_id", "in", single.ids)])
        other = callbacks.search([("ticket_id", "in", batch.ids)])
        self.assertTrue(one)
        self.assertEqual(len(one), len(other))

        def followers(callback):
            return sorted(
                (follower.partner_id.id, tuple(sorted(follower.subtype_ids.ids)))
                for follower in callback.message_follower_ids
            )

        # the agent of each callback follows it, subscribed for the batch
        for callback_a, callback_b in zip(one, other, strict=True):
            self.assertIn(
                callback_a.user_id.partner_id.id,
                [partner for partner, __ in followers(callback_a)],
            )
            self.assertEqual(followers(callback_b), followers(callback_a))
        since = self._last_message_id()
        with freeze_time(at(0, 15)):
            for ticket in single:
                ticket.stage_id = self.stage_cancelled
                self.env.flush_all()
                self.env.cr.flush()
            batch.stage_id = self.stage_cancelled
            self.env.flush_all()
            self.env.cr.flush()
        for ticket_a, ticket_b in zip(single, batch, strict=True):
            self.assertEqual(
                self._chatter(ticket_b, since), self._chatter(ticket_a, since)
            )
        Message = self.env["mail.message"].sudo()

        def callback_log(callback):
            return [
                (
                    m.message_type,
                    m.subtype_id.id,
                    m.author_id.id,
                    str(m.body),
                    sorted(
                        (v.field_id.name, v.old_value_char, v.new_value_char)
                        for v in m.tracking_value_ids
                    ),
                )
                for m in Message.search(
                    [
                        ("model", "=", "aftersales.callback"),
                        ("res_id", "=", callback.id),
                        ("id", ">", since),
                    ],
                    order="id",
                )
            ]

        for callback_a, callback_b in zip(one, other, strict=True):
            self.assertEqual(callback_a.state, "cancelled")
            expected = callback_log(callback_a)
            self.assertEqual(
                [entry[4] for entry in expected if entry[4]],
                [[("state", "To Call", "Cancelled")]],
            )
            self.assertEqual(callback_log(callback_b), expected)

    def test_queries_do_not_grow_with_the_batch(self):
        """Tracking of a stage change (the message, its tracking value, the
        parent, the recipients) costs the same queries for 3 tickets as for
        9 when nobody but the author follows: one by one, about eight
        queries more per ticket."""
        small = self._tickets(3)
        medium = self._tickets(6)
        large = self._tickets(9)
        everyone = small | medium | large
        everyone.message_unsubscribe(
            partner_ids=(self.user_manager | self.follower_email).partner_id.ids
            + self.watcher.ids
        )
        everyone.partner_id = self.customer_no_email
        self.env.flush_all()
        self.env.cr.flush()

        def pause(tickets):
            self.env.invalidate_all()
            with freeze_time(at(0, 11)):
                tickets.write({"stage_id": self.stage_waiting.id})
                self.env.flush_all()
                self.env.cr.flush()

        def count(tickets):
            before = self.env.cr.sql_log_count
            pause(tickets)
            return self.env.cr.sql_log_count - before

        queries_small = count(small)
        queries_large = count(large)
        logged = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "aftersales.ticket"),
                    ("res_id", "in", large.ids),
                    ("subtype_id", "=", self.mt_stage.id),
                ]
            )
        )
        self.assertEqual(len(logged), 9)
        self.assertEqual(len(logged.tracking_value_ids), 9)
        self.assertLessEqual(queries_large - queries_small, 3)
        with self.assertQueryCount(__system__=queries_small + 3):
            pause(medium)
