"""Smoke tests of the tooling: the addon is installed in the test database and
browser tests (HttpCase, Chromium) run under pytest-odoo (scripts/test)."""

from odoo.tests import HttpCase, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestToolingSmoke(TransactionCase):
    def test_addon_installed(self):
        module = self.env["ir.module.module"].search(
            [("name", "=", "aftersales_service")]
        )
        self.assertEqual(module.state, "installed")


@tagged("post_install", "-at_install")
class TestToolingSmokeBrowser(HttpCase):
    def test_browser_runs(self):
        # Opens the backend as admin in headless Chromium and waits for the
        # web client to be ready, then for the success signal.
        self.browser_js(
            "/odoo",
            "console.log('test successful');",
            "odoo.isReady === true",
            login="admin",
            timeout=120,
        )
