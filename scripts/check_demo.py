"""Open every menu of the addon as every demo login, the way the web client
does, and report what fails or shows nothing.

For each login: the addon's menus the user sees (Odoo's own visibility
rules), and for each menu's window action the first view as that user
(``get_views``), then ``web_search_read`` with the fields of that view (list,
kanban) or ``read_group`` (pivot, graph), on the action's domain and context.
Wizards (target "new") get their defaults. Everything runs in one
transaction that is rolled back.

Usage (via scripts/check-demo): python check_demo.py CONF DB [LOGIN...]
"""

import sys

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError
from odoo.tools.safe_eval import datetime, dateutil, safe_eval, time

MODULE = "aftersales_service"
LOGINS = [
    "admin",
    "agent",
    "agent2",
    "dispatcher",
    "servicemanager",
    "tech1",
    "tech2",
    "tech3",
    "tech4",
    "tech5",
    "stockmanager",
    "hr",
]
LIST_MODES = ("list", "kanban", "calendar", "activity")


def eval_context(user):
    company = user.company_id
    return {
        "uid": user.id,
        "user": user,
        "time": time,
        "datetime": datetime,
        "relativedelta": dateutil.relativedelta.relativedelta,
        "context_today": lambda: fields.Date.context_today(user),
        "allowed_company_ids": [company.id],
        "current_company_id": company.id,
        "active_id": False,
        "active_ids": [],
        "context": {},
    }


def spec_of(fields_info):
    spec = {}
    for fname, info in fields_info.items():
        if info.get("type") == "properties":
            continue
        if info.get("relation"):
            spec[fname] = {"fields": {"display_name": {}}}
        else:
            spec[fname] = {}
    return spec


def check_action(uenv, user, action):
    """(status, detail): status in ok / empty / fail / skip."""
    # the web client loads actions as superuser, restricted by their groups
    action = action.sudo()
    groups = action.groups_id if "groups_id" in action._fields else None
    if groups and not groups & user.groups_id:
        return "fail", f"action {action.name} is restricted to other groups"
    if action._name == "ir.actions.client":
        return "ok", f"client action {action.tag}"
    if action._name != "ir.actions.act_window":
        return "skip", action._name
    data = action.read(
        ["res_model", "domain", "context", "view_mode", "view_id", "target"]
    )[0]
    ctx_vals = eval_context(user)
    context = dict(safe_eval(data["context"] or "{}", ctx_vals))
    domain = safe_eval(data["domain"] or "[]", dict(ctx_vals, context=context))
    ctx = dict(uenv.context, **context)
    model = uenv[data["res_model"]].with_context(ctx)
    modes = (data["view_mode"] or "list").split(",")
    mode = modes[0]
    view_id = data["view_id"] and data["view_id"][0]
    views = model.get_views([(view_id, mode)])
    fields_info = views["models"].get(data["res_model"], {}).get("fields", {})
    if data["target"] == "new":
        model.default_get(list(fields_info))
        return "ok", f"wizard {data['res_model']}"
    if mode in LIST_MODES or mode == "form":
        result = model.web_search_read(domain, spec_of(fields_info), limit=80)
        count = result["length"]
    else:
        # pivot / graph: the groups, then the list a user switches to
        groups = model.read_group(domain, ["__count"], [])
        count = groups[0]["__count"] if groups else 0
        if "list" in modes:
            uenv.invalidate_all()
            views = model.get_views([(False, "list")])
            fields_info = views["models"][data["res_model"]]["fields"]
            model.web_search_read(domain, spec_of(fields_info), limit=80)
    detail = f"{data['res_model']} ({mode}): {count} records"
    return ("ok" if count else "empty"), detail


def main(conf, db, logins):
    odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(db)
    failures = empties = checked = 0
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        menu_ids = set(
            env["ir.model.data"]
            .search([("module", "=", MODULE), ("model", "=", "ir.ui.menu")])
            .mapped("res_id")
        )
        for login in logins:
            user = env["res.users"].search([("login", "=", login)])
            if not user:
                print(f"FAIL {login}: no such login")
                failures += 1
                continue
            uenv = api.Environment(
                cr,
                user.id,
                {
                    "lang": user.lang,
                    "tz": user.tz,
                    "allowed_company_ids": [user.company_id.id],
                },
            )
            # the web client walks the menu tree from the visible roots
            visible = set(uenv["ir.ui.menu"]._visible_menu_ids())
            menus = env["ir.ui.menu"].browse(sorted(menu_ids & visible))
            menus = menus.filtered(
                lambda m, shown=visible: (
                    {int(i) for i in m.parent_path.split("/") if i} <= shown
                )
            )
            with_action = menus.filtered("action")
            print(f"== {login} ({user.name}): {len(with_action)} menus")
            for menu in with_action:
                label = menu.with_context(lang="en_US").complete_name
                checked += 1
                # a fresh cache: what another login read must not leak in
                env.invalidate_all()
                try:
                    with cr.savepoint():
                        status, detail = check_action(uenv, user, menu.action)
                except AccessError as error:
                    status, detail = "fail", f"AccessError: {error}"
                except Exception as error:  # noqa: BLE001 (report every failure)
                    status, detail = "fail", f"{type(error).__name__}: {error}"
                if status == "fail":
                    failures += 1
                elif status == "empty":
                    empties += 1
                print(f"  {status.upper():5} {label}: {detail}")
        cr.rollback()
    print(
        f"\n{checked} menu openings checked for {len(logins)} logins: "
        f"{failures} failed, {empties} empty"
    )
    return 1 if failures or empties else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:] or LOGINS))
