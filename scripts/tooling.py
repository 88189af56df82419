"""Small helpers for the bash scripts (scripts/lib.sh).

Run with the Odoo interpreter (it provides psycopg2); only the ``odoo-info``
command imports odoo. Connection settings come from the standard libpq
environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD), exported by lib.sh.

Exit codes: 0 ok, 1 failure (message on stderr), 3 PostgreSQL unreachable.
"""

import ast
import configparser
import hashlib
import json
import os
import shutil
import socket
import sys


def _err(msg):
    sys.stderr.write(msg.rstrip() + "\n")


def _connect(dbname="postgres"):
    import psycopg2

    return psycopg2.connect(
        dbname=dbname,
        host=os.environ.get("PGHOST") or None,
        port=os.environ.get("PGPORT") or None,
        user=os.environ.get("PGUSER") or None,
        password=os.environ.get("PGPASSWORD") or None,
        connect_timeout=10,
    )


def _admin_cursor():
    cnx = _connect("postgres")
    cnx.autocommit = True
    return cnx, cnx.cursor()


def _ident(name):
    return '"' + name.replace('"', '""') + '"'


def _db_exists(cr, name):
    cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return bool(cr.fetchone())


def cmd_odoo_info(_args):
    """Print JSON facts about the running (Odoo) interpreter."""
    import site

    info = {"executable": sys.executable, "error": None}
    try:
        import odoo.release

        info["version_info"] = list(odoo.release.version_info[:2])
        info["version"] = odoo.release.version
        info["odoo_path"] = list(odoo.__path__)
        import odoo.addons

        info["addons_path"] = [
            os.path.realpath(p) for p in odoo.addons.__path__ if os.path.isdir(p)
        ]
    except Exception as exc:  # report any import problem to the caller
        info["error"] = f"{type(exc).__name__}: {exc}"
    info["base_executable"] = getattr(sys, "_base_executable", sys.executable)
    info["base_prefix"] = sys.base_prefix
    info["python"] = "{}.{}".format(*sys.version_info[:2])
    info["site_packages"] = [p for p in site.getsitepackages() if os.path.isdir(p)]
    print(json.dumps(info))


def cmd_pg_check(_args):
    try:
        cnx = _connect("postgres")
    except Exception as exc:
        _err(str(exc).strip())
        return 3
    cr = cnx.cursor()
    cr.execute("SELECT current_user, version()")
    user, version = cr.fetchone()
    cnx.close()
    print(f"{user}\t{version.split(',')[0]}")
    return 0


def cmd_db_state(args):
    """Print the state of DB: missing | not-odoo | broken | <module state>.

    ``broken``: some module is left in a transient state (interrupted run).
    With extra module names, print ``incomplete`` unless all are installed.
    """
    name, module, *required = args
    cnx, cr = _admin_cursor()
    exists = _db_exists(cr, name)
    cnx.close()
    if not exists:
        print("missing")
        return 0
    cnx = _connect(name)
    cr = cnx.cursor()
    try:
        cr.execute("SELECT to_regclass('ir_module_module')")
        if cr.fetchone()[0] is None:
            print("not-odoo")
            return 0
        cr.execute(
            "SELECT count(*) FROM ir_module_module "
            "WHERE state IN ('to install', 'to upgrade', 'to remove')"
        )
        if cr.fetchone()[0]:
            print("broken")
            return 0
        cr.execute(
            "SELECT name FROM ir_module_module WHERE state = 'installed' "
            "AND name = ANY(%s)",
            (required,),
        )
        if required and len(cr.fetchall()) != len(set(required)):
            print("incomplete")
            return 0
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", (module,))
        row = cr.fetchone()
        print(row[0] if row else "absent")
    finally:
        cnx.close()
    return 0


def _filestore(data_dir, name):
    return os.path.join(data_dir, "filestore", name)


def cmd_db_drop(args):
    name, data_dir = args
    cnx, cr = _admin_cursor()
    try:
        if _db_exists(cr, name):
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid != pg_backend_pid()",
                (name,),
            )
            cr.execute(f"DROP DATABASE IF EXISTS {_ident(name)}")
    finally:
        cnx.close()
    shutil.rmtree(_filestore(data_dir, name), ignore_errors=True)
    return 0


def cmd_db_copy(args):
    """Create database DST from template SRC, and copy SRC's filestore."""
    src, dst, data_dir = args
    cnx, cr = _admin_cursor()
    try:
        cr.execute(f"CREATE DATABASE {_ident(dst)} TEMPLATE {_ident(src)}")
    finally:
        cnx.close()
    shutil.rmtree(_filestore(data_dir, dst), ignore_errors=True)
    if os.path.isdir(_filestore(data_dir, src)):
        shutil.copytree(_filestore(data_dir, src), _filestore(data_dir, dst))
    return 0


