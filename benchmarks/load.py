"""Load and soak test: several Odoo servers, a PostgreSQL replica, faults.

One command starts everything on loopback, runs the load, injects faults,
checks integrity, prints a report and removes everything it started:

- its own PostgreSQL primary and a streaming replica of it (initdb,
  pg_basebackup -R), with their own ports and data directories in a
  temporary folder, run as an unprivileged OS user (PostgreSQL refuses root);
  the machine's own PostgreSQL cluster is never touched;
- a database with the addon installed (no demo data) and seeded with
  tickets (100,000 by default; 5,000 with --quick), SLA lines, customers,
  portal users, technicians, spare parts in stock, reservations and serials
  under warranty;
- two Odoo servers in prefork mode (3 workers each) on that database, one
  shared file store, read-only requests routed to the replica, and a third
  Odoo process that only runs the scheduled jobs (one cron thread);
- 50 simulated users for a bounded time (10 minutes; 60 seconds with
  --quick) over JSON-RPC and HTTP: agents, technicians, dispatchers, stock
  users, portal customers and public visitors; the escalation (SLA),
  expiry and callback jobs are triggered while they work;
- faults: the replica stopped during the load, a worker killed mid-request,
  the database connection of the escalation job terminated mid-run and the
  job run again, two users saving the same ticket at once;
- integrity checks on the primary at the end.

Exit code 0 only when every operation of the steady load succeeded, every
fault behaved as specified and no integrity check failed.

Run it from the repository root with the Python that runs Odoo 18
(``ODOO_PYTHON``; the script finds it the way scripts/run does when started
with another Python):

    python benchmarks/load.py --quick       # about 5 minutes (cache warm)
    python benchmarks/load.py               # 100,000 tickets, 10 minutes of load
    python benchmarks/load.py --quick --from-db aftersales_test
        # copy the database scripts/test installed instead of installing (CI)
"""

import argparse
import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
DB_NAME = "as_load"
DB_ROLE = "aftersales_load"


# ----------------------------------------------------------------------
# Interpreter: re-run under the Python that imports Odoo 18
# ----------------------------------------------------------------------


def ensure_odoo_python():
    try:
        import requests  # noqa: F401, PLC0415

        import odoo  # noqa: F401, PLC0415

        return
    except ImportError:
        pass
    if os.environ.get("AFTERSALES_LOAD_REEXEC"):
        raise SystemExit(
            "load.py: the interpreter found cannot import odoo and requests"
        )
    script = (
        f'. "{REPO_ROOT}/scripts/lib.sh"; load_config >&2; discover_odoo >&2; '
        'printf "%s" "$ODOO_PYTHON"'
    )
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=False
    )
    if result.returncode or not result.stdout:
        sys.stderr.write(result.stderr)
        raise SystemExit(
            "load.py needs Odoo 18: set ODOO_PYTHON=/path/to/python-with-odoo-18"
        )
    os.environ["AFTERSALES_LOAD_REEXEC"] = "1"
    os.execv(result.stdout, [result.stdout, os.path.abspath(__file__), *sys.argv[1:]])


def log(message):
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port(port):
    with socket.socket() as sock:
        # as the servers do: connections of a previous run in TIME_WAIT on
        # the port do not keep it from being listened on
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# ----------------------------------------------------------------------
# PostgreSQL: own primary and streaming replica
# ----------------------------------------------------------------------


class Cluster:
    """A PostgreSQL primary and its streaming replica in ``workdir``,
    listening on 127.0.0.1 only, run as an unprivileged OS user."""

    def __init__(self, workdir, primary_port, replica_port):
        self.workdir = workdir
        self.primary_port = primary_port
        self.replica_port = replica_port
        self.bindir = self._bindir()
        self.primary_dir = os.path.join(workdir, "pg-primary")
        self.replica_dir = os.path.join(workdir, "pg-replica")
        self.socket_dir = os.path.join(workdir, "pg-sockets")
        self.user = None
        self.prefix = []
        if os.geteuid() == 0:
            import pwd  # noqa: PLC0415

            for name in ("postgres", "nobody"):
                try:
                    entry = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = entry
                break
            if not self.user:
                raise SystemExit("running as root and no 'postgres'/'nobody' OS user")
            self.prefix = ["runuser", "-u", self.user.pw_name, "--"]
        self.running = []

    @staticmethod
    def _bindir():
        candidates = [os.environ.get("AFTERSALES_PG_BINDIR")]
        try:
            candidates.append(
                subprocess.run(
                    ["pg_config", "--bindir"], capture_output=True, text=True
                ).stdout.strip()
            )
        except OSError:
            pass
        candidates += PG_BIN_CANDIDATES
        for path in candidates:
            if path and os.path.exists(os.path.join(path, "initdb")):
                return path
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found")

    def _run(self, *args, **kw):
        cmd = [*self.prefix, os.path.join(self.bindir, args[0]), *args[1:]]
        result = subprocess.run(
            cmd, capture_output=True, text=True, cwd=self.workdir, **kw
        )
        if result.returncode:
            raise SystemExit(
                f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def _own(self, path):
        os.makedirs(path, exist_ok=True)
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)
        os.chmod(path, 0o700 if path != self.socket_dir else 0o755)

    def init_primary(self):
        os.chmod(self.workdir, 0o755)
        self._own(self.socket_dir)
        self._own(self.primary_dir)
        self._run(
            "initdb",
            "-D",
            self.primary_dir,
            "-U",
            DB_ROLE,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": self.primary_port,
            "unix_socket_directories": f"'{self.socket_dir}'",
            "max_connections": 300,
            "shared_buffers": "'512MB'",
            "wal_level": "replica",
            "max_wal_senders": 5,
            "hot_standby": "on",
            "hot_standby_feedback": "on",
            "shared_preload_libraries": "'pg_stat_statements'",
            "pg_stat_statements.track": "top",
            "log_min_messages": "warning",
            "log_line_prefix": "'%m [%p] %a '",
            "logging_collector": "off",
        }
        with open(os.path.join(self.primary_dir, "postgresql.conf"), "a") as conf:
            conf.write("\n# aftersales load test\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")
        self.start(self.primary_dir, "primary")

    def restore_primary(self, source):
        os.chmod(self.workdir, 0o755)
        self._own(self.socket_dir)
        subprocess.run(["cp", "-a", source, self.primary_dir], check=True)
        with open(os.path.join(self.primary_dir, "postgresql.conf"), "a") as conf:
            conf.write(
                f"port = {self.primary_port}\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "pg_stat_statements.track = top\n"
            )
        self.start(self.primary_dir, "primary")

    def init_replica(self):
        self._own(self.replica_dir)
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            DB_ROLE,
            "-D",
            self.replica_dir,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with open(os.path.join(self.replica_dir, "postgresql.conf"), "a") as conf:
            conf.write(f"port = {self.replica_port}\n")
        self.start(self.replica_dir, "replica")

    def start(self, datadir, label):
        logfile = os.path.join(self.workdir, f"{label}.log")
        if self.user and not os.path.exists(logfile):
            open(logfile, "w").close()
            os.chown(logfile, self.user.pw_uid, self.user.pw_gid)
        self._run("pg_ctl", "-D", datadir, "-l", logfile, "-w", "-t", "120", "start")
        if datadir not in self.running:
            self.running.append(datadir)

    def stop(self, datadir, mode="fast"):
        if datadir in self.running:
            self._run("pg_ctl", "-D", datadir, "-m", mode, "-w", "stop")
            self.running.remove(datadir)

    def stop_all(self):
        for datadir in reversed(list(self.running)):
            try:
                self.stop(datadir, "immediate")
            except SystemExit as exc:
                log(f"could not stop {datadir}: {exc}")

    def connect(self, port=None, dbname=DB_NAME):
        import psycopg2  # noqa: PLC0415

        cnx = psycopg2.connect(
            host="127.0.0.1",
            port=port or self.primary_port,
            user=DB_ROLE,
            dbname=dbname,
            application_name="aftersales-load-harness",
        )
        cnx.autocommit = True
        return cnx

    def query(self, sql, params=None, port=None, dbname=DB_NAME):
        with contextlib.closing(self.connect(port, dbname)) as cnx:
            with cnx.cursor() as cr:
                cr.execute(sql, params)
                return cr.fetchall() if cr.description else None


# ----------------------------------------------------------------------
# Odoo processes
# ----------------------------------------------------------------------


