"""Two users reserve the last unit of a part at the same moment.

The test class's own cursor never commits: the scenario runs in separate
cursors from ``self.registry.cursor()``, commits its own data and removes it
again in a cleanup."""

import threading
import time
from functools import partial

import psycopg2

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import new_test_user

from .common import AftersalesCase, AftersalesCaseMixin

LOCK_TIMEOUT = "SET LOCAL lock_timeout = '20s'"


class TestPartsConcurrency(AftersalesCase):
    @classmethod
    def setUpClass(cls):
        # Skip the shared fixtures: rows the test cursor writes and never
        # commits (users, digests, ...) would block the committed cursors.
        super(AftersalesCaseMixin, cls).setUpClass()

    def _setup_committed(self):
        """Two technicians, two tickets, one unit in stock, two draft
        reservations of it: committed, so that other transactions see them."""
        with self.registry.cursor() as cr:
            cr.execute(LOCK_TIMEOUT)
            env = api.Environment(cr, SUPERUSER_ID, {})
            ids = {}
            users = [
                new_test_user(
                    env,
                    login=f"w5_conc_tech{index}",
                    name=f"Concurrent Technician {index}",
                    groups="aftersales_service.group_aftersales_technician",
                )
                for index in (1, 2)
            ]
            employees = env["hr.employee"].create(
                [{"name": user.name, "user_id": user.id} for user in users]
            )
            product = env["product.product"].create(
                {"name": "W5 Last Unit Board", "is_storable": True}
            )
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 1
            )
            partner = env["res.partner"].create({"name": "W5 Concurrency Customer"})
            tickets = env["aftersales.ticket"].create(
                [
                    {
                        "partner_id": partner.id,
                        "symptom": "Board dead",
                        "technician_id": employee.id,
                    }
                    for employee in employees
                ]
            )
            reservations = env["aftersales.part.reservation"].create(
                [
                    {
                        "ticket_id": ticket.id,
                        "line_ids": [
                            Command.create({"product_id": product.id, "product_qty": 1})
                        ],
                    }
                    for ticket in tickets
                ]
            )
            ids = {
                "users": users[0].ids + users[1].ids,
                "employees": employees.ids,
                "product": product.id,
                "partner": partner.id,
                "tickets": tickets.ids,
                "reservations": reservations.ids,
            }
            cr.commit()
        self.addCleanup(self._cleanup_committed, ids)
        return ids

    def _cleanup_committed(self, ids):
        with self.registry.cursor() as cr:
            cr.execute(LOCK_TIMEOUT)
            env = api.Environment(cr, SUPERUSER_ID, {})
            reservations = env["aftersales.part.reservation"].browse(
                ids["reservations"]
            )
            groups = reservations.procurement_group_id
            moves = env["stock.move"].search([("group_id", "in", groups.ids)])
            pickings = moves.picking_id
            params = {
                "moves": tuple(moves.ids) or (0,),
                "pickings": tuple(pickings.ids) or (0,),
                "groups": tuple(groups.ids) or (0,),
                "reservations": tuple(ids["reservations"]),
                "tickets": tuple(ids["tickets"]),
                "product": ids["product"],
            }
            cr.execute(
                """
                DELETE FROM stock_move_line WHERE move_id IN %(moves)s;
                DELETE FROM stock_move WHERE id IN %(moves)s;
                DELETE FROM stock_picking WHERE id IN %(pickings)s;
                DELETE FROM aftersales_part_reservation_line
                 WHERE reservation_id IN %(reservations)s;
                DELETE FROM aftersales_part_reservation WHERE id IN %(reservations)s;
                DELETE FROM procurement_group WHERE id IN %(groups)s;
                DELETE FROM stock_quant WHERE product_id = %(product)s;
                DELETE FROM mail_message
                 WHERE (model = 'aftersales.part.reservation'
                        AND res_id IN %(reservations)s)
                    OR (model = 'stock.picking' AND res_id IN %(pickings)s)
                """,
                params,
            )
            env.invalidate_all()
            env["aftersales.ticket"].browse(ids["tickets"]).unlink()
            product = env["product.product"].browse(ids["product"])
            template = product.product_tmpl_id
            product.unlink()
            template.unlink()
            env["hr.employee"].browse(ids["employees"]).unlink()
            users = env["res.users"].browse(ids["users"])
            partners = users.partner_id
            users.unlink()
            partners.unlink()
            env["res.partner"].browse(ids["partner"]).unlink()
            cr.commit()

    def _wait_until_blocked(self, pid, timeout=10.0):
        """Wait until the backend ``pid`` waits on a lock."""
        deadline = time.monotonic() + timeout
        with self.registry.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                    [pid],
                )
                row = cr.fetchone()
                if row and row[0] == "Lock":
                    return True
                cr.rollback()
                time.sleep(0.05)
        return False

    def test_last_unit_is_reserved_once(self):
        """The second confirmation waits for the first, fails with a
        serialization error once the first commits, and Odoo's request retry
        (``retrying``, as the HTTP layer runs every request) runs it again on
        fresh stock: it succeeds and shows the shortage, nothing is refused
        and the unit is reserved once."""
        ids = self._setup_committed()
        first_id, second_id = ids["reservations"]
        user1, user2 = ids["users"]
        outcome = {"calls": 0}
        cr1 = self.registry.cursor()
        cr2 = self.registry.cursor()
        try:
            cr1.execute(LOCK_TIMEOUT)
            cr2.execute(LOCK_TIMEOUT)
            cr2.execute("SELECT pg_backend_pid()")
            pid2 = cr2.fetchone()[0]
            env1 = api.Environment(cr1, user1, {})
            # The first technician reserves the unit; not committed yet.
            env1["aftersales.part.reservation"].browse(first_id).action_confirm()
            env1.flush_all()

            def confirm_second(env2):
                outcome["calls"] += 1
                try:
                    return (
                        env2["aftersales.part.reservation"]
                        .browse(second_id)
                        .action_confirm()
                    )
                except Exception as error:
                    outcome.setdefault("errors", []).append(type(error))
                    raise

            def second_user():
                env2 = api.Environment(cr2, user2, {})
                try:
                    retrying(partial(confirm_second, env2), env2)
                    outcome["result"] = "reserved"
                except UserError as error:
                    outcome["result"] = "refused"
                    outcome["message"] = str(error)
                except Exception as error:  # noqa: BLE001 - reported below
                    outcome["result"] = repr(error)

            thread = threading.Thread(target=second_user)
            thread.start()
            blocked = self._wait_until_blocked(pid2)
            cr1.commit()
            thread.join(30)
            self.assertFalse(thread.is_alive())
        finally:
            cr1.close()
            cr2.close()

        self.assertTrue(blocked, "the second reservation did not wait for the first")
        self.assertEqual(outcome.get("result"), "reserved", outcome)
        # Run twice: the first try fails on the quant the first user changed
        # (a serialization failure, which Odoo retries), the second succeeds.
        self.assertEqual(outcome["calls"], 2)
        self.assertEqual(outcome["errors"], [psycopg2.errors.SerializationFailure])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            first, second = env["aftersales.part.reservation"].browse(
                ids["reservations"]
            )
            self.assertEqual(first.state, "confirmed")
            self.assertEqual(first.line_ids.availability, "reserved")
            # The retried confirmation: confirmed on fresh figures, the
            # shortage visible, one set of moves (the failed try left none).
            self.assertEqual(second.state, "confirmed")
            self.assertEqual(second.line_ids.availability, "none")
            self.assertTrue(second.ticket_id.has_part_shortage)
            self.assertEqual(len(second.line_ids.move_id), 1)
            self.assertEqual(
                env["procurement.group"].search_count([("name", "=", second.name)]),
                1,
            )
            quant = env["stock.quant"].search([("product_id", "=", ids["product"])])
            self.assertEqual((quant.quantity, quant.reserved_quantity), (1.0, 1.0))
            self.assertEqual(
                env["stock.move"].search_count([("product_id", "=", ids["product"])]),
                2,
            )
