"""Side by side with the peer: the write paths of the addon and of OCA
``helpdesk_mgmt`` + ``helpdesk_mgmt_sla`` 18.0 (tickets) and core ``repair``
(parts), on one database, in one run, as the same back-office user (the
administrator) with chatter on.

1. one ``create()`` of N tickets (default 10,000), each with its own intake
   date spread over the last 30 days: our ``received_date``; the peer has
   none, its SLA clock starts at the ticket's ``create_date``, so each peer
   ticket gets that date as its create date (see ``peer_create_dates``); our
   service levels and the peer's SLAs (a response and a resolution target on
   the team's working calendar) apply to every ticket;
2. M single creates in a loop (default 1,000), flushed after each: the
   screen's path;
3. stage change of S tickets of the batch (default 500) in one ``write()``
   each, through the same four transitions on both sides (into a waiting
   stage, back to work, solved, solved -> cancelled);
4. reserving one part for each of P tickets (default 1,000; reserve = confirm
   of the reservation) vs confirming P core repair orders with one part line
   each.

Per ticket: wall-clock ms, CPU ms of this (the Odoo) process, SQL queries, and
the ratio ours / peer. Wall-clock time depends on the machine's other load:
compare the CPU time and the queries first. Everything runs in one
transaction, rolled back at the end.

The database needs the addon, the peer and core repair installed; see
benchmarks/README.md, "Side by side with the peer". Run it from the
repository root with the Python that runs Odoo 18:

    $ODOO_PYTHON benchmarks/bench_peer.py -d aftersales_peer \\
        --peer-addons /work/peer/odoo/addons
"""

import contextlib
import logging
import os
import platform
import sys
import time
from datetime import datetime

import bench_common
import bench_parts
import bench_sla
import psycopg2

import odoo
from odoo import SUPERUSER_ID, Command, api

PEER_MODULES = ("helpdesk_mgmt", "helpdesk_mgmt_sla", "repair")
PEER_ADDONS_ENV = "AFTERSALES_PEER_ADDONS"
# (label, our stage, the peer's stage)
STAGE_STEPS = [
    (
        "into a waiting stage",
        "aftersales_service.stage_waiting",
        "helpdesk_mgmt.helpdesk_ticket_stage_awaiting",
    ),
    (
        "back to work",
        "aftersales_service.stage_in_repair",
        "helpdesk_mgmt.helpdesk_ticket_stage_in_progress",
    ),
    (
        "solved",
        "aftersales_service.stage_solved",
        "helpdesk_mgmt.helpdesk_ticket_stage_done",
    ),
    (
        "solved -> cancelled",
        "aftersales_service.stage_cancelled",
        "helpdesk_mgmt.helpdesk_ticket_stage_cancelled",
    ),
]
QUICK = {"tickets": 1000, "single": 100, "stage": 100, "parts": 200}


def parse_args():
    parser = bench_common.parser(__doc__)
    parser.add_argument(
        "--peer-addons",
        default=os.environ.get(PEER_ADDONS_ENV),
        help="folder holding the peer's addons (helpdesk_mgmt, "
        "helpdesk_mgmt_sla), added to the config's addons path for this run "
        f"(default: ${PEER_ADDONS_ENV})",
    )
    parser.add_argument(
        "--tickets", type=int, default=10_000, help="tickets in one create()"
    )
    parser.add_argument(
        "--single", type=int, default=1000, help="single creates in a loop"
    )
    parser.add_argument(
        "--single-received-now",
        action="store_true",
        help="single creates received now, as a ticket typed in on the screen "
        "(default: received dates spread over the last 30 days, most tickets "
        "then red at creation, with their note, alert and activity)",
    )
    parser.add_argument(
        "--stage", type=int, default=500, help="tickets moved in one write()"
    )
    parser.add_argument(
        "--parts",
        type=int,
        default=1000,
        help="part reservations confirmed / repair orders confirmed",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes for a quick check: "
        + ", ".join(f"--{key} {value}" for key, value in QUICK.items()),
    )
    parser.add_argument(
        "--only",
        choices=("create", "single", "stage", "parts"),
        action="append",
        help="run only these paths (repeatable); default: all",
    )
    args = parser.parse_args()
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.stage > args.tickets:
        parser.error("--stage moves tickets of the batch: at most --tickets")
    return args