class Odoo:
    def __init__(self, args, workdir, cluster):
        import odoo  # noqa: PLC0415

        self.args = args
        self.workdir = workdir
        self.cluster = cluster
        self.python = sys.executable
        # odoo-bin rather than ``-m odoo``: prefork servers start their
        # websocket process again from sys.argv
        odoo_bin = os.path.join(
            os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin"
        )
        self.odoo_cmd = (
            [self.python, odoo_bin]
            if os.path.exists(odoo_bin)
            else [
                self.python,
                "-m",
                "odoo",
            ]
        )
        self.data_dir = os.path.join(workdir, "odoo-data")
        os.makedirs(self.data_dir, exist_ok=True)
        addons = [os.path.join(os.path.dirname(odoo.__file__), "addons"), REPO_ROOT]
        extra = os.environ.get("ODOO_ADDONS_PATH")
        if extra:
            addons += [path for path in extra.split(",") if path]
        self.addons_path = ",".join(addons)
        self.servers = {}

    def write_conf(self, name, **options):
        values = {
            "addons_path": self.addons_path,
            "data_dir": self.data_dir,
            "db_host": "127.0.0.1",
            "db_port": self.cluster.primary_port,
            "db_user": DB_ROLE,
            "db_password": "False",
            "db_name": DB_NAME,
            "dbfilter": f"^{DB_NAME}$",
            "list_db": "False",
            "http_interface": "127.0.0.1",
            "proxy_mode": "True",
            "without_demo": "all",
            "log_level": "info",
            "log_handler": ":INFO,werkzeug:WARNING",
            "limit_time_cpu": 600,
            "limit_time_real": 1200,
            "limit_time_real_cron": 1200,
            "limit_memory_soft": 2 * 1024**3,
            "limit_memory_hard": 3 * 1024**3,
            "db_maxconn": 32,
            "max_cron_threads": 0,
            "logfile": os.path.join(self.workdir, f"odoo-{name}.log"),
        }
        values.update(options)
        path = os.path.join(self.workdir, f"odoo-{name}.conf")
        with open(path, "w") as conf:
            conf.write("[options]\n")
            for key, value in values.items():
                conf.write(f"{key} = {value}\n")
        return path

    def install(self):
        conf = self.write_conf("install")
        log("installing the addon into a new database (a few minutes) ...")
        start = time.monotonic()
        result = subprocess.run(
            [
                *self.odoo_cmd,
                "-c",
                conf,
                "-d",
                DB_NAME,
                "-i",
                "aftersales_service",
                "--stop-after-init",
                "--no-http",
            ],
            stdin=subprocess.DEVNULL,
            check=False,
        )
        logfile = os.path.join(self.workdir, "odoo-install.log")
        if result.returncode:
            with open(logfile) as fh:
                sys.stderr.write("".join(fh.readlines()[-40:]))
            raise SystemExit("installing the addon failed")
        log(f"addon installed in {time.monotonic() - start:.0f} s")

    def start_server(self, name, http_port, gevent_port, workers, cron_threads):
        options = {
            "http_port": http_port,
            "gevent_port": gevent_port,
            "workers": workers,
            "max_cron_threads": cron_threads,
            "db_replica_host": "127.0.0.1",
            "db_replica_port": self.cluster.replica_port,
        }
        args = []
        if not http_port:
            options.pop("http_port")
            options.pop("gevent_port")
            args.append("--no-http")
        conf = self.write_conf(name, **options)
        env = dict(os.environ, ODOO_PGAPPNAME=f"odoo-{name}-{{pid}}")
        proc = subprocess.Popen(
            [*self.odoo_cmd, "-c", conf, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.workdir, f"odoo-{name}.stderr"), "w"),
            env=env,
            start_new_session=True,
        )
        self.servers[name] = {"proc": proc, "port": http_port, "conf": conf}
        return proc

    def wait_ready(self, name, timeout=180):
        import requests  # noqa: PLC0415

        port = self.servers[name]["port"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.servers[name]["proc"].poll() is not None:
                raise SystemExit(f"Odoo server {name} exited; see its log")
            try:
                response = requests.get(
                    f"http://127.0.0.1:{port}/web/login", timeout=30
                )
                if response.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise SystemExit(f"Odoo server {name} did not answer in {timeout} s")

    def worker_pids(self, name):
        """PIDs of the HTTP workers of the prefork server ``name``."""
        master = self.servers[name]["proc"].pid
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline") as fh:
                    cmdline = fh.read()
            except OSError:
                continue
            if int(fields[1]) == master and "gevent" not in cmdline:
                pids.append(int(entry))
        return pids

    def stop_all(self):
        for server in self.servers.values():
            proc = server["proc"]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for server in self.servers.values():
            proc = server["proc"]
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # workers left behind by a killed master
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def log_lines(self, pattern):
        regex = re.compile(pattern)
        found = []
        for name in self.servers:
            path = os.path.join(self.workdir, f"odoo-{name}.log")
            if os.path.exists(path):
                with open(path, errors="replace") as fh:
                    found += [line for line in fh if regex.search(line)]
        return found


# ----------------------------------------------------------------------
# Seeding (in this process, through Odoo's ORM and SQL)
# ----------------------------------------------------------------------


def seed(conf, tickets_total, marker):
    """Fixtures of the simulated users, then bulk copies of a template ticket
    (and its SLA lines) up to ``tickets_total`` tickets. Returns what the
    clients need (ids, logins)."""
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, Command, api  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(["-c", conf, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(DB_NAME)
    start = time.monotonic()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        env = env(context=dict(env.context, mail_create_nolog=True, mail_notrack=True))
        company = env.ref("base.main_company")
        # Round-the-clock service calendar: deadlines fall during the run.
        calendar = env["resource.calendar"].create(
            {
                "name": "Load 24/7",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"{day}",
                            "dayofweek": str(day),
                            "hour_from": 0,
                            "hour_to": 24,
                            "day_period": "morning",
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        admin = env.ref("base.user_admin")
        # The simulated users log in once each, and their logins are not
        # what is measured: their passwords are hashed with few rounds
        # (Odoo verifies any pbkdf2_sha512 hash) so that 50 logins do not
        # take minutes of CPU on a small machine.
        from passlib.hash import pbkdf2_sha512  # noqa: PLC0415

        hashed = pbkdf2_sha512.using(rounds=1000).hash("load")

        def users(prefix, count, groups, partner_vals=None):
            vals = []
            for index in range(count):
                login = f"{prefix}{index}"
                user_vals = {
                    "name": f"Load {prefix.title()} {index}",
                    "login": login,
                    "email": f"{login}@load.example.com",
                    "groups_id": [Command.set([env.ref(g).id for g in groups])],
                    "tz": "UTC",
                }
                if partner_vals:
                    user_vals["partner_id"] = partner_vals[index]
                vals.append(user_vals)
            records = (
                env["res.users"]
                .with_context(no_reset_password=True, mail_create_nosubscribe=True)
                .create(vals)
            )
            cr.execute(
                "UPDATE res_users SET password = %s WHERE id = ANY(%s)",
                [hashed, records.ids],
            )
            return records

        agents = users("agent", 12, ["aftersales_service.group_aftersales_user_own"])
        technicians = users(
            "tech", 10, ["aftersales_service.group_aftersales_technician"]
        )
        dispatchers = users(
            "dispatcher", 4, ["aftersales_service.group_aftersales_user_team"]
        )
        stock_users = users("stock", 4, ["stock.group_stock_user", "base.group_user"])
        customers = env["res.partner"].create(
            [
                {"name": f"Load Customer {i}", "email": f"cust{i}@load.example.com"}
                for i in range(200)
            ]
        )
        portal_users = users("portal", 12, ["base.group_portal"], customers[:12].ids)
        employees = env["hr.employee"].create(
            [{"name": u.name, "user_id": u.id} for u in technicians]
        )
        teams = env["aftersales.team"].create(
            [
                {
                    "name": f"Load Team {i}",
                    "level": "point",
                    "resource_calendar_id": calendar.id,
                    "leader_id": admin.id,
                    "technician_ids": [Command.set(employees[i::4].ids)],
                    "member_ids": [Command.set((dispatchers | agents[i::4]).ids)],
                }
                for i in range(4)
            ]
        )
        parts = env["product.product"].create(
            [
                {"name": f"Load Part {i}", "is_storable": True, "list_price": 10 + i}
                for i in range(5)
            ]
        )
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        for part in parts:
            env["stock.quant"]._update_available_quantity(
                part, warehouse.lot_stock_id, 100_000
            )
        appliance = env["product.product"].create(
            {
                "name": "Load Air Conditioner",
                "is_storable": True,
                "tracking": "serial",
                "aftersales_warranty_term_id": env.ref(
                    "aftersales_service.warranty_term_default"
                ).id,
            }
        )
        lots = env["stock.lot"].create(
            [
                {"name": f"LOAD-SN-{i:05d}", "product_id": appliance.id}
                for i in range(300)
            ]
        )
        env["aftersales.warranty"].create(
            [
                {
                    "partner_id": customers[i % len(customers)].id,
                    "product_id": appliance.id,
                    "lot_id": lot.id,
                    "delivery_date": (datetime.now() - timedelta(days=i)).date(),
                    "term_id": env.ref("aftersales_service.warranty_term_default").id,
                }
                for i, lot in enumerate(lots)
            ]
        )
        channel = env.ref("aftersales_service.channel_phone")
        stages = env["aftersales.stage"].search([("is_closed", "=", False)])
        Ticket = env["aftersales.ticket"]
        base_vals = {"channel_id": channel.id, "symptom": f"{marker} seeded"}
        tech_tickets = Ticket.create(
            [
                dict(
                    base_vals,
                    partner_id=customers[(i * 7) % len(customers)].id,
                    team_id=teams[i % 10 % 4].id,
                    technician_id=employees[i % 10].id,
                    product_id=appliance.id,
                )
                for i in range(200)
            ]
        )
        portal_tickets = Ticket.create(
            [
                dict(
                    base_vals,
                    partner_id=customers[i % 12].id,
                    team_id=teams[i % 4].id,
                )
                for i in range(120)
            ]
        )
        # Reservations: drafts for the stock users to confirm, confirmed ones
        # for the technicians to consume, a few expiring during the run.
        Reservation = env["aftersales.part.reservation"]
        reservations = Reservation.create(
            [
                {
                    "ticket_id": ticket.id,
                    "line_ids": [
                        Command.create(
                            {"product_id": parts[i % 5].id, "product_qty": 1 + i % 3}
                        )
                    ],
                }
                for i, ticket in enumerate(tech_tickets)
            ]
        )
        reservations[100:150].action_confirm()
        expiring = Reservation.create(
            [
                {
                    "ticket_id": ticket.id,
                    "line_ids": [
                        Command.create({"product_id": parts[0].id, "product_qty": 1})
                    ],
                }
                for ticket in portal_tickets[:15]
            ]
        )
        expiring.action_confirm()
        env.flush_all()
        cr.commit()
        log(
            f"fixtures: {len(tech_tickets) + len(portal_tickets)} tickets, "
            f"{len(reservations)} reservations, {len(lots)} serials "
            f"({time.monotonic() - start:.0f} s)"
        )
        copies = max(0, tickets_total - len(tech_tickets) - len(portal_tickets))
        bulk_copy(env, portal_tickets[0], copies, customers)
        cr.commit()
        log(f"seeded {tickets_total:,} tickets in {time.monotonic() - start:.0f} s")
        data = {
            "agents": agents.mapped("login"),
            "technicians": technicians.mapped("login"),
            "dispatchers": dispatchers.mapped("login"),
            "stock": stock_users.mapped("login"),
            "portal": portal_users.mapped("login"),
            "customers": customers.ids,
            "teams": teams.ids,
            "employees": employees.ids,
            "stages": stages.ids,
            "channel": channel.id,
            "serials": lots.mapped("name"),
            "tech_tickets": {
                tech.login: tech_tickets.filtered(
                    lambda t, e=emp: t.technician_id == e
                ).ids
                for tech, emp in zip(technicians, employees, strict=True)
            },
            "portal_tickets": {
                user.login: portal_tickets.filtered(
                    lambda t, p=user.partner_id: t.partner_id == p
                ).ids
                for user in portal_users
            },
            "draft_reservations": reservations[:100].ids,
            "expiring_reservations": expiring.ids,
            "ticket_sequence": Ticket._get_ticket_sequence(company).read(
                ["implementation", "use_date_range", "number_next_actual"]
            )[0],
        }
        data["sessions"] = open_sessions(
            env, agents | technicians | dispatchers | stock_users | portal_users
        )
    registry.delete(DB_NAME)
    odoo.sql_db.close_all()
    return data


def open_sessions(env, users):
    """{login: {"sid", "uid"}}: a logged-in session per simulated user in the
    servers' shared session store, as Odoo's login leaves it. Logging 42 users
    in over HTTP (session info, menus) took minutes on a busy 2-core machine;
    logins are not what this harness measures."""
    from odoo import http  # noqa: PLC0415

    store = http.root.session_store
    sessions = {}
    for user in users:
        session = store.new()
        session.update(http.get_default_session())
        session.update(
            {
                "db": DB_NAME,
                "login": user.login,
                "uid": user.id,
                "context": dict(env["res.users"].with_user(user).context_get()),
                "session_token": user.with_user(user)._compute_session_token(
                    session.sid
                ),
            }
        )
        store.save(session)
        sessions[user.login] = {"sid": session.sid, "uid": user.id}
    return sessions


def bulk_copy(env, template, count, customers):
    """``count`` copies of ``template`` with SQL, spread over the customers
    and the last year, each with copies of the template's SLA lines."""
    if count <= 0:
        return
    cr = env.cr
    env.flush_all()

    def columns(table, skip):
        cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = %s AND is_generated = 'NEVER' "
            "AND column_name <> ALL(%s)",
            [table, list(skip)],
        )
        return [row[0] for row in cr.fetchall()]

    ticket_cols = columns(
        "aftersales_ticket",
        (
            "id",
            "name",
            "access_token",
            "received_date",
            "partner_id",
            "commercial_partner_id",
        ),
    )
    # references of their own, out of the sequence's range
    start = time.monotonic()
    for offset in range(0, count, 20_000):
        chunk = min(20_000, count - offset)
        cr.execute(
            f"""
            WITH new AS (
                INSERT INTO aftersales_ticket (name, access_token, received_date,
                       partner_id, commercial_partner_id,
                       {", ".join(f'"{c}"' for c in ticket_cols)})
                SELECT 'LOADCOPY' || lpad((%(offset)s + g)::text, 7, '0'),
                       md5(random()::text || g),
                       t.received_date - make_interval(secs => g * 300),
                       (%(customers)s::int[])[1 + g %% %(ncust)s],
                       (%(customers)s::int[])[1 + g %% %(ncust)s],
                       {", ".join(f't."{c}"' for c in ticket_cols)}
                  FROM aftersales_ticket t, generate_series(1, %(count)s) g
                 WHERE t.id = %(template)s
                RETURNING id
            )
            SELECT array_agg(id) FROM new
            """,
            {
                "offset": offset,
                "count": chunk,
                "template": template.id,
                "customers": customers.ids,
                "ncust": len(customers),
            },
        )
        ids = cr.fetchone()[0]
        line_cols = columns("aftersales_ticket_sla", ("id", "ticket_id"))
        # copies are checked in a month, not during the run (the lines that
        # fall due during the run are chosen by the harness)
        values = [
            "CASE WHEN l.next_check IS NULL THEN NULL ELSE "
            "(now() at time zone 'UTC') + interval '30 days' END"
            if column == "next_check"
            else f"l.{column}"
            for column in line_cols
        ]
        cr.execute(
            f"""
            INSERT INTO aftersales_ticket_sla (ticket_id, {", ".join(line_cols)})
            SELECT n.id, {", ".join(values)}
              FROM unnest(%s::int[]) AS n(id), aftersales_ticket_sla l
             WHERE l.ticket_id = %s
            """,
            [ids, template.id],
        )
    cr.execute("ANALYZE")
    env.invalidate_all()
    log(
        f"bulk copy: {count:,} tickets with SLA lines in "
        f"{time.monotonic() - start:.0f} s"
    )


# ----------------------------------------------------------------------
# Simulated users
# ----------------------------------------------------------------------


class RpcError(Exception):
    pass


class Stats:
    """Every operation's end time, latency and error, thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)  # op -> [(end, seconds, error)]
        self.acks = defaultdict(list)  # kind -> [(marker, id)]

    def record(self, op, seconds, error=None):
        with self.lock:
            self.samples[op].append(
                (time.monotonic(), seconds, None if error is None else str(error))
            )

    def ack(self, kind, marker, record_id):
        with self.lock:
            self.acks[kind].append((marker, record_id))

    def window(self, start, end):
        """{op: (latencies, errors)} of the operations ended in [start, end)."""
        result = {}
        for op, samples in self.samples.items():
            inside = [s for s in samples if start <= s[0] < end]
            result[op] = (
                [s[1] for s in inside if s[2] is None],
                [s[2] for s in inside if s[2] is not None],
            )
        return result


class Client:
    """One simulated user: a requests session on one Odoo server."""

    def __init__(
        self, base, login=None, password="load", forwarded_for=None, session=None
    ):
        import requests  # noqa: PLC0415

        self.base = base
        self.session = requests.Session()
        self.login = login
        self.uid = None
        self.headers = {}
        if forwarded_for:
            # behind a reverse proxy: one address per visitor
            self.headers = {
                "X-Forwarded-For": forwarded_for,
                "X-Forwarded-Host": base.split("//", 1)[1],
                "X-Forwarded-Proto": "http",
            }
        if login and session:
            self.session.cookies.set("session_id", session["sid"])
            self.uid = session["uid"]
        elif login:
            result = self.json(
                "/web/session/authenticate",
                {"db": DB_NAME, "login": login, "password": password},
            )
            self.uid = result["uid"]

    def json(self, path, params, timeout=300):
        response = self.session.post(
            self.base + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            headers=self.headers,
            timeout=timeout,
        )
        if response.status_code != 200:
            raise RpcError(f"HTTP {response.status_code} on {path}")
        body = response.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            raise RpcError(
                f"{data.get('name', 'error')}: {data.get('message', body['error'])}"
            )
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", {"lang": "en_US", "tz": "UTC"})
        return self.json(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def button(self, model, method, ids, context=None):
        return self.json(
            "/web/dataset/call_button",
            {
                "model": model,
                "method": method,
                "args": [ids],
                "kwargs": {"context": context or {"lang": "en_US", "tz": "UTC"}},
            },
        )

    def get(self, path, expect=200):
        response = self.session.get(self.base + path, headers=self.headers, timeout=300)
        if response.status_code != expect:
            raise RpcError(f"HTTP {response.status_code} on {path}")
        return response


TICKET_LIST_FIELDS = {
    "name": {},
    "subject": {},
    "partner_id": {"fields": {"display_name": {}}},
    "stage_id": {"fields": {"display_name": {}}},
    "priority": {},
    "team_id": {"fields": {"display_name": {}}},
    "received_date": {},
}


class Role:
    """A simulated user of one role: ``ops`` are (weight, method name)."""

    ops = ()

    def __init__(self, harness, client, index):
        self.h = harness
        self.c = client
        self.index = index
        self.rng = random.Random(hash((type(self).__name__, index)))

    def pick(self):
        total = sum(weight for weight, __ in self.ops)
        roll = self.rng.uniform(0, total)
        for weight, name in self.ops:
            roll -= weight
            if roll <= 0:
                return name
        return self.ops[-1][1]

    def marker(self, kind):
        return f"{self.h.marker}-{kind}-{uuid.uuid4().hex[:12]}"

    def list_tickets(self, domain=()):
        return self.c.call(
            "aftersales.ticket",
            "web_search_read",
            domain=list(domain),
            specification=TICKET_LIST_FIELDS,
            limit=80,
            order="received_date desc",
        )["records"]


class Agent(Role):
    ops = (
        (3, "create_ticket"),
        (3, "reply"),
        (4, "list_tickets_op"),
        (2, "open_ticket"),
    )

    def __init__(self, *args):
        super().__init__(*args)
        self.mine = []

    def create_ticket(self):
        marker = self.marker("ticket")
        data = self.h.data
        ticket_id = self.c.call(
            "aftersales.ticket",
            "create",
            {
                "partner_id": self.rng.choice(data["customers"]),
                "team_id": self.rng.choice(data["teams"]),
                "channel_id": data["channel"],
                "symptom": f"{marker}\nNo cooling since this morning",
                "priority": self.rng.choice(["0", "1", "2"]),
            },
        )
        ticket_id = ticket_id[0] if isinstance(ticket_id, list) else ticket_id
        self.h.stats.ack("ticket", marker, ticket_id)
        self.mine.append(ticket_id)

    def reply(self):
        if not self.mine:
            return self.create_ticket()
        marker = self.marker("reply")
        ticket_id = self.rng.choice(self.mine)
        message_id = self.c.call(
            "aftersales.ticket",
            "message_post",
            [ticket_id],
            body=f"{marker} We are sending a technician.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.h.stats.ack("message", marker, message_id)

    def list_tickets_op(self):
        self.list_tickets([("owner_id", "=", self.c.uid)])

    def open_ticket(self):
        if not self.mine:
            return self.list_tickets_op()
        self.c.call(
            "aftersales.ticket",
            "web_read",
            [self.rng.choice(self.mine)],
            specification={"name": {}, "symptom": {}, "stage_id": {}, "sla_ids": {}},
        )


class Technician(Role):
    ops = (
        (3, "move_stage"),
        (3, "log_work"),
        (1, "consume_parts"),
        (3, "my_tickets"),
    )

    def __init__(self, *args):
        super().__init__(*args)
        self.tickets = list(self.h.data["tech_tickets"][self.c.login])

    def move_stage(self):
        stages = self.h.data["stages"]
        ticket_id = self.rng.choice(self.tickets)
        self.c.call(
            "aftersales.ticket",
            "write",
            [ticket_id],
            {"stage_id": self.rng.choice(stages)},
        )

    def log_work(self):
        # Labour is charged from the visits' check-in and check-out; what a
        # technician logs from the ticket is a note in its chatter.
        marker = self.marker("work")
        message_id = self.c.call(
            "aftersales.ticket",
            "message_post",
            [self.rng.choice(self.tickets)],
            body=f"{marker} Diagnosis done, board replaced.",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        self.h.stats.ack("note", marker, message_id)

    def consume_parts(self):
        reservations = self.c.call(
            "aftersales.part.reservation",
            "search_read",
            [("ticket_id", "in", self.tickets), ("state", "=", "confirmed")],
            fields=["id"],
            limit=1,
        )
        if not reservations:
            return self.my_tickets()
        context = {
            "lang": "en_US",
            "tz": "UTC",
            "default_reservation_id": reservations[0]["id"],
        }
        wizard_id = self.c.call(
            "aftersales.part.consume.wizard",
            "create",
            {"reservation_id": reservations[0]["id"]},
            context=context,
        )
        wizard_id = wizard_id[0] if isinstance(wizard_id, list) else wizard_id
        self.c.button("aftersales.part.consume.wizard", "action_confirm", [wizard_id])

    def my_tickets(self):
        self.list_tickets([("technician_user_id", "=", self.c.uid)])


class Dispatcher(Role):
    ops = ((2, "transfer"), (3, "team_tickets"), (1, "kanban_counts"))

    def transfer(self):
        data = self.h.data
        tickets = self.c.call(
            "aftersales.ticket",
            "search",
            [("is_closed", "=", False), ("team_id", "in", data["teams"])],
            limit=50,
            order="id desc",
        )
        if not tickets:
            return self.team_tickets()
        ticket_id = self.rng.choice(tickets)
        wizard_id = self.c.call(
            "aftersales.ticket.transfer.wizard",
            "create",
            {
                "ticket_ids": [(6, 0, [ticket_id])],
                "team_id": self.rng.choice(data["teams"]),
                "reason": "Load: nearer team",
            },
        )
        wizard_id = wizard_id[0] if isinstance(wizard_id, list) else wizard_id
        self.c.button(
            "aftersales.ticket.transfer.wizard", "action_confirm", [wizard_id]
        )

    def team_tickets(self):
        self.list_tickets([("team_id", "in", self.h.data["teams"])])

    def kanban_counts(self):
        self.c.call(
            "aftersales.ticket",
            "web_read_group",
            domain=[("team_id", "in", self.h.data["teams"])],
            fields=["stage_id"],
            groupby=["stage_id"],
        )


class StockUser(Role):
    ops = ((2, "confirm_reservation"), (2, "reservations"))

    def __init__(self, *args):
        super().__init__(*args)
        drafts = self.h.data["draft_reservations"]
        self.drafts = drafts[self.index :: len(self.h.data["stock"])]

    def confirm_reservation(self):
        if not self.drafts:
            return self.reservations()
        reservation_id = self.drafts.pop(0)
        self.c.button("aftersales.part.reservation", "action_confirm", [reservation_id])

    def reservations(self):
        self.c.call(
            "aftersales.part.reservation",
            "web_search_read",
            domain=[("state", "in", ["draft", "confirmed"])],
            specification={"name": {}, "state": {}, "ticket_id": {}},
            limit=80,
        )


class PortalCustomer(Role):
    ops = ((3, "my_tickets"), (2, "my_ticket"))

    def my_tickets(self):
        page = self.c.get("/my/tickets")
        if "/my/tickets/" not in page.text:
            raise RpcError("/my/tickets lists no ticket")

    def my_ticket(self):
        ticket_id = self.rng.choice(self.h.data["portal_tickets"][self.c.login])
        page = self.c.get(f"/my/tickets/{ticket_id}")
        if f"/my/tickets/{ticket_id}" not in page.url:
            raise RpcError(f"/my/tickets/{ticket_id} redirected to {page.url}")


class Visitor(Role):
    ops = ((4, "warranty_check"), (1, "warranty_form"))

    def warranty_check(self):
        serial = self.rng.choice(self.h.data["serials"])
        # a new address per check: behind the proxy each visitor is another
        # customer (the page limits checks per address)
        self.c.headers["X-Forwarded-For"] = (
            f"10.{self.index}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        )
        page = self.c.get(f"/aftersales/warranty?serial={serial}")
        if serial not in page.text:
            raise RpcError(f"warranty page does not show {serial}")

    def warranty_form(self):
        self.c.get("/aftersales/warranty")


ROLE_MIX = (
    ("agent", Agent, "agents", 12),
    ("technician", Technician, "technicians", 10),
    ("dispatcher", Dispatcher, "dispatchers", 4),
    ("stock", StockUser, "stock", 4),
    ("portal", PortalCustomer, "portal", 12),
    ("visitor", Visitor, None, 8),
)


CRONS = {
    "escalation": "aftersales_service.ir_cron_aftersales_sla_check",
    "expiry": "aftersales_service.ir_cron_aftersales_part_expiry",
    "callback": "aftersales_service.ir_cron_aftersales_callback",
}
WRITE_OPS = {
    "agent.create_ticket",
    "agent.reply",
    "technician.move_stage",
    "technician.log_work",
    "technician.consume_parts",
    "dispatcher.transfer",
    "stock.confirm_reservation",
}


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Harness:
    def __init__(self, args):
        self.args = args
        self.marker = f"LD{uuid.uuid4().hex[:6].upper()}"
        self.workdir = tempfile.mkdtemp(prefix="aftersales-load-")
        self.cluster = Cluster(self.workdir, args.pg_port, args.pg_port + 1)
        self.odoo = Odoo(args, self.workdir, self.cluster)
        self.stats = Stats()
        self.data = {}
        self.failures = []  # (check, detail)
        self.notes = []
        self.results = {}
        self.bases = [f"http://127.0.0.1:{port}" for port in args.http_ports]
        self.replica_down_at = None

    # -------------------------------------------------------------- setup

    def setup(self):
        ports = [self.args.pg_port, self.args.pg_port + 1, *self.args.http_ports]
        ports += [port + 100 for port in self.args.http_ports]
        busy = [port for port in ports if not free_port(port)]
        if busy:
            raise SystemExit(f"ports already in use: {busy}")
        log(f"work directory {self.workdir}; PostgreSQL binaries {self.cluster.bindir}")
        cache = self.cache_dir()
        t0 = time.monotonic()
        if self.args.from_db:
            self.cluster.init_primary()
            self.copy_database(self.args.from_db)
            log(
                f"installed database {self.args.from_db} copied in "
                f"{time.monotonic() - t0:.0f} s"
            )
        elif cache and os.path.exists(os.path.join(cache, "pgdata")):
            self.cluster.restore_primary(os.path.join(cache, "pgdata"))
            shutil.copytree(
                os.path.join(cache, "filestore"),
                os.path.join(self.odoo.data_dir, "filestore"),
            )
            log(
                f"installed database restored from {cache} in "
                f"{time.monotonic() - t0:.0f} s"
            )
        else:
            self.cluster.init_primary()
            self.cluster.query(
                f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8'",
                dbname="postgres",
            )
            self.cluster.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            log(f"primary on 127.0.0.1:{self.cluster.primary_port}")
            self.odoo.install()
            if cache:
                self.save_cache(cache)
        self.results["install_seconds"] = time.monotonic() - t0
        t0 = time.monotonic()
        self.data = seed(self.odoo.write_conf("seed"), self.args.tickets, self.marker)
        self.results["seed_seconds"] = time.monotonic() - t0
        # no SMTP server here: the e-mail queue job would only log failures
        self.cluster.query(
            "UPDATE ir_cron SET active = false WHERE id IN (SELECT res_id FROM "
            "ir_model_data WHERE module = 'mail' AND name = "
            "'ir_cron_mail_scheduler_action')"
        )
        self.cron_ids = {
            key: self.cluster.query(
                "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
                xmlid.split("."),
            )[0][0]
            for key, xmlid in CRONS.items()
        }
        self.cluster.init_replica()
        log(f"replica on 127.0.0.1:{self.cluster.replica_port} (streaming)")
        for index, port in enumerate(self.args.http_ports):
            self.odoo.start_server(
                f"http{index + 1}", port, port + 100, self.args.workers, 0
            )
        self.odoo.start_server("cron", None, None, 0, 1)
        for index in range(len(self.args.http_ports)):
            self.odoo.wait_ready(f"http{index + 1}")
        self.wait_cron_listening()
        log(
            f"{len(self.args.http_ports)} Odoo servers x {self.args.workers} workers "
            "and 1 cron process ready"
        )

    def copy_database(self, source):
        """Copy ``source``, a database of the machine's PostgreSQL (libpq's
        PGHOST, PGPORT, PGUSER as scripts/test uses them) where the addon is
        installed, and its file store into the primary: no install."""
        import psycopg2  # noqa: PLC0415

        log(f"copying the installed database {source} (no install) ...")
        conninfo = {
            "host": os.environ.get("PGHOST", "127.0.0.1"),
            "port": os.environ.get("PGPORT", "5432"),
            "user": os.environ.get("PGUSER") or None,
            "dbname": source,
        }
        with contextlib.closing(psycopg2.connect(**conninfo)) as cnx:
            with cnx.cursor() as cr:
                cr.execute(
                    "SELECT state FROM ir_module_module WHERE name = %s",
                    ["aftersales_service"],
                )
                row = cr.fetchone()
        if not row or row[0] != "installed":
            raise SystemExit(f"{source}: the addon is not installed there")
        self.cluster.query(
            f"CREATE DATABASE {DB_NAME} TEMPLATE template0 ENCODING 'UTF8'",
            dbname="postgres",
        )
        env = dict(os.environ, PGHOST=conninfo["host"], PGPORT=conninfo["port"])
        # directory format: dumped and restored by two jobs each (the
        # restore's index builds take most of the time)
        dump_dir = os.path.join(self.workdir, "dump")
        jobs = str(max(2, min(4, os.cpu_count() or 2)))
        for cmd in (
            ["pg_dump", "-Fd", "-Z0", "-j", jobs, "-f", dump_dir, source],
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "-j",
                jobs,
                "-h",
                "127.0.0.1",
                "-p",
                str(self.cluster.primary_port),
                "-U",
                DB_ROLE,
                "-d",
                DB_NAME,
                dump_dir,
            ],
        ):
            cmd[0] = os.path.join(self.cluster.bindir, cmd[0])
            result = subprocess.run(
                cmd, env=env, capture_output=True, text=True, check=False
            )
            if result.returncode:
                raise SystemExit(f"copying {source} failed:\n{result.stderr}")
        shutil.rmtree(dump_dir, ignore_errors=True)
        self.cluster.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        filestore = self.args.from_filestore or os.path.join(
            REPO_ROOT, ".local", "data", "filestore", source
        )
        target = os.path.join(self.odoo.data_dir, "filestore", DB_NAME)
        if os.path.isdir(filestore):
            shutil.copytree(filestore, target)
        else:
            os.makedirs(target)
            log(f"no file store at {filestore}: starting with an empty one")

    def cache_dir(self):
        """Folder of the database with the addon installed, for this addon
        source and this Odoo (None: no cache)."""
        if self.args.no_cache:
            return None
        import hashlib  # noqa: PLC0415

        import odoo  # noqa: PLC0415

        digest = hashlib.sha256()
        digest.update(f"{odoo.release.version}|{self.cluster.bindir}".encode())
        addon = os.path.join(REPO_ROOT, "aftersales_service")
        for root, dirs, files in os.walk(addon):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(root, name)
                digest.update(os.path.relpath(path, addon).encode())
                with open(path, "rb") as fh:
                    digest.update(fh.read())
        base = os.environ.get("AFTERSALES_LOAD_CACHE") or os.path.join(
            os.path.expanduser("~"), ".cache", "aftersales-load"
        )
        return os.path.join(base, digest.hexdigest()[:16])

    def save_cache(self, cache):
        """Keep a copy of the stopped primary's data directory and the file
        store: the next run with the same addon sources skips the install."""
        base = os.path.dirname(cache)
        os.makedirs(base, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix="tmp-", dir=base)
        self.cluster.stop(self.cluster.primary_dir)
        try:
            subprocess.run(
                ["cp", "-a", self.cluster.primary_dir, os.path.join(tmp, "pgdata")],
                check=True,
            )
            shutil.copytree(
                os.path.join(self.odoo.data_dir, "filestore"),
                os.path.join(tmp, "filestore"),
            )
            for entry in os.listdir(base):  # one cached database at a time
                if entry != os.path.basename(tmp):
                    shutil.rmtree(os.path.join(base, entry), ignore_errors=True)
            os.rename(tmp, cache)
        except (OSError, subprocess.CalledProcessError) as exc:
            log(f"could not cache the database: {exc}")
            shutil.rmtree(tmp, ignore_errors=True)
        self.cluster.start(self.cluster.primary_dir, "primary")
        log(f"database cached in {cache}")

    def teardown(self):
        log("stopping Odoo servers and PostgreSQL, removing the work directory")
        with contextlib.suppress(Exception):
            self.odoo.stop_all()
        with contextlib.suppress(Exception):
            self.cluster.stop_all()
        if self.args.keep:
            log(f"kept {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -------------------------------------------------------------- crons

    def wait_cron_listening(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.odoo.servers["cron"]["proc"].poll() is not None:
                raise SystemExit("the cron process exited; see odoo-cron.stderr")
            listening = self.cluster.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name "
                "LIKE 'odoo-cron-%%' AND datname = 'postgres'"
            )[0][0]
            if listening:
                return
            time.sleep(1)
        raise SystemExit(f"the cron process did not start in {timeout} s")

    def trigger_crons(self, keys):
        self.cluster.query(
            "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') - "
            "interval '1 second' WHERE id = ANY(%s)",
            [[self.cron_ids[key] for key in keys]],
        )
        self.cluster.query(
            "SELECT pg_notify('cron_trigger', %s)", [DB_NAME], dbname="postgres"
        )

    def make_due(self, count, copies_only=False):
        """Make the SLA lines of ``count`` open tickets due now with their
        deadline passed; returns the ticket ids."""
        where = "t.name LIKE 'LOADCOPY%%'" if copies_only else "true"
        rows = self.cluster.query(
            f"""
            WITH picked AS (
                SELECT t.id FROM aftersales_ticket t
                  JOIN aftersales_stage s ON s.id = t.stage_id
                 WHERE NOT s.is_closed AND {where}
                   AND EXISTS (SELECT 1 FROM aftersales_ticket_sla l
                                WHERE l.ticket_id = t.id AND l.reached_date IS NULL
                                  AND l.pause_start IS NULL
                                  AND l.status NOT IN ('cancelled', 'failed'))
                   AND NOT EXISTS (SELECT 1 FROM aftersales_ticket_sla l
                                    WHERE l.ticket_id = t.id
                                      AND l.next_check <= now() at time zone 'UTC')
                 ORDER BY random() LIMIT %s
            )
            UPDATE aftersales_ticket_sla l
               SET next_check = (now() at time zone 'UTC') - interval '1 minute',
                   deadline = (now() at time zone 'UTC') - interval '1 minute',
                   at_risk_date = (now() at time zone 'UTC') - interval '2 hours'
              FROM picked
             WHERE l.ticket_id = picked.id AND l.reached_date IS NULL
               AND l.pause_start IS NULL AND l.status NOT IN ('cancelled', 'failed')
            RETURNING l.ticket_id
            """,
            [count],
        )
        return sorted({row[0] for row in rows})

    def cron_driver(self, stop, interval):
        """While the users work: every ``interval`` seconds, SLA lines fall
        due, reservations expire, and the three jobs are triggered."""
        self.due_marked = []
        while not stop.wait(interval):
            try:
                self.due_marked += self.make_due(self.args.due_per_round)
                self.cluster.query(
                    """
                    UPDATE aftersales_part_reservation
                       SET date_expiry = (now() at time zone 'UTC')
                                         - interval '1 minute'
                     WHERE id IN (SELECT id FROM aftersales_part_reservation
                                   WHERE state = 'confirmed' AND id = ANY(%s) LIMIT 3)
                    """,
                    [self.data["expiring_reservations"]],
                )
                self.trigger_crons(list(CRONS))
            except Exception as exc:  # noqa: BLE001
                self.notes.append(f"cron driver: {exc}")

    def wait_crons_idle(self, timeout=300):
        """Wait until no due SLA line is left and no job is running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            due = self.cluster.query(
                "SELECT count(*) FROM aftersales_ticket_sla "
                "WHERE next_check <= now() at time zone 'UTC'"
            )[0][0]
            running = self.cluster.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND application_name LIKE 'odoo-cron-%%' AND state <> 'idle'",
                [DB_NAME],
            )[0][0]
            if not due and not running:
                return True
            if due:
                self.trigger_crons(["escalation"])
            time.sleep(2)
        return False

    # -------------------------------------------------------------- load

    def build_users(self, scale=1.0):
        specs = []
        for role_name, cls, key, count in ROLE_MIX:
            for index in range(max(1, round(count * scale))):
                base = self.bases[len(specs) % len(self.bases)]
                login = self.data[key][index % len(self.data[key])] if key else None
                specs.append((role_name, cls, key, index, base, login))

        def make(spec):
            role_name, cls, key, index, base, login = spec
            if key:
                client = Client(base, login, session=self.data["sessions"].get(login))
            else:
                client = Client(base, forwarded_for=f"10.{index}.0.1")
            return role_name, cls(self, client, index)

        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(make, specs))

    def run_users(self, roles, duration, stats, on_tick=None):
        deadline = time.monotonic() + duration

        def loop(role_name, role):
            while time.monotonic() < deadline:
                op = role.pick()
                start = time.monotonic()
                try:
                    getattr(role, op)()
                    error = None
                except Exception as exc:  # noqa: BLE001
                    error = exc
                stats.record(f"{role_name}.{op}", time.monotonic() - start, error)
                time.sleep(role.rng.uniform(*self.args.think))

        threads = [
            threading.Thread(target=loop, args=pair, daemon=True) for pair in roles
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            if on_tick:
                on_tick(time.monotonic() - (deadline - duration))
            time.sleep(1)
        for thread in threads:
            thread.join()

    def statement_counts(self):
        """Reads (SELECT statements sent by the clients of the database,
        locking nothing) on the primary and on the replica, from
        pg_stat_statements (top-level statements, this database only)."""
        sql = """
            SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
              JOIN pg_database d ON d.oid = s.dbid
             WHERE d.datname = %s AND s.query ~* '^\\s*(select|with)'
               AND s.query !~* 'pg_stat_statements'
               AND s.query !~* 'for (update|no key update|share|key share)'
        """
        primary = self.cluster.query(sql, [DB_NAME])[0][0]
        port = self.cluster.replica_port
        replica = self.cluster.query(sql, [DB_NAME], port=port)[0][0]
        return int(primary), int(replica)

    def reset_statements(self):
        for port in (self.cluster.primary_port, self.cluster.replica_port):
            self.cluster.query("SELECT pg_stat_statements_reset()", port=port)

    def run_load(self):
        duration = self.args.duration
        fault_at = duration * 0.8
        log(
            f"load: {sum(c for *__, c in ROLE_MIX)} users for {duration:.0f} s "
            f"on {len(self.bases)} servers; the replica stops at {fault_at:.0f} s"
        )
        roles = self.build_users()
        drift = self.reserved_drift()
        self.results["drift_before"] = f"{drift[0]} ({float(drift[1]):g} units)"
        self.reset_statements()
        stop = threading.Event()
        driver = threading.Thread(
            target=self.cron_driver, args=(stop, self.args.cron_interval), daemon=True
        )
        driver.start()
        self.trigger_crons(list(CRONS))
        state = {"stopped": False}
        start = time.monotonic()
        self.load_start = start

        def tick(elapsed):
            if elapsed >= fault_at and not state["stopped"]:
                state["stopped"] = True
                self.results["statements"] = self.statement_counts()
                self.results["statements_seconds"] = time.monotonic() - start
                self.replica_down_at = time.monotonic()
                log("fault: stopping the replica during the load")
                self.cluster.stop(self.cluster.replica_dir, "fast")

        self.run_users(roles, duration, self.stats, on_tick=tick)
        self.results["load_seconds"] = time.monotonic() - start
        stop.set()
        driver.join()
        if not state["stopped"]:
            self.results["statements"] = self.statement_counts()
            self.results["statements_seconds"] = self.results["load_seconds"]
        self.results["steady_seconds"] = min(fault_at, self.results["load_seconds"])
        self.load_end = start + self.results["load_seconds"]
        log("load done; starting the replica again")
        self.cluster.start(self.cluster.replica_dir, "replica")

    # -------------------------------------------------------------- faults

    def fault_worker_killed(self):
        """A batch create (a long request) on server 1; all its workers are
        killed while it runs. The request fails, the ticket batch is either
        wholly there or not at all, the next request succeeds."""
        result = {"name": "worker killed mid-request"}
        base = self.bases[0]
        client = Client(base, self.data["agents"][0])
        marker = f"{self.marker}-kill-{uuid.uuid4().hex[:8]}"
        size = self.args.kill_batch
        vals = [
            {
                "partner_id": self.data["customers"][i % len(self.data["customers"])],
                "team_id": self.data["teams"][0],
                "channel_id": self.data["channel"],
                "symptom": f"{marker}\\nbatch {i}",
            }
            for i in range(size)
        ]
        outcome = {}

        def send():
            start = time.monotonic()
            try:
                client.call("aftersales.ticket", "create", vals)
                outcome["result"] = "succeeded"
            except Exception as exc:  # noqa: BLE001
                outcome["result"] = f"failed: {type(exc).__name__}: {str(exc)[:120]}"
            outcome["seconds"] = time.monotonic() - start

        thread = threading.Thread(target=send)
        thread.start()
        time.sleep(self.args.kill_after)
        pids = self.odoo.worker_pids("http1")
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        thread.join()
        result["killed_workers"] = len(pids)
        result["request"] = outcome.get("result")
        rows = self.cluster.query(
            """
            SELECT count(*), count(*) FILTER (WHERE name LIKE 'AS%%'),
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM aftersales_ticket_sla l WHERE l.ticket_id = t.id))
              FROM aftersales_ticket t WHERE symptom LIKE %s
            """,
            [marker + "%"],
        )[0]
        result["tickets_written"] = rows[0]
        ok_rows = rows[0] == 0 or (rows[0] == size and rows[1] == size and rows[2] == 0)
        # the next request succeeds (the master forks new workers)
        time.sleep(1)
        next_ok = None
        for __ in range(30):
            try:
                fresh = Client(base, self.data["agents"][0])
                fresh.call(
                    "aftersales.ticket",
                    "create",
                    {
                        "partner_id": self.data["customers"][0],
                        "team_id": self.data["teams"][0],
                        "symptom": f"{marker}-after\\nafter the kill",
                    },
                )
                next_ok = True
                break
            except Exception as exc:  # noqa: BLE001
                next_ok = str(exc)[:120]
                time.sleep(1)
        result["next_request"] = (
            "succeeded" if next_ok is True else f"failed: {next_ok}"
        )
        failed_cleanly = outcome.get("result", "").startswith("failed")
        if not failed_cleanly:
            self.notes.append(
                "worker kill: the request finished before the kill "
                f"({outcome.get('seconds', 0):.1f} s); raise --kill-batch"
            )
        result["ok"] = ok_rows and next_ok is True and bool(pids)
        result["detail"] = (
            f"{len(pids)} workers killed {self.args.kill_after:.1f} s into a "
            f"{size}-ticket create: request {outcome.get('result')}; "
            f"{rows[0]} of {size} tickets written "
            f"({'all or nothing' if ok_rows else 'HALF-WRITTEN'}); "
            f"next request {result['next_request']}"
        )
        return result

    def job_messages(self, ticket_ids):
        """{ticket id: [body hashes]} of the messages the jobs (superuser)
        posted on the tickets."""
        rows = self.cluster.query(
            """
            SELECT res_id, md5(coalesce(body, '')) FROM mail_message
             WHERE model = 'aftersales.ticket' AND res_id = ANY(%s)
               AND create_uid = 1
            """,
            [ticket_ids],
        )
        result = defaultdict(list)
        for res_id, digest in rows:
            result[res_id].append(digest)
        return result

    def fault_cron_terminated(self):
        """The escalation job's connection is terminated after its first
        committed chunk; the job runs again: every due ticket handled, none
        notified twice."""
        result = {"name": "escalation job's connection terminated mid-run"}
        self.wait_crons_idle(120)
        tickets = self.make_due(self.args.cron_fault_due, copies_only=True)
        before = self.job_messages(tickets)
        cron_id = self.cron_ids["escalation"]
        self.cluster.query("DELETE FROM ir_cron_progress WHERE cron_id = %s", [cron_id])
        self.trigger_crons(["escalation"])
        terminated = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not terminated:
            done = self.cluster.query(
                "SELECT coalesce(max(done), 0) FROM ir_cron_progress "
                "WHERE cron_id = %s",
                [cron_id],
            )[0][0]
            if done > 0:
                terminated = self.cluster.query(
                    """
                    SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = %s AND application_name LIKE 'odoo-cron-%%'
                       AND state <> 'idle'
                    """,
                    [DB_NAME],
                )
            else:
                time.sleep(0.05)
        remaining_after_kill = self.cluster.query(
            "SELECT count(DISTINCT ticket_id) FROM aftersales_ticket_sla "
            "WHERE ticket_id = ANY(%s) AND next_check <= now() at time zone 'UTC'",
            [tickets],
        )[0][0]
        idle = self.wait_crons_idle(300)
        after = self.job_messages(tickets)
        skipped = self.cluster.query(
            "SELECT count(DISTINCT ticket_id) FROM aftersales_ticket_sla "
            "WHERE ticket_id = ANY(%s) AND next_check <= now() at time zone 'UTC'",
            [tickets],
        )[0][0]
        twice = 0
        untouched = 0
        for ticket_id in tickets:
            new = list(after.get(ticket_id, []))
            for digest in before.get(ticket_id, []):
                new.remove(digest)
            if not new:
                untouched += 1
            if len(new) != len(set(new)):
                twice += 1
        result["ok"] = (
            bool(terminated) and idle and not skipped and not twice and not untouched
        )
        result["detail"] = (
            f"{len(tickets)} tickets due; connection terminated after the first "
            f"committed chunk ({len(terminated)} backend(s)), "
            f"{remaining_after_kill} tickets still due then; after the rerun: "
            f"{skipped} still due, {untouched} without a note, "
            f"{twice} with the same note twice"
        )
        if not terminated:
            result["detail"] += " (the job finished before it could be interrupted)"
        return result

    def fault_concurrent_saves(self):
        """Two users on two servers save the same ticket at the same moment,
        many times: both saves succeed (Odoo retries the serialization
        failure) and the ticket ends with one of the two values."""
        result = {"name": "two users saving the same ticket at once"}
        logins = self.data["dispatchers"][:2]
        clients = [
            Client(self.bases[i % len(self.bases)], login)
            for i, login in enumerate(logins)
        ]
        ticket_id = self.data["tech_tickets"][self.data["technicians"][0]][0]
        rounds = self.args.save_rounds
        errors = []
        mismatches = 0
        for round_no in range(rounds):
            barrier = threading.Barrier(2)
            values = [f"Saved by user {i} in round {round_no}" for i in range(2)]

            def save(index, barrier=barrier, values=values):
                barrier.wait()
                try:
                    clients[index].call(
                        "aftersales.ticket",
                        "write",
                        [ticket_id],
                        {"subject": values[index], "environment": values[index]},
                    )
                except Exception as exc:  # noqa: BLE001
                    errors.append(str(exc)[:200])

            threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            row = self.cluster.query(
                "SELECT subject, environment FROM aftersales_ticket WHERE id = %s",
                [ticket_id],
            )[0]
            if row[0] not in values or row[0] != row[1]:
                mismatches += 1
        result["ok"] = not errors and not mismatches
        result["detail"] = (
            f"{rounds} rounds of two simultaneous saves: {len(errors)} failed, "
            f"{mismatches} rounds ended with a mixed record"
            + (f"; first error: {errors[0]}" if errors else "")
        )
        return result

    def fault_replica(self):
        result = {"name": "replica stopped during the load"}
        if self.replica_down_at is None:
            result["ok"] = False
            result["detail"] = "the load ended before the replica was stopped"
            return result
        window = self.stats.window(self.replica_down_at, self.load_end)
        writes_ok = sum(len(lat) for op, (lat, __) in window.items() if op in WRITE_OPS)
        write_errors = [
            e for op, (__, errs) in window.items() if op in WRITE_OPS for e in errs
        ]
        reads_ok = sum(
            len(lat) for op, (lat, __) in window.items() if op not in WRITE_OPS
        )
        read_errors = [
            e for op, (__, errs) in window.items() if op not in WRITE_OPS for e in errs
        ]
        unclear = [e for e in read_errors if not e.strip()]
        fallback = self.odoo.log_lines("falling back to read-write cursor")
        result["ok"] = not write_errors and not unclear and writes_ok > 0
        result["detail"] = (
            f"{self.load_end - self.replica_down_at:.0f} s without the replica: "
            f"writes {writes_ok} ok / {len(write_errors)} failed; "
            f"reads {reads_ok} ok / {len(read_errors)} failed; "
            f"{len(fallback)} worker fallbacks to the primary logged"
            + (f"; first read error: {read_errors[0][:150]}" if read_errors else "")
            + (f"; first write error: {write_errors[0][:150]}" if write_errors else "")
        )
        return result

    # -------------------------------------------------------------- integrity

    def check(self, name, violations, detail=""):
        self.results.setdefault("integrity", []).append((name, violations, detail))
        if violations:
            self.failures.append((name, f"{violations} violation(s) {detail}".strip()))

    def check_acks(self, kind, sql):
        acked = self.stats.acks.get(kind, [])
        rows = self.cluster.query(sql, [f"%{self.marker}-{kind_tag(kind)}-%"])
        found = defaultdict(list)
        pattern = re.compile(rf"{self.marker}-{kind_tag(kind)}-[0-9a-f]{{12}}")
        for record_id, text in rows:
            match = pattern.search(text or "")
            if match:
                found[match.group(0)].append(record_id)
        bad = [m for m, rid in acked if found.get(m) != [rid]]
        extra = len(set(found) - {m for m, __ in acked})
        self.check(
            f"acknowledged {kind}s exist exactly once",
            len(bad),
            f"({len(acked)} acknowledged; {extra} written whose answer the client "
            "never got)",
        )

    def reserved_drift(self):
        """(groups, units): product/location pairs whose quants' reserved
        quantity differs from what open stock moves reserve."""
        return self.cluster.query(
            """
            WITH quants AS (
                SELECT q.product_id, q.location_id, sum(q.reserved_quantity) AS qty
                  FROM stock_quant q
                  JOIN stock_location l ON l.id = q.location_id
                 WHERE l.usage = 'internal'
                 GROUP BY 1, 2),
            lines AS (
                SELECT ml.product_id, ml.location_id, sum(ml.quantity) AS qty
                  FROM stock_move_line ml
                  JOIN stock_move m ON m.id = ml.move_id
                  JOIN stock_location l ON l.id = ml.location_id
                 WHERE l.usage = 'internal'
                   AND m.state NOT IN ('draft', 'done', 'cancel')
                 GROUP BY 1, 2)
            SELECT count(*), coalesce(sum(abs(coalesce(q.qty, 0)
                                              - coalesce(li.qty, 0))), 0)
              FROM quants q FULL JOIN lines li USING (product_id, location_id)
             WHERE abs(coalesce(q.qty, 0) - coalesce(li.qty, 0)) > 0.00001
            """
        )[0]

    def integrity(self):
        log("integrity checks on the primary")
        self.check_acks(
            "ticket",
            "SELECT id, symptom FROM aftersales_ticket WHERE symptom LIKE %s",
        )
        self.check_acks(
            "message",
            "SELECT id, body FROM mail_message WHERE model = 'aftersales.ticket' "
            "AND body LIKE %s",
        )
        self.check_acks(
            "note",
            "SELECT id, body FROM mail_message WHERE model = 'aftersales.ticket' "
            "AND body LIKE %s",
        )
        dupes = self.cluster.query(
            "SELECT count(*) FROM (SELECT company_id, name FROM aftersales_ticket "
            "GROUP BY 1, 2 HAVING count(*) > 1) d"
        )[0][0]
        self.check("ticket references unique per company", dupes)
        sequence = self.data["ticket_sequence"]
        numbers = [
            int(row[0])
            for row in self.cluster.query(
                "SELECT substring(name from '([0-9]+)$') FROM aftersales_ticket "
                "WHERE name LIKE 'AS%%' AND name ~ '[0-9]+$'"
            )
        ]
        gaps = (max(numbers) - min(numbers) + 1 - len(set(numbers))) if numbers else 0
        if sequence["implementation"] == "no_gap":
            self.check("ticket references gap-free (no_gap sequence)", gaps)
        else:
            self.check(
                "ticket references gap-free",
                0,
                f"(not promised: the sequence is '{sequence['implementation']}', "
                f"numbers of rolled-back creates are not reused; {gaps} gaps seen)",
            )
        # Odoo splits quants under concurrency (a locked quant is skipped and
        # a new, possibly negative, one created; its merge job joins them):
        # the promise holds per product, location, lot, package and owner.
        over, split = self.cluster.query(
            """
            SELECT count(*) FILTER (WHERE reserved > quantity + 0.00001
                                       OR reserved < -0.00001),
                   coalesce(sum(quants) FILTER (WHERE quants > 1), 0)
              FROM (SELECT sum(q.quantity) AS quantity,
                           sum(q.reserved_quantity) AS reserved,
                           count(*) AS quants
                      FROM stock_quant q
                      JOIN stock_location l ON l.id = q.location_id
                     WHERE l.usage = 'internal'
                     GROUP BY q.product_id, q.location_id, q.lot_id,
                              q.package_id, q.owner_id) g
            """
        )[0]
        self.check(
            "no stock reserved beyond the quantity on hand",
            over,
            f"(per product, location, lot, package and owner; {split} quants in "
            "groups Odoo split under concurrency)",
        )
        drift = self.reserved_drift()
        self.check(
            "reserved stock equals what open moves reserve",
            drift[0],
            f"(per product and location; {float(drift[1]):g} units apart in all; "
            f"before the load: {self.results.get('drift_before', '?')})",
        )
        mismatched = self.cluster.query(
            """
            SELECT count(DISTINCT r.id)
              FROM aftersales_part_reservation r
              JOIN aftersales_part_reservation_line rl ON rl.reservation_id = r.id
              LEFT JOIN stock_move m ON m.id = rl.move_id
             WHERE (r.state = 'draft' AND m.id IS NOT NULL AND m.state <> 'cancel')
                OR (r.state = 'confirmed' AND (m.id IS NULL
                    OR m.state IN ('draft', 'cancel', 'done')))
                OR (r.state IN ('done', 'expired', 'cancel') AND m.id IS NOT NULL
                    AND m.state NOT IN ('done', 'cancel'))
                OR (r.state = 'done' AND m.id IS NOT NULL AND m.state <> 'done'
                    AND rl.qty_consumed > 0 AND NOT EXISTS (
                        SELECT 1 FROM stock_move m2 WHERE m2.id = rl.move_id
                           AND m2.state IN ('done', 'cancel')))
            """
        )[0][0]
        counts = dict(
            self.cluster.query(
                "SELECT state, count(*) FROM aftersales_part_reservation GROUP BY 1"
            )
        )
        self.check(
            "every reservation's stock moves agree with its state",
            mismatched,
            "(" + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")",
        )
        planned = self.cluster.query(
            "SELECT 1 FROM information_schema.columns WHERE table_name = "
            "'aftersales_ticket' AND column_name = 'is_planned_work'"
        )
        no_lines = self.cluster.query(
            f"""
            SELECT count(*) FROM aftersales_ticket t
              JOIN aftersales_stage s ON s.id = t.stage_id
             WHERE NOT s.is_closed AND t.active
               {"AND NOT coalesce(t.is_planned_work, false)" if planned else ""}
               AND NOT EXISTS (SELECT 1 FROM aftersales_ticket_sla l
                                WHERE l.ticket_id = t.id)
            """
        )[0][0]
        self.check("every open ticket has its SLA lines", no_lines)
        activities = self.cluster.query(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM mail_activity WHERE res_model LIKE 'aftersales.%%'
                 GROUP BY res_model, res_id, activity_type_id, user_id,
                          coalesce(summary, ''), date_deadline
                HAVING count(*) > 1) d
            """
        )[0][0]
        self.check("no duplicated activity", activities)
        notices = self.cluster.query(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM aftersales_sla_notice
                 GROUP BY user_id, ticket_id, sla_id, kind, level_id
                HAVING count(*) > 1) d
            """
        )[0][0]
        self.check("no duplicated escalation notice", notices)
        notes = self.cluster.query(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM mail_message
                 WHERE model = 'aftersales.ticket' AND create_uid = 1
                   AND message_type <> 'user_notification'
                 GROUP BY res_id, md5(coalesce(body, '')), subtype_id
                HAVING count(*) > 1) d
            """
        )[0][0]
        self.check("no job note posted twice on a ticket", notes)
        marked = getattr(self, "due_marked", [])
        still_due = 0
        if marked:
            still_due = self.cluster.query(
                "SELECT count(DISTINCT ticket_id) FROM aftersales_ticket_sla "
                "WHERE ticket_id = ANY(%s) AND next_check <= now() at time zone 'UTC'",
                [marked],
            )[0][0]
        self.check(
            "no due ticket skipped by the escalation job",
            still_due,
            f"({len(set(marked))} tickets fell due during the load)",
        )

    # -------------------------------------------------------------- report

    def report(self, faults):
        args = self.args
        steady_end = self.replica_down_at or self.load_end
        steady = self.stats.window(self.load_start, steady_end)
        seconds = steady_end - self.load_start
        lines = []
        out = lines.append
        out("")
        out(
            f"## Load and soak: {args.tickets:,} tickets, {args.users} users, "
            f"{args.duration:.0f} s ({'quick' if args.quick else 'full'} mode)"
        )
        out("")
        out(
            f"Steady load: {seconds:.0f} s with the replica; then "
            f"{self.load_end - steady_end:.0f} s with the replica stopped."
        )
        out("")
        out("| operation | ok | per s | p50 ms | p95 ms | p99 ms | errors |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        total_ok = total_err = 0
        for op in sorted(steady):
            latencies, errors = steady[op]
            total_ok += len(latencies)
            total_err += len(errors)
            out(
                f"| {op} | {len(latencies)} | {len(latencies) / seconds:.2f} | "
                f"{percentile(latencies, 0.5) * 1000:.0f} | "
                f"{percentile(latencies, 0.95) * 1000:.0f} | "
                f"{percentile(latencies, 0.99) * 1000:.0f} | {len(errors)} |"
            )
        out(f"| **all** | {total_ok} | {total_ok / seconds:.2f} | | | | {total_err} |")
        for op in sorted(steady):
            for error in steady[op][1][:2]:
                out(f"  - error in {op}: {error[:200]}")
        if total_err:
            self.failures.append(("steady load", f"{total_err} failed operations"))
        retries = self.odoo.log_lines(r"tries left, try again|maximum number of tries")
        kinds = defaultdict(int)
        for line in retries:
            match = re.search(r"INFO \S+ \S+: (\w+), ", line)
            kinds[match.group(1) if match else "?"] += 1
        primary, replica = self.results.get("statements", (0, 0))
        share = replica / (primary + replica) if primary + replica else 0
        jobs = self.odoo.log_lines(r"Job '.*' \(\d+\) (done in|completed)")
        warnings = self.odoo.log_lines(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
        out("")
        out(
            f"- serialization conflicts retried by Odoo: {len(retries)} "
            + (
                "(" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")"
                if kinds
                else ""
            )
        )
        out(
            f"- reads served by the replica: {share:.1%} of the SELECT statements "
            f"({replica:,} on the replica, {primary:,} on the primary, "
            "pg_stat_statements, "
            f"first {self.results.get('statements_seconds', 0):.0f} s)"
        )
        out(f"- scheduled jobs finished during the run: {len(jobs)}")
        out(f"- warnings/errors in the Odoo logs (faults included): {len(warnings)}")
        out("")
        out("Faults:")
        out("")
        for fault in faults:
            out(
                f"- {fault['name']}: {'OK' if fault['ok'] else 'FAILED'}; "
                f"{fault['detail']}"
            )
            if not fault["ok"]:
                self.failures.append((fault["name"], fault["detail"]))
        out("")
        out("Integrity:")
        out("")
        for name, violations, detail in self.results.get("integrity", []):
            out(f"- {name}: {violations} {detail}".rstrip())
        for note in self.notes:
            out(f"- note: {note}")
        out("")
        text = "\n".join(lines)
        print(text, flush=True)
        if args.report:
            with open(args.report, "a") as fh:
                fh.write(text + "\n")
        return text


def kind_tag(kind):
    return {"ticket": "ticket", "message": "reply", "note": "work"}[kind]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="60-second mode, 5,000 tickets"
    )
    parser.add_argument(
        "--tickets", type=int, help="tickets in the database (100,000; quick 5,000)"
    )
    parser.add_argument(
        "--duration", type=float, help="seconds of load (600; quick 60)"
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="HTTP workers per Odoo server"
    )
    parser.add_argument(
        "--pg-port", type=int, default=55432, help="primary port (replica: +1)"
    )
    parser.add_argument(
        "--http-ports",
        default="8177,8178",
        help="HTTP ports of the Odoo servers (gevent: +100)",
    )
    parser.add_argument(
        "--think", default="0.3,1.2", help="think time range between actions, s"
    )
    parser.add_argument(
        "--cron-interval",
        type=float,
        help="seconds between job triggers (60; quick 15)",
    )
    parser.add_argument(
        "--due-per-round", type=int, default=100, help="tickets falling due per trigger"
    )
    parser.add_argument(
        "--cron-fault-due", type=int, default=1000, help="due tickets in the job fault"
    )
    parser.add_argument(
        "--kill-batch", type=int, default=400, help="tickets of the killed request"
    )
    parser.add_argument(
        "--kill-after", type=float, default=1.5, help="seconds before the kill"
    )
    parser.add_argument(
        "--save-rounds", type=int, help="rounds of simultaneous saves (20; quick 5)"
    )
    parser.add_argument("--report", help="append the report (markdown) to this file")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="install the addon even when a cached installed database of the "
        "same addon sources exists ($AFTERSALES_LOAD_CACHE, default "
        "~/.cache/aftersales-load)",
    )
    parser.add_argument(
        "--from-db",
        help="copy this database of the machine's PostgreSQL (PGHOST, PGPORT, "
        "PGUSER), where the addon is installed from these sources (e.g. the "
        "one scripts/test just installed), instead of installing; read only",
    )
    parser.add_argument(
        "--from-filestore",
        help="file store of --from-db (default .local/data/filestore/<db>)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (logs)"
    )
    args = parser.parse_args(argv)
    args.tickets = args.tickets or (5_000 if args.quick else 100_000)
    args.duration = args.duration or (60.0 if args.quick else 600.0)
    args.cron_interval = args.cron_interval or (15.0 if args.quick else 60.0)
    args.save_rounds = args.save_rounds or (5 if args.quick else 20)
    args.http_ports = [int(p) for p in args.http_ports.split(",")]
    args.think = tuple(float(x) for x in args.think.split(","))
    args.users = sum(count for *__, count in ROLE_MIX)
    return args


def main(argv=None):
    ensure_odoo_python()
    args = parse_args(argv)
    started = time.monotonic()
    harness = Harness(args)

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    faults = []
    try:
        harness.setup()
        harness.run_load()
        faults.append(harness.fault_replica())
        log("fault: two users saving the same ticket at once")
        faults.append(harness.fault_concurrent_saves())
        log("fault: worker killed mid-request")
        faults.append(harness.fault_worker_killed())
        log("fault: escalation job's connection terminated mid-run")
        faults.append(harness.fault_cron_terminated())
        log("letting the jobs finish")
        if not harness.wait_crons_idle(300):
            harness.notes.append("jobs still busy after 300 s")
        harness.integrity()
        harness.report(faults)
    except KeyboardInterrupt:
        harness.failures.append(("run", "interrupted"))
    finally:
        harness.teardown()
    total = time.monotonic() - started
    log(f"total {total:.0f} s")
    if harness.failures:
        for name, detail in harness.failures:
            log(f"FAILED: {name}: {detail}")
        return 1
    log("OK: no error, no integrity violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
