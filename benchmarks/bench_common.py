"""Shared command line and Odoo start-up of the benchmark scripts.

Every benchmark runs against a database with the addon installed (no demo
data), reads the database connection and the addons path from an Odoo config
file, and rolls back everything it did.
"""

import argparse
import os

import odoo
from odoo.tools import config

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIG = os.path.join(REPO_ROOT, ".local", "odoo-test.conf")


def parser(doc):
    """An argument parser with the options every benchmark takes."""
    result = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    result.add_argument(
        "-d",
        "--database",
        required=True,
        help="database with the addon installed, no demo data (rolled back)",
    )
    result.add_argument(
        "-c",
        "--config",
        default=DEFAULT_CONFIG,
        help="Odoo config file giving the PostgreSQL connection and the "
        "addons path (scripts/test writes this one)",
    )
    return result


def registry(args):
    """Load Odoo's configuration and return the database's registry."""
    if not os.path.exists(args.config):
        raise SystemExit(
            f"Odoo config file {args.config} not found: run scripts/test once "
            "(it writes it), or pass -c with your own Odoo config file."
        )
    config.parse_config(["-c", args.config, "--log-level=warn"])
    return odoo.modules.registry.Registry(args.database)
