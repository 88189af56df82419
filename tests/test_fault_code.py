"""Fault catalogue: codes are data, one record per fault whatever the
spelling; the three-guarantee repair count, batch-failure incidents and the
migration of the old free-text codes (issue 10)."""

import importlib.util
import os
from datetime import timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .common import AftersalesCase
from .test_sla_common import SlaCase, at
from .test_warranty import DELIVERY_DAY, WarrantyCase


class FaultCase(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Category = env["product.category"]
        cls.categ_appliances = Category.create({"name": "Appliances"})
        cls.categ_ac = Category.create(
            {"name": "Air Conditioners", "parent_id": cls.categ_appliances.id}
        )
        cls.categ_washers = Category.create(
            {"name": "Washers", "parent_id": cls.categ_appliances.id}
        )
        cls.product_ac.categ_id = cls.categ_ac
        cls.product_washer.categ_id = cls.categ_washers
        cls.Fault = env["aftersales.fault.code"]
        cls.fault_e4 = cls.Fault.create(
            {
                "code": "E4",
                "name": "Compressor fails to start",
                "categ_id": cls.categ_ac.id,
                "symptom": "Outdoor unit hums, no cooling",
                "cause": "Burnt start capacitor",
                "remedy": "Replace the start capacitor",
            }
        )
        cls.fault_e9 = cls.Fault.create(
            {"code": "E9", "name": "Sensor open circuit", "categ_id": cls.categ_ac.id}
        )
        cls.fault_power = cls.Fault.create(
            {"code": "P0", "name": "No power", "categ_id": cls.categ_appliances.id}
        )
        cls.fault_any = cls.Fault.create({"code": "X1", "name": "Cosmetic damage"})
        cls.fault_washer = cls.Fault.create(
            {"code": "E21", "name": "Drain fault", "categ_id": cls.categ_washers.id}
        )

    def _field_domain(self, ticket):
        """The fault code field's domain, evaluated as the form does."""
        domain = ticket._fields["fault_code_id"].domain
        return safe_eval(domain, {"product_categ_id": ticket.product_categ_id.id})


class TestFaultCatalogue(FaultCase):
    def test_code_stored_in_one_spelling(self):
        fault = self.Fault.with_user(self.user_manager).create(
            {"code": "  e5 ", "name": "Water in the tray"}
        )
        self.assertEqual(fault.code, "E5")
        self.assertEqual(fault.display_name, "E5 - Water in the tray")
        fault.code = "e6"
        self.assertEqual(fault.code, "E6")
        with self.assertRaisesMessage(ValidationError, r"^Code: enter the fault code"):
            fault.code = "   "
        self.assertEqual(fault.code, "E6")

    def test_same_code_in_another_spelling_is_refused(self):
        as_manager = self.Fault.with_user(self.user_manager)
        with self.assertRaisesMessage(
            ValidationError,
            r"^Fault code E4 already exists for Appliances / Air Conditioners "
            r"\(E4 - Compressor fails to start\)\. Codes are not case-sensitive: "
            r"use the existing one or choose another code\.$",
        ):
            as_manager.create(
                {"code": "e4 ", "name": "Compressor", "categ_id": self.categ_ac.id}
            )
        # archived entries still hold their code
        self.fault_e9.active = False
        with self.assertRaisesMessage(ValidationError, r"^Fault code E9 already"):
            as_manager.create(
                {"code": "e9", "name": "Sensor", "categ_id": self.categ_ac.id}
            )
        # renaming onto a taken code, and twice the same code in one batch
        with self.assertRaisesMessage(
            ValidationError, r"^Fault code X1 already exists for all categories"
        ):
            self.fault_power.write({"code": "x1", "categ_id": False})
        with self.assertRaisesMessage(
            ValidationError,
            r"^Fault code Q1 is given twice for all categories\. Codes are not "
            r"case-sensitive: keep one\.$",
        ):
            as_manager.create(
                [{"code": "q1", "name": "A"}, {"code": "Q1", "name": "B"}]
            )
        # another category or another company may use the code
        washer_e4 = as_manager.create(
            {"code": "e4", "name": "Motor", "categ_id": self.categ_washers.id}
        )
        other_e4 = self.Fault.create(
            {
                "code": "E4",
                "name": "Compressor",
                "categ_id": self.categ_ac.id,
                "company_id": self.other_company.id,
            }
        )
        self.assertEqual((washer_e4 | other_e4).mapped("code"), ["E4", "E4"])
        mine = self.Fault.with_user(self.user_manager).search(
            [
                ("code", "=", "E4"),
                ("id", "in", (self.fault_e4 | washer_e4 | other_e4).ids),
            ]
        )
        self.assertEqual(mine, self.fault_e4 | washer_e4, "other company hidden")

    @mute_logger("odoo.sql_db")
    def test_database_refuses_duplicates_of_shared_codes(self):
        """The unique index treats 'no company' and 'all categories' as
        values: two shared catalogue-wide X1 cannot exist."""
        self.fault_any.company_id = False
        self.env.flush_all()
        with self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                """
                INSERT INTO aftersales_fault_code (code, name, sequence, active)
                VALUES ('X1', '{"en_US": "Copy"}', 10, true)
                """
            )

    def test_name_search_ignores_case(self):
        Fault = self.Fault.with_user(self.user_technician)
        self.assertEqual(
            Fault.name_search("e4"),
            [(self.fault_e4.id, "E4 - Compressor fails to start")],
        )
        self.assertEqual(Fault.name_search("compressor")[0][0], self.fault_e4.id)
        self.fault_e4.active = False
        self.assertFalse(Fault.name_search("e4"), "archived codes are not proposed")

    def test_ticket_proposes_codes_of_its_category_and_parents(self):
        ticket = self._create_ticket(product_id=self.product_ac.id)
        proposed = self.Fault.search(self._field_domain(ticket))
        self.assertEqual(
            proposed, self.fault_e4 | self.fault_e9 | self.fault_power | self.fault_any
        )
        no_product = self._create_ticket()
        self.assertEqual(
            self.Fault.search(self._field_domain(no_product)), self.fault_any
        )

    def test_ticket_count_and_action(self):
        tickets = self._create_ticket(lot_id=self.lot_ac1.id) + self._create_ticket(
            lot_id=self.lot_ac2.id
        )
        tickets.fault_code_id = self.fault_e4
        self._create_ticket(lot_id=self.lot_ac1.id, fault_code_id=self.fault_e9.id)
        faults = self.fault_e4 | self.fault_e9 | self.fault_any
        faults.invalidate_recordset(["ticket_count"])
        with self.assertQueryCount(1):
            self.assertEqual(faults.mapped("ticket_count"), [2, 1, 0])
        action = self.fault_e4.action_view_tickets()
        self.assertEqual(
            self.env["aftersales.ticket"].search(action["domain"]), tickets
        )

    def test_roles(self):
        ticket = self._create_ticket(
            lot_id=self.lot_ac1.id, technician_id=self.emp_technician.id
        )
        # the technician diagnoses their ticket with a catalogue entry
        ticket.with_user(self.user_technician).fault_code_id = self.fault_e4
        self.assertEqual(ticket.fault_code_id, self.fault_e4)
        self.assertEqual(
            self.fault_e4.with_user(self.user_technician).remedy,
            "Replace the start capacitor",
        )
        # ... but the catalogue is the managers'
        for user in (self.user_technician, self.user_agent, self.user_team):
            Fault = self.Fault.with_user(user)
            with self.assertRaises(AccessError):
                Fault.create({"code": "E7", "name": "Fan"})
            with self.assertRaises(AccessError):
                self.fault_e4.with_user(user).remedy = "Hit it"
            with self.assertRaises(AccessError):
                self.fault_e4.with_user(user).unlink()
        self.assertEqual(self.fault_e4.remedy, "Replace the start capacitor")
        fault = self.Fault.with_user(self.user_manager).create(
            {"code": "E7", "name": "Fan"}
        )
        self.assertEqual(fault.company_id, self.company)
        # another company's catalogue stays out of sight
        other = self.Fault.create(
            {"code": "Z9", "name": "Other", "company_id": self.other_company.id}
        )
        with self.assertRaises(AccessError):
            other.with_user(self.user_manager).read(["code"])


