"""The access matrix: the specification of who may read, create, write and
delete what, checked against the addon's access rights and record rules.

MODEL_ACCESS says, for every model of the addon (every ``aftersales.*``
model of the registry but the abstract ones: reports and wizards included),
what each role may do at all (access rights); RECORD_ACCESS says, for the
models with record rules per person, which records each role may read and
write: their own, a colleague's, headquarters', another company's. A new
model fails ``test_every_model_is_specified`` until it is added here; the
README's roles table follows this one.
"""

from datetime import date, timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from .common import AftersalesCase

ROLES = (
    "portal",
    "public",
    "technician",
    "partner_technician",
    "agent",
    "dispatcher",
    "stock",
    "hr",
    "sales",
    "manager",
    "other_company",
)
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}

# Letters: r read, w write, c create, u unlink (delete); a role not named may
# do nothing. "partner_technician" works for a service partner company: the
# technician's rights (added below), on their partner team's records only.
# "other_company" is a service manager of another company: the same rights,
# on that company's records only (see RECORD_ACCESS).
STAFF_READ = {"technician": "r", "agent": "r", "dispatcher": "r"}
MANAGERS = {"manager": "rwcu", "other_company": "rwcu"}
CONFIGURATION = {**STAFF_READ, **MANAGERS}
AGENT_WIZARD = {
    "agent": "rwc",
    "dispatcher": "rwc",
    "manager": "rwc",
    "other_company": "rwc",
}
TEAM_REPORT = {"dispatcher": "r", "manager": "r", "other_company": "r"}
EMPLOYEES_READ = {
    "sales": "r",
    "technician": "r",
    "agent": "r",
    "dispatcher": "r",
    "stock": "r",
    "hr": "r",
}