# ----------------------------------------------------------------------------
# Preconditions
# ----------------------------------------------------------------------------


def check_peer(args):
    """Stop with a clear message, before Odoo loads the database, when the
    addon, the peer or core repair is not there to compare."""
    how = (
        "Make the benchmark database as benchmarks/README.md, 'Side by side "
        "with the peer', says (createdb from the test database, then odoo -i "
        "helpdesk_mgmt,helpdesk_mgmt_sla,repair with the peer's addons on the "
        "addons path)."
    )
    try:
        connection = odoo.sql_db.db_connect(args.database)
        with connection.cursor() as cr:
            cr.execute(
                "SELECT name, state FROM ir_module_module WHERE name IN %s",
                [(*PEER_MODULES, "aftersales_service")],
            )
            states = dict(cr.fetchall())
    except psycopg2.Error as error:
        raise SystemExit(
            f"Cannot read the modules of database {args.database}: {error}"
        ) from None
    if states.get("aftersales_service") != "installed":
        raise SystemExit(
            f"aftersales_service is not installed in database {args.database}. {how}"
        )
    missing = [name for name in PEER_MODULES if states.get(name) != "installed"]
    if missing:
        raise SystemExit(
            f"Not installed in database {args.database}: {', '.join(missing)}. {how}"
        )
    unseen = [
        name
        for name in PEER_MODULES
        if not odoo.modules.module.get_module_path(name, display_warning=False)
    ]
    if unseen:
        raise SystemExit(
            f"{', '.join(unseen)}: installed in {args.database} but not on the "
            "addons path. Pass --peer-addons FOLDER (or set "
            f"${PEER_ADDONS_ENV}) with the folder holding helpdesk_mgmt and "
            "helpdesk_mgmt_sla (e.g. /work/peer/odoo/addons after pip install "
            "--no-deps --target /work/peer ...)."
        )


# ----------------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------------


