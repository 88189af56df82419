"""Shared command line and Odoo start-up of the benchmark scripts.

Every benchmark runs against a database with the addon installed (no demo
data), reads the database connection and the addons path from an Odoo config
file, and rolls back everything it did.
"""

import argparse
import os
import time
from typing import NamedTuple

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


def configure(args, extra_addons=()):
    """Load Odoo's configuration from the config file.

    ``extra_addons``: folders added to the config file's addons path for this
    run only (e.g. a peer's addons installed outside Odoo)."""
    if not os.path.exists(args.config):
        raise SystemExit(
            f"Odoo config file {args.config} not found: run scripts/test once "
            "(it writes it), or pass -c with your own Odoo config file."
        )
    config.parse_config(["-c", args.config, "--log-level=warn"])
    if extra_addons:
        paths = config["addons_path"].split(",")
        paths += [path for path in extra_addons if path not in paths]
        config.parse_config(
            ["-c", args.config, "--log-level=warn", "--addons-path", ",".join(paths)]
        )


def registry(args, extra_addons=()):
    """Load Odoo's configuration and return the database's registry."""
    configure(args, extra_addons)
    return odoo.modules.registry.Registry(args.database)


class Measurement(NamedTuple):
    """What one measured call cost: wall and CPU seconds of this (the Odoo)
    process, SQL queries, and the number of records it handled."""

    wall: float
    cpu: float
    queries: int
    count: int

    @property
    def wall_ms(self):
        """Wall-clock milliseconds per record."""
        return self.wall * 1000 / self.count

    @property
    def cpu_ms(self):
        """CPU milliseconds of the Odoo process per record."""
        return self.cpu * 1000 / self.count

    @property
    def queries_per(self):
        """SQL queries per record."""
        return self.queries / self.count


def measure(env, func, count, profiler=None):
    """Run ``func()`` and flush; return its :class:`Measurement` for ``count``
    records. The flush includes the cursor's pre-commit hooks, where Odoo
    posts the tracking messages of the records written: what the request's
    commit would run. Pending work is flushed and the cache emptied first, so
    that neither is counted against ``func``. ``profiler``: a cProfile.Profile
    enabled around the call."""
    env.cr.flush()
    env.flush_all()
    env.invalidate_all()
    cr = env.cr
    queries = cr.sql_log_count
    start = time.perf_counter()
    cpu = time.process_time()
    if profiler:
        profiler.enable()
    func()
    env.cr.flush()
    env.flush_all()
    if profiler:
        profiler.disable()
    return Measurement(
        time.perf_counter() - start,
        time.process_time() - cpu,
        cr.sql_log_count - queries,
        count,
    )