MODEL_ACCESS = {
    # tickets and what hangs on them
    "aftersales.ticket": {
        "portal": "r",
        "technician": "rw",
        "agent": "rwc",
        "dispatcher": "rwc",
        "stock": "r",
        **MANAGERS,
    },
    "aftersales.ticket.charge": {
        # technicians read the charging decisions; agents decide them
        "technician": "r",
        "agent": "rwcu",
        "dispatcher": "rwcu",
        **MANAGERS,
    },
    "aftersales.ticket.owner.wizard": AGENT_WIZARD,
    "aftersales.ticket.transfer.wizard": AGENT_WIZARD,
    "aftersales.visit": {
        "portal": "r",
        "technician": "rw",
        "agent": "rwc",
        "dispatcher": "rwc",
        **MANAGERS,
    },
    # the visit's service report (locked once signed) and the visit's dialogs
    "aftersales.visit.photo": {
        "technician": "rwcu",
        "agent": "rwcu",
        "dispatcher": "rwcu",
        **MANAGERS,
    },
    "aftersales.visit.measurement": {
        "technician": "rwcu",
        "agent": "rwcu",
        "dispatcher": "rwcu",
        **MANAGERS,
    },
    "aftersales.visit.reschedule.wizard": {"technician": "rwc", **AGENT_WIZARD},
    "aftersales.visit.cancel.wizard": {"technician": "rwc", **AGENT_WIZARD},
    "aftersales.visit.sign.wizard": {"technician": "rwc", **AGENT_WIZARD},
    # dispatch and the unit's stay in the workshop
    "aftersales.visit.dispatch.wizard": {
        "dispatcher": "rwc",
        "manager": "rwc",
        "other_company": "rwc",
    },
    "aftersales.visit.dispatch.wizard.line": {
        "dispatcher": "rwc",
        "manager": "rwc",
        "other_company": "rwc",
    },
    "aftersales.carry.in.wizard": {"technician": "rwc", **AGENT_WIZARD},
    # three guarantees: agents and managers carry them out, technicians not
    "aftersales.guarantee.wizard": AGENT_WIZARD,
    # loaners: agents lend and take back, stock staff and technicians read
    "aftersales.loan": {
        "technician": "r",
        "agent": "rwc",
        "dispatcher": "rwc",
        "stock": "r",
        "manager": "rwcu",
        "other_company": "rwcu",
    },
    # certifications: HR and managers maintain them, staff read them
    "aftersales.certification": {**STAFF_READ, "hr": "rwcu", **MANAGERS},
    "aftersales.fault.remedy": CONFIGURATION,
    # organisation and configuration: staff read, managers maintain
    "aftersales.team": CONFIGURATION,
    "aftersales.channel": CONFIGURATION,
    "aftersales.stage": CONFIGURATION,
    "aftersales.fault.code": CONFIGURATION,
    "aftersales.sla.policy": CONFIGURATION,
    "aftersales.escalation.level": CONFIGURATION,
    "aftersales.callback.rule": CONFIGURATION,
    "aftersales.warranty.exclusion": CONFIGURATION,
    "aftersales.warranty.term.component": CONFIGURATION,
    # service levels
    "aftersales.ticket.sla": CONFIGURATION,
    "aftersales.sla.notice": {},  # the deadline job's outbox: system only
    "aftersales.incident": {
        "agent": "r",
        "dispatcher": "rw",
        **MANAGERS,
    },
    "aftersales.sla.report": TEAM_REPORT,
    # warranties: customers read theirs on the portal
    "aftersales.warranty": {"portal": "r", **CONFIGURATION},
    "aftersales.warranty.component": {"portal": "r", **CONFIGURATION},
    "aftersales.warranty.term": {"portal": "r", **CONFIGURATION},
    # service contracts: salespeople sell them (created on the confirmed
    # order), staff read them and their entitlements, managers configure;
    # entitlements and their use are written by the contract only
    "aftersales.contract": {"portal": "r", **STAFF_READ, "sales": "r", **MANAGERS},
    "aftersales.contract.template": {**STAFF_READ, "sales": "r", **MANAGERS},
    "aftersales.contract.line": {
        "portal": "r",
        **STAFF_READ,
        "sales": "r",
        **MANAGERS,
    },
    "aftersales.contract.entitlement": {
        "portal": "r",
        **STAFF_READ,
        "sales": "r",
        "manager": "r",
        "other_company": "r",
    },
    "aftersales.contract.usage": {
        **STAFF_READ,
        "sales": "r",
        "manager": "r",
        "other_company": "r",
    },
    # callbacks
    "aftersales.callback": {
        "technician": "r",
        "agent": "rwc",
        "dispatcher": "rwc",
        **MANAGERS,
    },
    "aftersales.callback.attempt": {
        "technician": "r",
        "agent": "rc",
        "dispatcher": "rc",
        **MANAGERS,
    },
    "aftersales.callback.outcome.wizard": AGENT_WIZARD,
    "aftersales.callback.report": TEAM_REPORT,
    # spare parts: the stock users manage reservations with the service
    "aftersales.part.reservation": {
        "technician": "rwc",
        "agent": "rwc",
        "dispatcher": "rwc",
        "stock": "rwc",
        **MANAGERS,
    },
    "aftersales.part.reservation.line": {
        "technician": "rwcu",
        "agent": "rwcu",
        "dispatcher": "rwcu",
        "stock": "rwcu",
        **MANAGERS,
    },
    "aftersales.part.consume.wizard": {
        "technician": "rwc",
        "agent": "rwc",
        "dispatcher": "rwc",
        "stock": "rwc",
        "manager": "rwc",
        "other_company": "rwc",
    },
    "aftersales.part.consume.wizard.line": {
        "technician": "rwc",
        "agent": "rwc",
        "dispatcher": "rwc",
        "stock": "rwc",
        "manager": "rwc",
        "other_company": "rwc",
    },
    # the published service price list: staff read it, managers keep it
    "aftersales.service.fee": CONFIGURATION,
    "aftersales.part.forecast": {
        "stock": "r",
        "manager": "r",
        "other_company": "r",
    },
    # performance: every employee reads (their own scorecards, see below),
    # managers maintain, HR reviews
    "aftersales.performance.profile": {**EMPLOYEES_READ, **MANAGERS},
    "aftersales.performance.indicator": {**EMPLOYEES_READ, **MANAGERS},
    "aftersales.performance.score": {**EMPLOYEES_READ, **MANAGERS},
    "aftersales.performance.score.line": {**EMPLOYEES_READ, **MANAGERS},
    "aftersales.kpi.report": TEAM_REPORT,
    "aftersales.kpi.workbook.wizard": {
        "dispatcher": "rwc",
        "manager": "rwc",
        "other_company": "rwc",
    },
    # third-party service partners: managers settle the partners' visits
    "aftersales.settlement.wizard": {"manager": "rwc", "other_company": "rwc"},
}
# A partner technician has the technician's access rights everywhere; the
# record rules narrow them to their partner team's tickets (RECORD_ACCESS).
for _allowed in MODEL_ACCESS.values():
    if "technician" in _allowed:
        _allowed.setdefault("partner_technician", _allowed["technician"])

