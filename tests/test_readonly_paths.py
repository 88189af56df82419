"""Read-only paths run on read-only cursors and write nothing.

Odoo 18 serves a route declared ``readonly=True``, and a call_kw of a method
marked ``@api.readonly``, on a read-only cursor: on the replica when
``db_replica_host`` is set. Tests enforce it for real: the test cursor of a
read-only request runs ``SET TRANSACTION READ ONLY``
(``odoo.sql_db.TestCursor``), so a write on such a path raises
``ReadOnlySqlTransaction``; Odoo then logs a warning ("retrying with a
read/write cursor", ``odoo.http``) and serves the request again on the
primary. Every check below therefore asserts both that the path is declared
read-only and that serving it logs no such retry: it fails when the flag is
removed and when a write is added.
"""

import json
import threading
from datetime import timedelta

from lxml import etree
from werkzeug.test import EnvironBuilder

from odoo import fields
from odoo.http import HTTPRequest, Request, _request_stack
from odoo.tests import new_test_user

from odoo.addons.aftersales_service.controllers.public import (
    CHECK_LIMIT,
    warranty_check_limiter,
)

from . import test_contract, test_portal
from .common import AftersalesHttpCase


class ReadonlyPathCase(AftersalesHttpCase):
    def _route(self, path, method="GET"):
        """The endpoint Odoo dispatches ``path`` to."""
        thread = threading.current_thread()
        dbname = getattr(thread, "dbname", None)
        thread.dbname = self.env.cr.dbname  # as in a request (routing_map)
        try:
            adapter = self.env["ir.http"].routing_map().bind("localhost")
        finally:
            if dbname is None:
                del thread.dbname
            else:
                thread.dbname = dbname
        endpoint, __ = adapter.match(path.split("?")[0], method=method)
        return endpoint

    def _is_read_only(self, url, method="GET"):
        """Whether Odoo serves ``url`` on a read-only cursor: the route's
        ``readonly``, or what its callable answers for this very request."""
        endpoint = self._route(url, method)
        readonly = endpoint.routing["readonly"]
        if callable(readonly):
            path, __, query = url.partition("?")
            environ = EnvironBuilder(
                path=path, query_string=query, method=method
            ).get_environ()
            _request_stack.push(Request(HTTPRequest(environ)))
            try:
                readonly = readonly(endpoint.func.__self__)
            finally:
                _request_stack.pop()
        return readonly

    def _get_read_only(self, url, status=200):
        """GET ``url`` on a read-only cursor: declared so, and served
        without a write (a write would be retried on a read/write cursor,
        with a warning)."""
        self.assertIs(
            self._is_read_only(url),
            True,
            f"{url} ({self._route(url).func.__qualname__}) is not read-only",
        )
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, status, response.text[:500])
        return response

    def _call_kw(self, model, method, args=(), kwargs=None, route="call_kw"):
        """A call_kw of the web client, as the authenticated user: the
        method is @api.readonly (so Odoo serves it on a read-only cursor)
        and writes nothing. Returns the result; fails on an error."""
        Model = type(self.env[model])
        readonly = next(
            (
                getattr(cls, method)._readonly
                for cls in Model.mro()
                if hasattr(getattr(cls, method, None), "_readonly")
            ),
            False,
        )
        self.assertTrue(readonly, f"{model}.{method} is not @api.readonly")
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self.url_open(
                f"/web/dataset/{route}/{model}/{method}",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": model,
                            "method": method,
                            "args": list(args),
                            "kwargs": kwargs or {},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
        answer = response.json()
        self.assertNotIn("error", answer, json.dumps(answer.get("error"))[:2000])
        return answer["result"]


class TestPortalReadonly(
    test_contract.ContractFixtures, test_portal.PortalCaseMixin, ReadonlyPathCase
):
    """The customer's pages: lists, details, certificates and reports, as
    the customer and with a token, on read-only cursors."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = fields.Datetime.now() + timedelta(days=3)
        cls.visit = (
            cls.env(user=cls.user_team)["aftersales.visit"]
            .create(
                {
                    "ticket_id": cls.ticket.id,
                    "technician_id": cls.emp_technician.id,
                    "planned_start": start,
                    "planned_stop": start + timedelta(hours=2),
                    "outside_hours_confirmed": True,
                }
            )
            .sudo()
        )
        cls.contract = cls._contract()

    def test_lists_are_read_only(self):
        self.authenticate("as_portal", "as_portal")
        for url in (
            "/my/tickets",
            "/my/tickets?filterby=all&sortby=stage",
            "/my/tickets?search_in=serial&search=AC-0001",
            "/my/tickets?search_in=all&search=warm",
            "/my/tickets/page/2",
            "/my/tickets/new",
            "/my/warranties",
            "/my/visits",
            "/my/contracts",
        ):
            with self.subTest(url=url):
                self._get_read_only(url)

    def test_home_counters_are_read_only(self):
        self.authenticate("as_portal", "as_portal")
        self.assertIs(self._route("/my/counters", "POST").routing["readonly"], True)
        with self.assertNoLogs("odoo.http", "WARNING"):
            result = self._json(
                "/my/counters",
                {
                    "counters": [
                        "aftersales_ticket_count",
                        "aftersales_warranty_count",
                        "aftersales_visit_count",
                        "aftersales_contract_count",
                    ]
                },
            )["result"]
        self.assertEqual(result["aftersales_ticket_count"], 1)
        self.assertEqual(result["aftersales_contract_count"], 1)

    def _detail_urls(self):
        return (
            self.ticket.access_url,
            self.warranty.access_url,
            f"{self.warranty.access_url}?report_type=html",
            f"{self.warranty.access_url}?report_type=pdf&download=true",
            self.visit.access_url,
            f"{self.visit.access_url}?report_type=pdf",
            self.contract.access_url,
        )

    def test_details_and_reports_are_read_only(self):
        self.authenticate("as_portal", "as_portal")
        for url in self._detail_urls():
            with self.subTest(url=url):
                self._get_read_only(url)
        page = self._get_read_only(self.ticket.access_url)
        self.assertIn(self.ticket.name, page.text)
        # the chatter of the page posts with the ticket's token
        self.assertIn(self.ticket.access_token, page.text)

    def test_pages_opened_with_the_token_are_read_only(self):
        for record in (self.ticket, self.warranty, self.visit, self.contract):
            url = f"{record.access_url}?access_token={record.access_token}"
            with self.subTest(url=url):
                page = self._get_read_only(url)
                self.assertIn(record.name, page.text)

    def test_the_outcome_of_the_customers_own_write_reads_the_primary(self):
        """Right after the customer's own write (new request, confirm,
        reopen, signature) the page shows its outcome: read on the primary,
        which has the write (a replica may lag behind); the same page without
        the outcome reads the replica."""
        for url in (
            f"{self.ticket.access_url}?created=1",
            f"{self.ticket.access_url}?message=Thank+you",
            f"{self.ticket.access_url}?error=Too+late",
            f"{self.visit.access_url}?access_token=x&message=signed",
        ):
            with self.subTest(url=url):
                self.assertIs(self._is_read_only(url), False)
        self.assertIs(self._is_read_only(f"{self.ticket.access_url}?created="), True)
        self.authenticate("as_portal", "as_portal")
        page = self.url_open(f"{self.ticket.access_url}?created=1")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.ticket.name, page.text)

    def test_every_customer_record_has_its_token_from_the_start(self):
        """The ticket's page never creates the token on first view: tickets,
        warranties, visits and contracts get one when created."""
        ticket = self._create_ticket(symptom="Fresh one")
        self.assertTrue(ticket.access_token)
        self.assertTrue(self.warranty.access_token)
        self.assertTrue(self.visit.access_token)
        self.assertTrue(self.contract.access_token)
        copy = ticket.copy()
        self.assertTrue(copy.access_token)
        self.assertNotEqual(copy.access_token, ticket.access_token)


class TestPublicReadonly(test_portal.PortalCaseMixin, ReadonlyPathCase):
    """Pages open to everyone: the warranty self-check (with its rate
    limit), the price list and the request form."""

    def setUp(self):
        super().setUp()
        warranty_check_limiter.reset()
        self.addCleanup(warranty_check_limiter.reset)

    def test_public_pages_are_read_only(self):
        for url in (
            "/aftersales/warranty",
            "/aftersales/warranty?serial=AC-0001",
            "/aftersales/warranty?serial=NO-SUCH-SERIAL",
            "/aftersales/prices",
            "/aftersales/request",
        ):
            with self.subTest(url=url):
                self._get_read_only(url)
        page = self._get_read_only("/aftersales/warranty?serial=AC-0001")
        self.assertIn("Air Conditioner X1", page.text)

    def test_rate_limit_is_kept_without_writing(self):
        for __ in range(CHECK_LIMIT):
            self._get_read_only("/aftersales/warranty?serial=AC-0001")
        self._get_read_only("/aftersales/warranty?serial=AC-0001", status=429)


class TestBackendReadonly(test_contract.ContractFixtures, ReadonlyPathCase):
    """What the web client reads: the overview's figures, every list,
    kanban, calendar, pivot and graph of the addon's menus (the SLA, KPI
    and satisfaction analyses, the forecast and cost pivots among them), and
    the printed reports."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start = fields.Datetime.now() + timedelta(days=3)
        cls.ticket = cls._create_ticket(
            lot_id=cls.lot_ac1.id,
            technician_id=cls.emp_technician.id,
            team_id=cls.team_point.id,
        )
        cls.visit = cls.env(user=cls.user_team)["aftersales.visit"].create(
            {
                "ticket_id": cls.ticket.id,
                "technician_id": cls.emp_technician.id,
                "planned_start": start,
                "planned_stop": start + timedelta(hours=2),
                "outside_hours_confirmed": True,
            }
        )
        cls.term = cls.env["aftersales.warranty.term"].create(
            {"name": "AC one year", "duration": 1, "duration_unit": "year"}
        )
        cls.warranty = cls.env["aftersales.warranty"].create(
            {
                "partner_id": cls.customer.id,
                "lot_id": cls.lot_ac1.id,
                "term_id": cls.term.id,
                "delivery_date": fields.Date.today() - timedelta(days=30),
            }
        )
        cls.contract = cls._contract()
        cls.user_manager.tz = "Asia/Shanghai"

    def test_overview_figures_are_read_only(self):
        self.authenticate("as_manager", "as_manager")
        figures = self._call_kw("aftersales.team", "retrieve_my_day")
        self.assertEqual(set(figures), {"tickets", "appointments", "score", "target"})
        for figure in ("tickets", "appointments", "score"):
            action = self._call_kw("aftersales.team", "action_open_my_day", [figure])
            self.assertEqual(action["type"], "ir.actions.act_window")

    def test_overview_buttons_are_read_only(self):
        """Every button of the team overview (and the card's own click)."""
        arch = (
            self.env["aftersales.team"]
            .with_user(self.user_manager)
            .get_views(
                [
                    (
                        self.env.ref(
                            "aftersales_service.aftersales_team_view_kanban_overview"
                        ).id,
                        "kanban",
                    )
                ]
            )["views"]["kanban"]["arch"]
        )
        root = etree.fromstring(arch)
        buttons = {root.get("action")} | {
            node.get("name")
            for node in root.iter("a", "button")
            if node.get("type") == "object"
        }
        self.assertGreaterEqual(len(buttons), 7)
        self.authenticate("as_manager", "as_manager")
        for button in sorted(buttons):
            with self.subTest(button=button):
                action = self._call_kw(
                    "aftersales.team",
                    button,
                    [[self.team_point.id]],
                    route="call_button",
                )
                self.assertEqual(action["type"], "ir.actions.act_window")

    def test_printed_reports_are_read_only(self):
        self.authenticate("as_manager", "as_manager")
        for report, record in (
            ("report_aftersales_warranty", self.warranty),
            ("report_aftersales_visit", self.visit),
            ("report_aftersales_unit_receipt", self.ticket),
        ):
            with self.subTest(report=report):
                self._get_read_only(
                    f"/report/pdf/aftersales_service.{report}/{record.id}"
                )

    def _view_spec(self, model, arch):
        """The web client's specification for the fields of a view (those
        of the view itself, not of its sub-views)."""
        Model = self.env[model]
        root = etree.fromstring(arch)
        spec = {}
        for node in root.iter("field"):
            if any(parent.tag == "field" for parent in node.iterancestors()):
                continue
            name = node.get("name")
            field = Model._fields.get(name)
            if not field or field.type == "properties":
                continue
            if field.relational:
                spec[name] = {"fields": {"display_name": {}}}
            else:
                spec[name] = {}
        return spec

    def _read_analysis(self, model, arch):
        """A pivot or graph as the web client loads it: read_group of its
        measures by its first grouping."""
        Model = self.env[model]
        nodes = list(etree.fromstring(arch).iter("field"))
        measures = [
            f"{node.get('name')}:{Model._fields[node.get('name')].aggregator or 'sum'}"
            for node in nodes
            if node.get("type") == "measure"
        ]
        groupby = [node.get("name") for node in nodes if node.get("type") != "measure"]
        self._call_kw(
            model,
            "read_group",
            [[], ["__count", *measures], groupby[:1]],
            {"lazy": False},
        )

    def _read_records(self, model, mode, arch):
        """A list, kanban or calendar as the web client loads it."""
        result = self._call_kw(
            model,
            "web_search_read",
            [],
            {
                "domain": [],
                "specification": self._view_spec(model, arch),
                "limit": 80,
            },
        )
        self.assertIn("records", result)
        group_by = etree.fromstring(arch).get("default_group_by")
        if mode == "kanban" and group_by:
            self._call_kw(
                model, "web_read_group", [[], ["__count"], [group_by]], {"lazy": True}
            )

    def _read_views(self, action):
        model = action.res_model
        views = [
            (view_id, mode)
            for view_id, mode in action.views
            if mode in ("list", "kanban", "calendar", "pivot", "graph")
        ]
        described = self.env[model].get_views(views)["views"]
        for __, mode in views:
            arch = described[mode]["arch"]
            with self.subTest(action=action.xml_id or action.name, view=mode):
                if mode in ("pivot", "graph"):
                    self._read_analysis(model, arch)
                else:
                    self._read_records(model, mode, arch)

    def test_every_screen_of_the_menus_reads_on_a_read_only_cursor(self):
        """As the service manager (who sees every screen): each window
        action of the addon, each of its list, kanban, calendar, pivot and
        graph views read as the web client does."""
        actions = self.env["ir.actions.act_window"].search(
            [
                ("id", "in", self._addon_records("ir.actions.act_window")),
                ("res_model", "!=", False),
            ]
        )
        actions = actions.filtered(
            lambda action: (
                not self.env[action.res_model]._transient
                and action.res_model in self.env
            )
        )
        self.assertGreater(len(actions), 20)
        # the analyses among them: service levels, KPI, satisfaction, the
        # parts forecast, the cost pivots, the settlement and the overview
        for xmlid in (
            "aftersales_sla_report_action",
            "aftersales_kpi_report_action",
            "aftersales_callback_report_action",
            "aftersales_part_forecast_action",
            "aftersales_ticket_action_cost",
            "aftersales_part_warranty_cost_action",
            "aftersales_visit_action_settlement",
            "aftersales_visit_action_analysis",
            "aftersales_team_action_overview",
        ):
            self.assertIn(self.env.ref(f"aftersales_service.{xmlid}"), actions)
        new_test_user(
            self.env,
            login="as_ro_all",
            groups="aftersales_service.group_aftersales_manager,"
            "stock.group_stock_manager,hr.group_hr_user,"
            "sales_team.group_sale_salesman",
        )
        self.authenticate("as_ro_all", "as_ro_all")
        for action in actions:
            self._read_views(action)

    def _addon_records(self, model):
        return (
            self.env["ir.model.data"]
            .search([("module", "=", "aftersales_service"), ("model", "=", model)])
            .mapped("res_id")
        )
