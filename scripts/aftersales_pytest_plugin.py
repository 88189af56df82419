"""pytest plugin loaded by scripts/test (``-p aftersales_pytest_plugin``).

It complements pytest-odoo 2.3.0 on Odoo 18:

* ``odoo.modules.module.current_test`` is set to the running test, as Odoo's
  own runner does (pytest-odoo only does it for Odoo >= 19). Without it Odoo
  believes no test is running: ``ir.mail_server`` really connects to SMTP and
  sends mail, the bus accepts websockets during tours, and HttpCase's test
  cursor checks are off.
* Browser tests must not pass silently: Odoo turns a missing Chrome, a missing
  ``websocket-client`` or a Chrome that fails to start into a *skip*; these
  skips are reported as failures (AFTERSALES_ALLOW_BROWSER_SKIP=1 keeps them
  as skips), as is pytest-odoo's skip of HttpCase tests without --odoo-http.
* Test classes outside ``odoo.addons.<module>`` (our tests/ at the repo root)
  get the defaults that Odoo's MetaCase gives to addon tests: test_tags
  {"standard", "at_install"} (then changed by @tagged), test_module (the addon,
  AFTERSALES_ADDON), test_class. Without this an undecorated class fails with
  "AttributeError: ... has no attribute 'test_tags'", and a @tagged one lacks
  the "standard" tag, with which Odoo blocks real outgoing HTTP requests.
* With --odoo-http, pytest-odoo serves Odoo on a free random port;
  AFTERSALES_PYTEST_HTTP_PORT (set by scripts/test from
  AFTERSALES_TEST_HTTP_PORT) fixes the port instead.
"""

import os

import pytest

BROWSER_SKIP_MARKERS = (
    "websocket-client module is not installed",
    "Chrome executable not found",
    "chrome devtools port",
    "Chrome headless connection",
    "Error during Chrome connection",
    "Cannot connect to chrome dev tools",
    "is an HttpCase and --odoo-http is not set",
)


def _patch_metacase():
    from odoo.tests import common

    if getattr(common.MetaCase, "_aftersales_patched", False):
        return
    original_init = common.MetaCase.__init__
    addon = os.environ.get("AFTERSALES_ADDON", "aftersales_service")

    def __init__(cls, name, bases, attrs):
        original_init(cls, name, bases, attrs)
        if not cls.__module__.startswith("odoo."):
            if getattr(cls, "test_tags", None) is None:
                cls.test_tags = {"standard", "at_install"}
            cls.test_module = addon
            cls.test_class = cls.__name__
            cls.test_sequence = 0

    common.MetaCase.__init__ = __init__
    common.MetaCase._aftersales_patched = True


def pytest_configure(config):
    _patch_metacase()
    port = os.environ.get("AFTERSALES_PYTEST_HTTP_PORT")
    if port:
        import pytest_odoo

        pytest_odoo._get_available_random_port = lambda: int(port)


def _odoo_test_instance(item):
    try:
        from odoo.tests.common import BaseCase
    except ImportError:  # odoo not importable: nothing to do
        return None
    instance = getattr(item, "instance", None)  # created lazily by pytest
    return instance if isinstance(instance, BaseCase) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    test = _odoo_test_instance(item)
    if test is None:
        return (yield)
    from odoo.modules import module

    # set before setup, so that setUpClass also runs "inside" a test
    module.current_test = test
    try:
        return (yield)
    finally:
        module.current_test = False


def _skip_message(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and os.environ.get("AFTERSALES_ALLOW_BROWSER_SKIP") != "1":
        message = _skip_message(report)
        if any(marker in message for marker in BROWSER_SKIP_MARKERS):
            report.outcome = "failed"
            report.longrepr = (
                f"browser test could not run: {message}\n"
                "Odoo reports this as a skip; scripts/test treats it as a failure. "
                "Install Chromium (Debian: apt-get install chromium; websocket-client "
                "comes with .venv), or set AFTERSALES_ALLOW_BROWSER_SKIP=1 to allow "
                "the skip."
            )
    return report