# Record level: (records the role may read, records it may write), among
# the records of RECORD_FIXTURES below: "mine" belongs to the role's own
# people (the agent's ticket, assigned to the technician, of the portal
# customer, in the dispatcher's region), "colleague" to a colleague's in the
# same region, "hq" to headquarters (outside the dispatcher's region),
# "foreign" to another company, "partner" to a team operated by a service
# partner (outside the dispatcher's region). A role not named sees none.
TICKET_RECORDS = {
    "portal": ("mine", ""),
    "technician": ("mine", "mine"),
    "agent": ("mine", "mine"),
    "dispatcher": ("mine colleague", "mine colleague"),
    "stock": ("mine colleague", ""),  # the tickets with a parts reservation
    "manager": ("mine colleague hq partner", "mine colleague hq partner"),
    "other_company": ("foreign", "foreign"),
    "partner_technician": ("partner", "partner"),
}
RECORD_ACCESS = {
    "aftersales.ticket": TICKET_RECORDS,
    "aftersales.ticket.sla": {
        "technician": ("mine", ""),
        "agent": ("mine", ""),
        "dispatcher": ("mine colleague", ""),
        "manager": ("mine colleague hq partner", "mine colleague hq partner"),
        "other_company": ("foreign", "foreign"),
        "partner_technician": ("partner", ""),
    },
    "aftersales.visit": {
        "portal": ("mine", ""),
        "technician": ("mine", "mine"),
        "agent": ("mine", "mine"),
        "dispatcher": ("mine colleague", "mine colleague"),
        "manager": ("mine colleague hq partner", "mine colleague hq partner"),
        "partner_technician": ("partner", "partner"),
    },
    "aftersales.part.reservation": {
        "technician": ("mine", "mine"),
        "agent": ("mine", "mine"),
        "dispatcher": ("mine colleague", "mine colleague"),
        "stock": ("mine colleague", "mine colleague"),
        "manager": ("mine colleague", "mine colleague"),
    },
    "aftersales.callback": {
        "technician": ("mine", ""),
        "agent": ("mine", "mine"),
        "dispatcher": ("mine colleague", "mine colleague"),
        "manager": ("mine colleague hq", "mine colleague hq"),
    },
    "aftersales.warranty": {
        "portal": ("mine", ""),
        "technician": ("mine colleague", ""),
        # the customer of their partner team's ticket is the colleague's
        "partner_technician": ("colleague", ""),
        "agent": ("mine colleague", ""),
        "dispatcher": ("mine colleague", ""),
        "manager": ("mine colleague", "mine colleague"),
        "other_company": ("foreign", "foreign"),
    },
    "aftersales.contract": {
        "portal": ("mine", ""),
        "technician": ("mine colleague", ""),
        "partner_technician": ("colleague", ""),  # their tickets' customer
        "agent": ("mine colleague", ""),
        "dispatcher": ("mine colleague", ""),
        "sales": ("mine colleague", ""),
        "manager": ("mine colleague", "mine colleague"),
        "other_company": ("foreign", "foreign"),
    },
    "aftersales.performance.score": {
        "technician": ("mine", ""),  # the technician's own scorecard
        "hr": ("mine colleague", ""),
        "manager": ("mine colleague", "mine colleague"),
    },
}