def setup_peer(env, calendar):
    """A helpdesk team on the same working calendar as ours, with SLAs: a
    response target (In Progress within 4 working hours) and a resolution
    target (Done within 2 working days, not counting while Awaiting)."""
    ref = env.ref
    team = env["helpdesk.ticket.team"].create(
        {
            "name": "Bench Peer Team",
            "use_sla": True,
            "resource_calendar_id": calendar.id,
            "user_ids": [Command.link(env.user.id)],
        }
    )
    env["helpdesk.sla"].create(
        [
            {
                "name": "Bench response",
                "team_ids": [Command.link(team.id)],
                "stage_id": ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress").id,
                "hours": 4,
            },
            {
                "name": "Bench resolution",
                "team_ids": [Command.link(team.id)],
                "stage_id": ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
                "days": 2,
                "ignore_stage_ids": [
                    Command.link(ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting").id)
                ],
            },
        ]
    )
    return team, ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")


def peer_vals(our_vals, team, channel):
    """The peer's ticket for each of ours: same customer, priority, symptom."""
    return [
        {
            "name": vals["symptom"],
            "description": f"<p>{vals['symptom']}</p>",
            "partner_id": vals["partner_id"],
            "team_id": team.id,
            "channel_id": channel.id,
            "priority": vals["priority"],
        }
        for vals in our_vals
    ]


@contextlib.contextmanager
def peer_create_dates(env, dates):
    """Give the peer's tickets created in this block the next of ``dates`` as
    their create date, as if each had been created when it came in.

    The peer has no intake date: its SLA clock starts at ``create_date``,
    which ``create()`` sets to the transaction's time and refuses from the
    values. One ``create()`` of a whole day's intake then shares one start,
    which real intake never does. This sets the date where Odoo sets it
    (``_prepare_create_values``), one dict assignment per ticket."""
    cls = type(env["helpdesk.ticket"])
    original = cls._prepare_create_values
    pending = iter(dates)

    def _prepare_create_values(self, vals_list):
        result = original(self, vals_list)
        for vals in result:
            vals["create_date"] = next(pending)
        return result

    cls._prepare_create_values = _prepare_create_values
    try:
        yield
    finally:
        del cls._prepare_create_values
        assert cls._prepare_create_values == original


def received_dates(vals_list):
    return [vals["received_date"] for vals in vals_list]


# ----------------------------------------------------------------------------
# The paths
# ----------------------------------------------------------------------------


def bench_batch(env, ctx, count):
    Partner = env["res.partner"]
    partners = Partner.create([{"name": f"Bench Customer {i}"} for i in range(count)])
    ours_vals = bench_sla.ticket_vals(
        partners, ctx["team"], ctx["channel"], count, False
    )
    peer_list = peer_vals(ours_vals, ctx["peer_team"], ctx["peer_channel"])
    Ticket, Peer = env["aftersales.ticket"], env["helpdesk.ticket"]
    # warm-up: the first create of each model loads what every later one reuses
    Ticket.create(ours_vals[:1])
    with peer_create_dates(env, received_dates(ours_vals[:1])):
        Peer.create(peer_list[:1])
    out = {}
    out["ours"] = bench_common.measure(
        env, lambda: out.setdefault("ours_records", Ticket.create(ours_vals)), count
    )
    with peer_create_dates(env, received_dates(ours_vals)):
        out["peer"] = bench_common.measure(
            env, lambda: out.setdefault("peer_records", Peer.create(peer_list)), count
        )
    ours, peer = out["ours_records"], out["peer_records"]
    assert len(ours.sla_ids) >= count, "our service levels did not apply"
    assert len(peer.ticket_sla_ids) == 2 * count, "the peer's SLAs did not apply"
    peer_starts = set(peer.mapped("create_date"))
    assert len(peer_starts) > count // 2, "peer tickets share their create dates"
    print(
        f"  ours: {len(ours.sla_ids)} SLA lines, "
        f"{len(set(ours.mapped('received_date')))} received dates; peer: "
        f"{len(peer.ticket_sla_ids)} SLA lines, {len(peer_starts)} create dates"
    )
    return out["ours"], out["peer"], ours, peer


def bench_single(env, ctx, count, received_now=False):
    partners = env["res.partner"].create(
        [{"name": f"Bench Single {i}"} for i in range(count + 1)]
    )
    ours_vals = bench_sla.ticket_vals(
        partners, ctx["team"], ctx["channel"], count + 1, received_now
    )
    peer_list = peer_vals(ours_vals, ctx["peer_team"], ctx["peer_channel"])
    Ticket, Peer = env["aftersales.ticket"], env["helpdesk.ticket"]

    def loop(model, vals_list):
        for vals in vals_list:
            model.create(vals)
            env.cr.flush()  # what the request commits, tracking included

    loop(Ticket, ours_vals[:1])  # warm-up
    ours = bench_common.measure(env, lambda: loop(Ticket, ours_vals[1:]), count)
    if received_now:  # both sides stamped by the transaction's now
        loop(Peer, peer_list[:1])
        peer = bench_common.measure(env, lambda: loop(Peer, peer_list[1:]), count)
        return ours, peer
    with peer_create_dates(env, received_dates(ours_vals)):
        loop(Peer, peer_list[:1])
        peer = bench_common.measure(env, lambda: loop(Peer, peer_list[1:]), count)
    return ours, peer


def bench_stage(env, ours_tickets, peer_tickets, count):
    """The same transitions on both sides; returns [(label, ours, peer)]."""
    rows = []
    ours_ids, peer_ids = ours_tickets[:count].ids, peer_tickets[:count].ids
    for label, ours_xmlid, peer_xmlid in STAGE_STEPS:
        measured = []
        for model, ids, xmlid in (
            ("aftersales.ticket", ours_ids, ours_xmlid),
            ("helpdesk.ticket", peer_ids, peer_xmlid),
        ):
            stage = env.ref(xmlid)
            batch = env[model].browse(ids)
            measured.append(
                bench_common.measure(
                    env,
                    lambda batch=batch, stage=stage: batch.write(
                        {"stage_id": stage.id}
                    ),
                    count,
                )
            )
            assert set(env[model].browse(ids).mapped("stage_id").ids) == {stage.id}
        rows.append((f"stage: {label}", *measured))
    return rows


def bench_parts_paths(env, count):
    __, part, unit, partner = bench_parts.setup(env, count)
    reservations = bench_parts.draft_reservations(env, part, unit, partner, count)
    repairs = bench_parts.draft_repairs(env, part, unit, partner, count)
    ours = bench_common.measure(env, reservations.action_confirm, count)
    bench_parts.check_reserved(reservations)
    peer = bench_common.measure(env, repairs._action_repair_confirm, count)
    bench_parts.check_repaired(repairs)
    return ours, peer


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------


def load_average():
    try:
        return "/".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "n/a"


def ratio(ours, peer):
    return f"{ours / peer:.2f}" if peer else "n/a"


def print_row(label, count, ours, peer):
    print(
        f"| {label} | {count:,} "
        f"| {ours.wall_ms:.2f} / {peer.wall_ms:.2f} | {ratio(ours.wall, peer.wall)} "
        f"| {ours.cpu_ms:.2f} / {peer.cpu_ms:.2f} | {ratio(ours.cpu, peer.cpu)} "
        f"| {ours.queries_per:.2f} / {peer.queries_per:.2f} "
        f"| {ratio(ours.queries, peer.queries)} |",
        flush=True,
    )


def print_header():
    print(
        "| path (per ticket) | tickets | wall ms ours / peer | ratio "
        "| CPU ms ours / peer | ratio | queries ours / peer | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")


class WarningCounter(logging.Handler):
    """Counts the WARNING (and worse) lines logged during the run."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += 1


def main():
    args = parse_args()
    only = set(args.only or ("create", "single", "stage", "parts"))
    if "stage" in only:
        only.add("create")  # the stage change moves tickets of the batch
    extra = [args.peer_addons] if args.peer_addons else []
    for path in extra:
        if not os.path.isdir(os.path.join(path, "helpdesk_mgmt")):
            raise SystemExit(
                f"--peer-addons {path}: no helpdesk_mgmt folder there. Install "
                "the peer with: pip install --no-deps --target <folder> "
                "'odoo-addon-helpdesk_mgmt==18.0.*' "
                "'odoo-addon-helpdesk_mgmt_sla==18.0.*' and pass "
                "<folder>/odoo/addons."
            )
    bench_common.configure(args, extra)
    check_peer(args)
    registry = odoo.modules.registry.Registry(args.database)
    warnings = WarningCounter()
    logging.getLogger().addHandler(warnings)
    print(
        f"Side by side with the peer: {datetime.now():%Y-%m-%d %H:%M} on "
        f"{platform.node()} ({os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}), "
        f"load average {load_average()}"
    )
    print("command:", " ".join([os.path.basename(sys.executable), *sys.argv]))
    with registry.cursor() as cr:
        # the same back-office user on both sides, chatter and tracking on
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": False})
        env = env(user=env.ref("base.user_admin"))
        try:
            team, channel = bench_sla.setup(env)
            peer_team, peer_channel = setup_peer(env, team.resource_calendar_id)
            ctx = {
                "team": team,
                "channel": channel,
                "peer_team": peer_team,
                "peer_channel": peer_channel,
            }
            print_header()
            if "create" in only:
                ours, peer, ours_tickets, peer_tickets = bench_batch(
                    env, ctx, args.tickets
                )
                print_row("one create() of the batch", args.tickets, ours, peer)
            if "single" in only:
                ours, peer = bench_single(
                    env, ctx, args.single, args.single_received_now
                )
                print_row("single creates in a loop", args.single, ours, peer)
            if "stage" in only:
                for label, ours, peer in bench_stage(
                    env, ours_tickets, peer_tickets, args.stage
                ):
                    print_row(label, args.stage, ours, peer)
            if "parts" in only:
                ours, peer = bench_parts_paths(env, args.parts)
                print_row(
                    "reserve parts / confirm repair orders", args.parts, ours, peer
                )
        finally:
            cr.rollback()
    print(
        f"load average at the end {load_average()}; "
        f"{warnings.count} warning(s) logged; finished {time.strftime('%H:%M')}"
    )


if __name__ == "__main__":
    main()