def cmd_db_comment_get(args):
    (name,) = args
    cnx, cr = _admin_cursor()
    try:
        cr.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = %s",
            (name,),
        )
        row = cr.fetchone()
    finally:
        cnx.close()
    print(row[0] if row and row[0] else "")
    return 0


def cmd_db_comment_set(args):
    name, comment = args
    cnx, cr = _admin_cursor()
    try:
        cr.execute(f"COMMENT ON DATABASE {_ident(name)} IS %s", (comment,))
    finally:
        cnx.close()
    return 0


def cmd_depends(args):
    """Print the ``depends`` of a manifest, comma separated."""
    (manifest,) = args
    with open(manifest, encoding="utf-8") as fh:
        data = ast.literal_eval(fh.read())
    print(",".join(data.get("depends") or ["base"]))
    return 0


def cmd_stamp(args):
    """Hash of the sorted dependencies and the Odoo version."""
    depends, version = args
    payload = json.dumps(
        {"depends": sorted(set(depends.split(","))), "odoo": version}, sort_keys=True
    )
    print("aftersales-template " + hashlib.sha256(payload.encode()).hexdigest()[:16])
    return 0


def cmd_write_conf(args):
    """write-conf OUT BASE_RC key=value... -- write an Odoo config file.

    Options of BASE_RC (may be empty) are kept unless overridden; extra
    ``addons_path`` entries of BASE_RC are appended to ours.
    """
    out, base_rc, *pairs = args
    parser = configparser.RawConfigParser()
    if base_rc:
        if not parser.read(base_rc):
            _err(f"ODOO_RC={base_rc}: cannot read this file")
            return 1
    if not parser.has_section("options"):
        parser.add_section("options")
    base_addons = parser.get("options", "addons_path", fallback="")
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key == "addons_path":
            paths = []
            for path in value.split(",") + base_addons.split(","):
                path = path.strip()
                if path and os.path.realpath(path) not in paths:
                    paths.append(os.path.realpath(path))
            value = ",".join(paths)
        parser.set("options", key, value)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("; generated by scripts/lib.sh -- do not edit, it is rewritten\n")
        parser.write(fh)
    return 0


def cmd_port_free(args):
    (port,) = args
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", int(port)))
        except OSError:
            return 1
    return 0


def cmd_constraints(_args):
    """pip constraints pinning every distribution of this interpreter."""
    from importlib import metadata

    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or name.lower() in seen or name.lower() in ("odoo", "pip"):
            continue
        seen.add(name.lower())
        print(f"{name}=={dist.version}")
    return 0


def cmd_merge_po(args):
    """merge-po POT PO...: bring each .po in line with the template, keeping
    the translations of strings that did not change."""
    import polib

    pot = polib.pofile(args[0])
    for path in args[1:]:
        if not os.path.exists(path):
            continue
        old = polib.pofile(path)
        done = {
            entry.msgid: entry
            for entry in old
            if entry.msgstr and "fuzzy" not in entry.flags
        }
        new = polib.POFile(wrapwidth=78)
        new.metadata = old.metadata or pot.metadata
        new.header = old.header
        for entry in pot:
            merged = polib.POEntry(
                msgid=entry.msgid,
                msgstr=done[entry.msgid].msgstr if entry.msgid in done else "",
                occurrences=entry.occurrences,
                comment=entry.comment,
                tcomment=entry.tcomment,
                flags=[flag for flag in entry.flags if flag != "fuzzy"],
                msgctxt=entry.msgctxt,
            )
            new.append(merged)
        new.save(path)
        missing = sum(1 for entry in new if not entry.msgstr)
        print(f"{os.path.basename(path)}: {len(new)} strings, {missing} untranslated")
    return 0


COMMANDS = {
    "merge-po": cmd_merge_po,
    "odoo-info": cmd_odoo_info,
    "pg-check": cmd_pg_check,
    "db-state": cmd_db_state,
    "db-drop": cmd_db_drop,
    "db-copy": cmd_db_copy,
    "db-comment-get": cmd_db_comment_get,
    "db-comment-set": cmd_db_comment_set,
    "depends": cmd_depends,
    "stamp": cmd_stamp,
    "write-conf": cmd_write_conf,
    "port-free": cmd_port_free,
    "constraints": cmd_constraints,
}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        _err(f"usage: tooling.py {{{'|'.join(COMMANDS)}}} ...")
        return 1
    return COMMANDS[argv[0]](argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