class TestAccessMatrix(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.user_stock = new_test_user(
            env, login="as_stock", name="Qian Stock", groups="stock.group_stock_user"
        )
        cls.user_hr = new_test_user(
            env, login="as_hr", name="Lin HR", groups="hr.group_hr_user"
        )
        cls.user_sales = new_test_user(
            env,
            login="as_sales",
            name="Sun Sales",
            groups="sales_team.group_sale_salesman",
        )
        cls.user_other_company = new_test_user(
            env,
            login="as_other_manager",
            name="Other Co Manager",
            groups="aftersales_service.group_aftersales_manager",
            company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
        )
        cls.user_partner_technician = new_test_user(
            env,
            login="as_matrix_partner_tech",
            name="Ma Partner Technician",
            groups="aftersales_service.group_aftersales_partner_technician",
        )
        cls.emp_partner_technician = env["hr.employee"].create(
            {"name": "Ma Partner Technician", "user_id": cls.user_partner_technician.id}
        )
        cls.team_partner = env["aftersales.team"].create(
            {
                "name": "Remote Partner Point",
                "parent_id": cls.team_hq.id,
                "technician_ids": [Command.set(cls.emp_partner_technician.ids)],
                "service_partner_id": env["res.partner"]
                .create({"name": "Remote Service Co", "is_company": True})
                .id,
            }
        )
        cls.users = {
            "portal": cls.portal_user,
            "public": env.ref("base.public_user"),
            "technician": cls.user_technician,
            "partner_technician": cls.user_partner_technician,
            "agent": cls.user_agent,
            "dispatcher": cls.user_team,
            "stock": cls.user_stock,
            "hr": cls.user_hr,
            "sales": cls.user_sales,
            "manager": cls.user_manager,
            "other_company": cls.user_other_company,
        }
        cls.records = cls._record_fixtures()

    @classmethod
    def _record_fixtures(cls):
        env = cls.env
        Ticket = env["aftersales.ticket"]
        tickets = {
            "mine": Ticket.with_user(cls.user_agent).create(
                cls._ticket_vals(technician_id=cls.emp_technician.id)
            ),
            "colleague": Ticket.with_user(cls.user_agent2).create(
                cls._ticket_vals(
                    partner_id=cls.customer_other.id,
                    technician_id=cls.emp_technician2.id,
                )
            ),
            "hq": Ticket.with_user(cls.user_manager).create(
                cls._ticket_vals(partner_id=cls.customer_vip.id, team_id=cls.team_hq.id)
            ),
            "foreign": Ticket.create(
                cls._ticket_vals(
                    company_id=cls.other_company.id,
                    team_id=cls.team_other_company.id,
                )
            ),
            "partner": Ticket.create(
                cls._ticket_vals(
                    partner_id=cls.customer_other.id,
                    team_id=cls.team_partner.id,
                    technician_id=cls.emp_partner_technician.id,
                )
            ),
        }
        part = env["product.product"].create({"name": "Fan Motor", "is_storable": True})
        reservations = {
            name: env["aftersales.part.reservation"].create(
                {
                    "ticket_id": tickets[name].id,
                    "line_ids": [
                        Command.create({"product_id": part.id, "product_qty": 1})
                    ],
                }
            )
            for name in ("mine", "colleague")
        }
        due = fields.Datetime.now() + timedelta(days=1)
        callbacks = {
            name: env["aftersales.callback"].create(
                {
                    "name": f"CB-{name}",
                    "ticket_id": tickets[name].id,
                    "due_date": due,
                    "user_id": user.id,
                }
            )
            for name, user in (
                ("mine", cls.user_agent),
                ("colleague", cls.user_agent2),
                ("hq", cls.user_manager),
            )
        }
        # inside the technicians' working hours, as dispatch requires
        start, stop = cls._working_window()
        visits = {
            name: env["aftersales.visit"].create(
                {
                    "ticket_id": tickets[name].id,
                    "technician_id": employee.id,
                    "planned_start": start,
                    "planned_stop": stop,
                }
            )
            for name, employee in (
                ("mine", cls.emp_technician),
                ("colleague", cls.emp_technician2),
                ("hq", env["hr.employee"]),
                ("partner", cls.emp_partner_technician),
            )
        }
        term = env.ref("aftersales_service.warranty_term_default")
        warranties = {
            name: env["aftersales.warranty"].create(
                {
                    "partner_id": partner.id,
                    "product_id": cls.product_ac.id,
                    "lot_id": lot.id,
                    "term_id": term.id,
                    "delivery_date": "2026-01-10",
                    "company_id": company.id,
                }
            )
            for name, partner, lot, company in (
                ("mine", cls.customer, cls.lot_ac1, cls.company),
                ("colleague", cls.customer_other, cls.lot_ac2, cls.company),
                (
                    "foreign",
                    cls.customer_other,
                    cls.lot_other_company,
                    cls.other_company,
                ),
            )
        }
        profile = env.ref("aftersales_service.performance_profile_technician")
        first = date(2026, 10, 1)
        scores = {
            name: env["aftersales.performance.score"].create(
                {
                    "employee_id": employee.id,
                    "profile_id": profile.id,
                    "date_start": first,
                    "date_end": date(2026, 10, 31),
                }
            )
            for name, employee in (
                ("mine", cls.emp_technician),
                ("colleague", cls.emp_technician2),
            )
        }
        contracts = {
            name: env["aftersales.contract"].create(
                {
                    "partner_id": partner.id,
                    "lot_ids": [Command.set(lot.ids)],
                    "date_start": "2026-01-10",
                    "date_end": "2027-01-09",
                    "company_id": company.id,
                    "line_ids": [Command.create({"name": "On site", "month_to": 12})],
                }
            )
            for name, partner, lot, company in (
                ("mine", cls.customer, cls.lot_ac1, cls.company),
                ("colleague", cls.customer_other, cls.lot_ac2, cls.company),
                (
                    "foreign",
                    cls.customer_other,
                    cls.lot_other_company,
                    cls.other_company,
                ),
            )
        }
        for contract in contracts.values():
            contract.action_activate()
        return {
            "aftersales.contract": contracts,
            "aftersales.ticket": tickets,
            "aftersales.ticket.sla": {
                name: ticket.sla_ids.filtered(lambda s: s.target_type == "resolution")
                for name, ticket in tickets.items()
            },
            "aftersales.visit": visits,
            "aftersales.part.reservation": reservations,
            "aftersales.callback": callbacks,
            "aftersales.warranty": warranties,
            "aftersales.performance.score": scores,
        }

    def test_every_model_is_specified(self):
        models = {
            name
            for name, model in self.registry.items()
            if name.startswith("aftersales.") and not model._abstract
        }
        self.assertEqual(
            sorted(models - set(MODEL_ACCESS)),
            [],
            "new models: say in MODEL_ACCESS who may do what with them",
        )
        self.assertEqual(
            sorted(set(MODEL_ACCESS) - models), [], "models that no longer exist"
        )
        for model, roles in MODEL_ACCESS.items():
            self.assertLessEqual(set(roles), set(ROLES), model)

    def test_model_access(self):
        """Every role, every model, every operation: allowed exactly as the
        table says (access rights)."""
        differences = []
        for model, allowed in MODEL_ACCESS.items():
            for role in ROLES:
                Model = self.env[model].with_user(self.users[role]).browse()
                for letter, operation in OPERATIONS.items():
                    expected = letter in allowed.get(role, "")
                    if Model.has_access(operation) != expected:
                        differences.append(
                            f"{model} {role} {operation}: "
                            f"{'refused' if expected else 'allowed'}, "
                            f"the table says {'allowed' if expected else 'refused'}"
                        )
        self.assertFalse(differences, "\n".join(differences))

    def test_record_access(self):
        """Own, a colleague's, headquarters' and another company's records:
        read and written exactly as the table says (rights and rules)."""
        self.assertEqual(set(RECORD_ACCESS), set(self.records))
        differences = []
        for model, by_role in RECORD_ACCESS.items():
            records = self.records[model]
            self.assertLessEqual(
                {name for read, write in by_role.values() for name in read.split()}
                | {name for read, write in by_role.values() for name in write.split()},
                set(records),
                model,
            )
            for role in ROLES:
                user = self.users[role]
                readable, writable = by_role.get(role, ("", ""))
                for name, record in records.items():
                    for operation, allowed in (("read", readable), ("write", writable)):
                        expected = name in allowed.split()
                        if record.with_user(user).has_access(operation) != expected:
                            differences.append(
                                f"{model} {name} {role} {operation}: "
                                f"{'refused' if expected else 'allowed'}, the table "
                                f"says {'allowed' if expected else 'refused'}"
                            )
        self.assertFalse(differences, "\n".join(differences))

    def test_search_shows_the_readable_records(self):
        """What the lists show follows the same table."""
        for model, by_role in RECORD_ACCESS.items():
            records = self.records[model]
            ids = [record.id for record in records.values()]
            for role in ROLES:
                if "r" not in MODEL_ACCESS[model].get(role, ""):
                    continue
                readable = by_role.get(role, ("", ""))[0].split()
                found = (
                    self.env[model]
                    .with_user(self.users[role])
                    .search([("id", "in", ids)])
                )
                self.assertEqual(
                    found,
                    self.env[model].browse([records[name].id for name in readable]),
                    f"{model} as {role}",
                )
