"""E-mail intake through the team alias, threading, and the e-mails the
customer receives; raw RFC 822 messages fed to Odoo's mail gateway."""

import logging
import shutil
import subprocess
import sys
from email.message import EmailMessage
from email.utils import make_msgid

from odoo import Command
from odoo.tests import new_test_user, users
from odoo.tests.common import HOST, get_db_name
from odoo.tools.misc import file_path

from odoo.addons.mail.tests.common import MockEmail

from .common import AftersalesCase, AftersalesHttpCase

_logger = logging.getLogger(__name__)

MAILGATE_SCRIPT = "mail/static/scripts/odoo-mailgate.py"
MAILGATE_TIMEOUT = 120  # seconds

# Odoo ships odoo-mailgate.py for Python 2 (``import xmlrpclib``). Where no
# Python 2 is installed, the unchanged script runs under this interpreter with
# ``xmlrpclib`` mapped to ``xmlrpc.client``; stdin is read as latin-1 so the
# message's bytes reach the server exactly as Python 2 would send them.
MAILGATE_PY3_SHIM = """
import io, runpy, sys, types, xmlrpc.client

def Binary(data=None):
    if isinstance(data, str):
        data = data.encode("latin-1")
    return xmlrpc.client.Binary(data)

xmlrpclib = types.ModuleType("xmlrpclib")
xmlrpclib.__dict__.update(vars(xmlrpc.client))
xmlrpclib.Binary = Binary
sys.modules["xmlrpclib"] = xmlrpclib
sys.stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="latin-1")
sys.argv.pop(0)
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def python2():
    """A working Python 2 interpreter on PATH, or None."""
    for name in ("python2.7", "python2"):
        path = shutil.which(name)
        if not path:
            continue
        try:
            probe = subprocess.run(
                [path, "-c", "import xmlrpclib"], capture_output=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return path
    return None


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05"
    b"\xfe\x02\xfe\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)


class MailIntakeMixin:
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.alias_domain = env["mail.alias.domain"].create(
            {"name": "service.example.com"}
        )
        cls.company.alias_domain_id = cls.alias_domain
        cls.team_point.write(
            {"alias_name": "hangzhou", "alias_domain_id": cls.alias_domain.id}
        )
        cls.channel_email = env.ref("aftersales_service.channel_email")
        cls.user_agent.write({"email": "zhang.agent@example.com"})
        cls.team_point.member_ids = [Command.link(cls.user_agent.id)]

    def _raw(
        self,
        subject="Fridge problem",
        body="The unit is not cold any more.",
        sender="Wu Customer <wu.customer@example.com>",
        to="hangzhou@service.example.com",
        cc=None,
        html=None,
        attachments=(),
        headers=None,
        in_reply_to=None,
    ):
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = to
        if cc:
            msg["Cc"] = cc
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="mail.example.com")
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
            msg["References"] = in_reply_to
        for name, value in (headers or {}).items():
            msg[name] = value
        msg.set_content(body)
        if html:
            msg.add_alternative(html, subtype="html")
        for name, data in attachments:
            msg.add_attachment(data, maintype="image", subtype="png", filename=name)
        return msg.as_string()

    def _process(self, raw):
        return self.env["mail.thread"].message_process(None, raw)

    def _tickets(self):
        return self.env["aftersales.ticket"].search(
            [("channel_id", "=", self.channel_email.id)]
        )


class TestMailIntake(MailIntakeMixin, AftersalesCase):
    def test_alias_defaults_decide_team_and_company(self):
        defaults = self.team_point.alias_id.alias_defaults
        self.assertIn(f"'team_id': {self.team_point.id}", defaults)
        self.assertIn(f"'company_id': {self.company.id}", defaults)
        self.assertEqual(self.team_point.alias_model_id.model, "aftersales.ticket")

    def test_new_email_creates_a_ticket_through_the_intake(self):
        raw = self._raw(
            subject="空调不制冷",
            cc="Neighbour <neighbour@example.com>",
            attachments=[("photo.png", PNG)],
        )
        self._process(raw)
        ticket = self._tickets()
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.customer)
        self.assertEqual(ticket.team_id, self.team_point)
        self.assertEqual(ticket.company_id, self.company)
        self.assertTrue(ticket.symptom.startswith("空调不制冷"))
        self.assertIn("The unit is not cold any more.", ticket.symptom)
        self.assertFalse(ticket.owner_id.share)
        self.assertTrue(ticket.sla_ids)
        self.assertEqual(
            ticket.message_ids.attachment_ids.mapped("name"), ["photo.png"]
        )
        self.assertIn(
            "neighbour@example.com", ticket.message_partner_ids.mapped("email")
        )
        incoming = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.subject, "空调不制冷")

    def test_unknown_sender_becomes_a_customer_html_is_read_as_text(self):
        self._process(
            self._raw(
                sender="Zhou New <zhou.new@example.com>",
                html="<p>Water <b>leaks</b> under the unit</p>",
            )
        )
        ticket = self._tickets()
        self.assertEqual(ticket.partner_id.email, "zhou.new@example.com")
        self.assertIn("leaks", ticket.symptom)
        self.assertNotIn("<b>", ticket.symptom)

    def test_replies_are_threaded_never_duplicated(self):
        first = self._raw()
        self._process(first)
        ticket = self._tickets()
        message_id = ticket.message_ids.filtered(
            lambda m: m.message_type == "email"
        ).message_id
        self._process(
            self._raw(
                subject="Re: Fridge problem", body="Photo", in_reply_to=message_id
            )
        )
        # a mail client dropped the headers: the reference in the subject
        self._process(
            self._raw(subject=f"Re: [{ticket.name}] Fridge", body="Still not cold")
        )
        self.assertEqual(self._tickets(), ticket)
        bodies = " ".join(ticket.message_ids.mapped("body"))
        self.assertIn("Photo", bodies)
        self.assertIn("Still not cold", bodies)

    def test_auto_reply_and_bounce_create_no_ticket(self):
        self._process(
            self._raw(
                subject="Out of office",
                headers={"Auto-Submitted": "auto-replied"},
            )
        )
        self._process(
            self._raw(
                sender="MAILER-DAEMON <mailer-daemon@example.com>",
                subject="Undelivered Mail Returned to Sender",
            )
        )
        self.assertFalse(self._tickets())

    def test_customer_email_reply_is_not_the_first_response_agent_reply_is(self):
        self._process(self._raw())
        ticket = self._tickets()
        response = ticket.sla_ids.filtered(lambda s: s.target_type == "response")
        self.assertTrue(response)
        self._process(self._raw(subject=f"[{ticket.name}] more", body="Any news?"))
        self.assertFalse(response.reached_date)
        self._process(
            self._raw(
                sender="Zhang Agent <zhang.agent@example.com>",
                subject=f"Re: [{ticket.name}] more",
                body="We come tomorrow at 9.",
            )
        )
        self.assertTrue(response.reached_date)


class TestCustomerNotifications(MailIntakeMixin, MockEmail, AftersalesCase):
    def _mails_to(self, partner, ticket):
        return self._new_mails.filtered(
            lambda m: (
                m.model == "aftersales.ticket"
                and m.res_id == ticket.id
                and partner in m.recipient_ids
            )
        )

    def _commit_tracking(self):
        """Run the stage e-mails now, as a commit would."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    @users("as_agent")
    def test_acknowledgement_from_an_agent_created_ticket(self):
        with self.mock_mail_gateway():
            ticket = self._create_ticket(env=self.env)
        mail = self._mails_to(self.customer, ticket)
        self.assertEqual(len(mail), 1)
        self.assertIn(ticket.name, mail.subject)
        self.assertIn(ticket.name, mail.body_html)
        ticket_su = ticket.sudo()
        self.assertIn(
            f"/my/tickets/{ticket.id}?access_token={ticket_su.access_token}",
            mail.body_html.replace("&amp;", "&"),
        )
        self.assertIn("We will get back to you by", mail.body_html)

    def test_acknowledgement_from_email_intake(self):
        with self.mock_mail_gateway():
            self._process(self._raw())
        ticket = self._tickets()
        self.assertEqual(len(self._mails_to(self.customer, ticket)), 1)

    def test_acknowledgements_of_a_batch(self):
        with self.mock_mail_gateway():
            tickets = self.env["aftersales.ticket"].create(
                [self._ticket_vals(symptom=f"Batch {i}") for i in range(3)]
            )
        for ticket in tickets:
            self.assertEqual(len(self._mails_to(self.customer, ticket)), 1)

    def test_no_acknowledgement_when_unsubscribed_or_without_email(self):
        self.customer.aftersales_no_updates = True
        with self.mock_mail_gateway():
            ticket = self._create_ticket()
            ticket_other = self._create_ticket(partner_id=self.customer_other.id)
        self.assertFalse(self._mails_to(self.customer, ticket))
        self.assertFalse(self._mails_to(self.customer_other, ticket_other))

    def test_stage_templates_reach_the_customer(self):
        ticket = self._create_ticket(technician_id=self.emp_technician.id)
        self._commit_tracking()
        with self.mock_mail_gateway():
            ticket.stage_id = self.env.ref("aftersales_service.stage_scheduled")
            self._commit_tracking()
        mail = self._mails_to(self.customer, ticket)
        self.assertEqual(len(mail), 1)
        self.assertIn("Your technician and appointment", mail.subject)
        self.assertIn("Li Technician", mail.body_html)
        with self.mock_mail_gateway():
            ticket.stage_id = self.stage_solved
            self._commit_tracking()
        solved = self._mails_to(self.customer, ticket)
        self.assertEqual(len(solved), 1)
        self.assertIn("Your request is solved", solved.subject)

    def test_unsubscribed_customer_gets_no_stage_mail(self):
        ticket = self._create_ticket()
        self._commit_tracking()
        self.customer.aftersales_no_updates = True
        with self.mock_mail_gateway():
            ticket.stage_id = self.env.ref("aftersales_service.stage_scheduled")
            self._commit_tracking()
        self.assertFalse(self._mails_to(self.customer, ticket))

    def test_internal_notes_never_reach_the_customer(self):
        ticket = self._create_ticket()
        self.assertIn(self.customer, ticket.message_partner_ids)
        with self.mock_mail_gateway():
            note = ticket.with_user(self.user_manager).message_post(
                body="Internal: check the compressor", subtype_xmlid="mail.mt_note"
            )
        self.assertFalse(
            note.notification_ids.filtered(lambda n: n.res_partner_id == self.customer)
        )
        self.assertFalse(self._mails_to(self.customer, ticket))
        with self.mock_mail_gateway():
            answer = ticket.with_user(self.user_manager).message_post(
                body="We come tomorrow",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertTrue(
            answer.notification_ids.filtered(
                lambda n: n.res_partner_id == self.customer
            )
        )
        self.assertTrue(self._mails_to(self.customer, ticket))


class TestMailgateScript(MailIntakeMixin, AftersalesHttpCase):
    """Delivered the way a mail server pipes it: Odoo's own odoo-mailgate.py,
    in its own process, sends the raw message over XML-RPC to the HTTP server
    this test runs. That server works on the test's transaction (HttpCase's
    test mode), so what the script creates is seen here and rolled back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The account the mail server's pipe logs in with. Odoo's gateway
        # reads the team behind the alias and the ticket a reply goes to as
        # this user, and marks the alias valid on its first e-mail (Settings
        # rights): an after-sales administrator with Settings rights.
        cls.user_mailgate = new_test_user(
            cls.env,
            login="as_mailgate",
            name="Mail Gateway",
            password="mailgate-password",
            groups="base.group_system,aftersales_service.group_aftersales_manager",
        )

    def _run_mailgate(self, raw, user, password):
        """Pipe ``raw`` (an RFC 822 message) into odoo-mailgate.py logged in
        as ``user``; return the finished process."""
        script = file_path(MAILGATE_SCRIPT)
        interpreter = python2()
        if interpreter:
            command = [interpreter, script]
        else:
            command = [sys.executable, "-c", MAILGATE_PY3_SHIM, script]
        _logger.info("odoo-mailgate.py runs under %s", interpreter or sys.executable)
        command += [
            "--host",
            HOST,
            "--port",
            str(self.http_port()),
            "--database",
            get_db_name(),
            "--userid",
            str(user.id),
            "--password",
            password,
        ]
        self.env.flush_all()  # the server reads through this transaction
        try:
            result = subprocess.run(
                command,
                input=raw.encode(),
                capture_output=True,
                timeout=MAILGATE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            self.fail(
                f"odoo-mailgate.py got no answer within {MAILGATE_TIMEOUT} s "
                f"from the test server at {HOST}:{self.http_port()}"
            )
        self.env.invalidate_all()
        return result

    def _mailgate(self, raw):
        result = self._run_mailgate(raw, self.user_mailgate, "mailgate-password")
        self.assertEqual(
            result.returncode,
            0,
            f"odoo-mailgate.py failed (exit code {result.returncode}):\n"
            f"{result.stderr.decode(errors='replace')}",
        )

    def test_mailgate_script_opens_a_ticket_and_threads_the_reply(self):
        self.assertFalse(self._tickets())
        self._mailgate(
            self._raw(
                subject="空调不制冷",
                body="The unit is not cold any more.",
                attachments=[("photo.png", PNG)],
            )
        )
        ticket = self._tickets()
        self.assertEqual(len(ticket), 1, "the e-mail became one ticket")
        self.assertRecordValues(
            ticket,
            [
                {
                    "partner_id": self.customer.id,
                    "team_id": self.team_point.id,
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertTrue(ticket.symptom.startswith("空调不制冷"))
        self.assertIn("The unit is not cold any more.", ticket.symptom)
        incoming = ticket.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(incoming.subject, "空调不制冷")
        self.assertEqual(incoming.attachment_ids.mapped("name"), ["photo.png"])
        self.assertEqual(self.team_point.alias_id.alias_status, "valid")

        # the customer answers from their mail client
        self._mailgate(
            self._raw(
                subject="Re: 空调不制冷",
                body="It makes a clicking noise too.",
                in_reply_to=incoming.message_id,
            )
        )
        self.assertEqual(self._tickets(), ticket, "the reply opened no new ticket")
        reply = ticket.message_ids.filtered(
            lambda m: "clicking noise" in (m.body or "")
        )
        self.assertEqual(len(reply), 1)
        self.assertEqual(reply.author_id, self.customer)
        self.assertEqual(reply.message_type, "email")

    def test_mailgate_account_without_after_sales_rights_is_refused(self):
        # a plain employee cannot read the team behind the alias
        result = self._run_mailgate(
            self._raw(sender="Zhou New <zhou.new@example.com>"),
            self.user_plain,
            "as_plain",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "You are not allowed to access 'After-Sales Service Team'",
            result.stderr.decode(errors="replace"),
        )
        self.assertFalse(self._tickets(), "nothing was created")
        self.assertFalse(
            self.env["res.partner"].search([("email", "=", "zhou.new@example.com")])
        )