class TestFaultRepairCount(FaultCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(DELIVERY_DAY):
            cls._deliver(cls.lot_ac1, cls.customer)

    def _ticket(self, day, typed):
        """A ticket of AC-0001 diagnosed by the technician, who typed
        ``typed`` in the fault code field and picked the first proposal."""
        [(fault_id, __)] = self.Fault.with_user(self.user_technician).name_search(
            typed, limit=1
        )
        with freeze_time(day):
            ticket = self._create_ticket(
                self.env(user=self.user_agent),
                lot_id=self.lot_ac1.id,
                technician_id=self.emp_technician.id,
            )
            ticket.with_user(self.user_technician).fault_code_id = fault_id
        return ticket

    def test_e4_and_e4_lower_case_are_one_fault(self):
        # Two repairs of the same fault, typed "e4" then "E4", closed by the
        # technician; a repair of E9 in between does not count.
        for day, typed in (
            ("2026-03-01", "e4"),
            ("2026-03-20", "E9"),
            ("2026-04-01", "E4"),
        ):
            ticket = self._ticket(day, typed)
            ticket.with_user(self.user_technician).stage_id = self.stage_solved
        third = self._ticket("2026-05-01", "e4")
        self.assertEqual(third.fault_code_id, self.fault_e4)
        # 2 earlier closed repairs of E4 on AC-0001 >= the term's limit of 2
        self.assertEqual(third.repair_count, 2)
        self.assertEqual(third.three_guarantee_right, "replacement")
        self.assertEqual(
            third.three_guarantee_reason,
            "replacement: fault E4 already repaired 2 times and still failing "
            "(limit 2 repairs)",
        )
        other = self._ticket("2026-05-01", "e9")
        self.assertEqual(other.repair_count, 1)
        self.assertEqual(other.three_guarantee_right, "none")


class TestFaultIncident(SlaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Small thresholds for the tests: level 1 from 3, 2 from 5, 3 from 8
        cls.level_1 = cls.env.ref("aftersales_service.incident_level_1")
        cls.level_1.min_ticket_count = 3
        cls.env.ref("aftersales_service.incident_level_2").min_ticket_count = 5
        cls.env.ref("aftersales_service.incident_level_3").min_ticket_count = 8
        Fault = cls.env["aftersales.fault.code"]
        cls.fault_e4 = Fault.create({"code": "E4", "name": "Compressor fails"})
        cls.fault_e9 = Fault.create({"code": "E9", "name": "Sensor"})
        cls.Incident = cls.env["aftersales.incident"]

    def _tickets(self, when, product, fault, count=1):
        with freeze_time(when):
            return self.env["aftersales.ticket"].create(
                [
                    self._ticket_vals(product_id=product.id, fault_code_id=fault.id)
                    for __ in range(count)
                ]
            )

    def test_same_fault_across_products_opens_an_incident(self):
        # Two air conditioners and a washer with E4, one washer with E9: no
        # product reaches 3 tickets, the fault E4 does.
        self._tickets(at(0, 9), self.product_ac, self.fault_e4, 2)
        self._tickets(at(0, 9), self.product_washer, self.fault_e9)
        self.assertFalse(self.Incident.search([("scope", "=", "fault")]))
        third = self._tickets(at(0, 10), self.product_washer, self.fault_e4)
        incident = self.Incident.search([("state", "=", "open")])
        self.assertEqual(incident.scope, "fault")
        self.assertEqual(incident.fault_code_id, self.fault_e4)
        self.assertFalse(incident.product_id)
        self.assertEqual(incident.name, "Batch failure: fault E4 - Compressor fails")
        self.assertEqual(incident.ticket_count, 3)
        self.assertEqual(len(incident.ticket_ids), 3)
        self.assertIn(third, incident.ticket_ids)
        self.assertEqual(incident.level_id, self.level_1)
        # the next E4 ticket joins the open incident
        fourth = self._tickets(at(1, 10), self.product_ac, self.fault_e4)
        self.assertEqual(incident.ticket_count, 4)
        self.assertIn(fourth, incident.ticket_ids)
        self.assertEqual(self.Incident.search_count([("scope", "=", "fault")]), 1)

    def test_fault_found_after_intake_counts(self):
        """Tickets come in without a fault code; the technician's diagnosis
        counts them per fault. A ticket received before the window does not."""
        Ticket = self.env["aftersales.ticket"]
        vals = self._ticket_vals(
            product_id=self.product_ac.id, technician_id=self.emp_technician.id
        )
        with freeze_time(at(0, 9) - timedelta(days=8)):
            old = Ticket.create(vals)
        with freeze_time(at(0, 9)):
            tickets = Ticket.create([vals] * 2) | Ticket.create(
                dict(vals, product_id=self.product_washer.id)
            )
        with freeze_time(at(0, 11)):
            for ticket in old | tickets[:2]:
                ticket.with_user(self.user_technician).fault_code_id = self.fault_e4
            self.assertFalse(self.Incident.search([("scope", "=", "fault")]))
            tickets[2].with_user(self.user_technician).fault_code_id = self.fault_e4
        incident = self.Incident.search([("scope", "=", "fault")])
        self.assertEqual(incident.fault_code_id, self.fault_e4)
        self.assertEqual(incident.ticket_ids, tickets)
        self.assertEqual(incident.ticket_count, 3)
        self.assertEqual(incident.level_id, self.level_1)

    def test_fault_counting_does_not_grow_with_tickets(self):
        """Counting per fault is one aggregate query for the batch, whatever
        the number of tickets (no threshold reached here)."""
        self.env.ref("aftersales_service.incident_level_3").min_ticket_count = 100
        self.env.ref("aftersales_service.incident_level_2").min_ticket_count = 80
        self.level_1.min_ticket_count = 50

        def queries(count):
            tickets = self._tickets(
                at(0, 9), self.product_ac, self.fault_e4, count
            ) + self._tickets(at(0, 9), self.product_washer, self.fault_e9, count)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with freeze_time(at(0, 10)):
                self.Incident._register_tickets(tickets)
            self.env.flush_all()
            return self.cr.sql_log_count - before

        self.assertEqual(queries(2), queries(20))

    def test_fault_incident_needs_its_fault(self):
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Incident.create({"name": "Broken", "scope": "fault"})
            self.env.flush_all()


class TestFaultMigration(AftersalesCase):
    """The free-text codes of version 18.0.1.0.0 become catalogue entries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Category = env["product.category"]
        cls.categ_ac = Category.create({"name": "Air Conditioners"})
        cls.categ_washers = Category.create({"name": "Washers"})
        cls.product_ac.categ_id = cls.categ_ac
        cls.product_washer.categ_id = cls.categ_washers
        cls.Fault = env["aftersales.fault.code"].with_context(active_test=False)
        # an entry managers created before the upgrade
        cls.fault_h2 = cls.Fault.create(
            {"code": "H2", "name": "Heater relay", "categ_id": cls.categ_ac.id}
        )
        # the column of the removed Char field, as the database keeps it
        env.cr.execute(
            "ALTER TABLE aftersales_ticket ADD COLUMN IF NOT EXISTS fault_code varchar"
        )
        ac, washer = cls.product_ac.id, cls.product_washer.id
        legacy = [
            ("e4_a", ac, "E4"),
            ("e4_b", ac, "e4 "),
            ("e4_c", ac, " E4"),
            ("f1_ac", ac, "F1"),
            ("f1_washer", washer, "f1"),
            ("h2", ac, "h2"),
            ("blank", ac, "   "),
            ("none", ac, None),
        ]
        cls.legacy = {
            key: cls._create_ticket(product_id=product) for key, product, __ in legacy
        }
        codes = {key: code for key, __, code in legacy}
        cls.legacy["other_company"] = cls._create_ticket(
            product_id=ac,
            partner_id=env["res.partner"]
            .create({"name": "Other Co Customer", "company_id": cls.other_company.id})
            .id,
            company_id=cls.other_company.id,
            team_id=cls.team_other_company.id,
        )
        codes["other_company"] = "e4"
        env.flush_all()
        for key, code in codes.items():
            env.cr.execute(
                "UPDATE aftersales_ticket SET fault_code = %s WHERE id = %s",
                [code, cls.legacy[key].id],
            )

    def _run_post_migrate(self):
        """The upgrade step itself: migrations/18.0.1.1.0/post-migrate.py."""
        path = os.path.join(
            get_module_path("aftersales_service"),
            "migrations",
            "18.0.1.1.0",
            "post-migrate.py",
        )
        spec = importlib.util.spec_from_file_location("fault_post_migrate", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.0.0")

    def test_free_text_codes_become_catalogue_entries(self):
        before = self.Fault.search([])
        self._run_post_migrate()
        created = self.Fault.search([]) - before
        self.assertEqual(
            sorted((f.code, f.categ_id.name, f.company_id.name) for f in created),
            sorted(
                [
                    ("E4", "Air Conditioners", "Other Co"),
                    ("E4", "Air Conditioners", self.company.name),
                    ("F1", False, self.company.name),  # two categories: none
                ]
            ),
        )
        t = self.legacy
        e4 = t["e4_a"].fault_code_id
        self.assertEqual(e4.code, "E4")
        self.assertEqual(e4.company_id, self.company)
        self.assertEqual(t["e4_b"].fault_code_id, e4)
        self.assertEqual(t["e4_c"].fault_code_id, e4)
        self.assertEqual(e4.ticket_count, 3)
        self.assertEqual(t["f1_ac"].fault_code_id, t["f1_washer"].fault_code_id)
        self.assertEqual(t["h2"].fault_code_id, self.fault_h2, "existing entry reused")
        self.assertFalse(t["blank"].fault_code_id)
        self.assertFalse(t["none"].fault_code_id)
        other = t["other_company"].sudo().fault_code_id
        self.assertEqual(other.company_id, self.other_company)
        self.assertNotEqual(other, e4)

    def test_running_twice_changes_nothing(self):
        Fault = self.env["aftersales.fault.code"]
        self.assertEqual(Fault._migrate_from_free_text(), 7)
        count = self.Fault.search_count([])
        self.assertEqual(Fault._migrate_from_free_text(), 0)
        self.assertEqual(self.Fault.search_count([]), count)
