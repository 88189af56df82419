"""Two users reserve the last unit of a part at the same moment.

The test class's own cursor never commits: the scenario runs in separate
cursors from ``self.registry.cursor()``, commits its own data and removes it
again in a cleanup."""

import threading
import time
from datetime import datetime, timedelta
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

    def _setup_committed(self, stock=1, confirm_second=False):
        """Two technicians, two tickets, ``stock`` units in stock, two draft
        reservations of one unit (the second confirmed if
        ``confirm_second``): committed, so that other transactions see them."""
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
                product, warehouse.lot_stock_id, stock
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
            if confirm_second:
                reservations[1].action_confirm()
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
            moves = env["stock.move"].search(
                [
                    "|",
                    ("group_id", "in", groups.ids),
                    ("product_id", "=", ids["product"]),
                ]
            )
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
                DELETE FROM sale_order WHERE id IN (
                    SELECT order_id FROM sale_order_line
                     WHERE product_id = %(product)s);
                DELETE FROM stock_valuation_layer WHERE product_id = %(product)s;
                DELETE FROM stock_move_line WHERE move_id IN %(moves)s;
                DELETE FROM stock_move WHERE id IN %(moves)s;
                DELETE FROM stock_picking WHERE id IN %(pickings)s;
                DELETE FROM aftersales_part_reservation_line
                 WHERE reservation_id IN %(reservations)s;
                DELETE FROM aftersales_part_reservation WHERE id IN %(reservations)s;
                DELETE FROM procurement_group WHERE id IN %(groups)s;
                DELETE FROM stock_quant WHERE product_id = %(product)s;
                DELETE FROM mail_activity
                 WHERE res_model = 'aftersales.part.reservation'
                   AND res_id IN %(reservations)s;
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

    # ------------------------------------------------------------------
    # Quants: reserved quantity equal to what the moves reserve
    # ------------------------------------------------------------------

    def _run_against_open_confirmation(self, second_operation, through_retrying=True):
        """The first technician confirms reservation 1 (not committed yet)
        while ``second_operation(env2, reservation 2)`` runs in another
        cursor: returns (waited on the first, outcome)."""
        ids = self._setup_committed(stock=5, confirm_second=True)
        first_id, second_id = ids["reservations"]
        user1, user2 = ids["users"]
        outcome = {"calls": 0, "errors": []}
        cr1 = self.registry.cursor()
        cr2 = self.registry.cursor()
        try:
            cr1.execute(LOCK_TIMEOUT)
            cr2.execute(LOCK_TIMEOUT)
            cr2.execute("SELECT pg_backend_pid()")
            pid2 = cr2.fetchone()[0]
            env1 = api.Environment(cr1, user1, {})
            env1["aftersales.part.reservation"].browse(first_id).action_confirm()
            env1.flush_all()

            def operation(env2):
                outcome["calls"] += 1
                try:
                    second = env2["aftersales.part.reservation"].browse(second_id)
                    result = second_operation(env2, second)
                    env2.flush_all()
                    return result
                except Exception as error:
                    outcome["errors"].append(type(error))
                    raise

            def second_user():
                env2 = api.Environment(cr2, user2, {})
                try:
                    if through_retrying:
                        retrying(partial(operation, env2), env2)
                    else:
                        operation(env2)
                        cr2.commit()
                    outcome["result"] = "done"
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
        return ids, blocked, outcome

    def _assert_quants_agree(self, product_id):
        """One quant per product, location, lot, package and owner, none
        reserving less than zero or more than it holds, and per location the
        reserved quantity equal to what the open moves reserve (the load
        test's check)."""
        with self.registry.cursor() as cr:
            cr.execute(
                """
                SELECT q.location_id, count(*), sum(q.quantity),
                       sum(q.reserved_quantity),
                       min(q.reserved_quantity)
                  FROM stock_quant q
                  JOIN stock_location l ON l.id = q.location_id
                 WHERE q.product_id = %s AND l.usage = 'internal'
                 GROUP BY q.location_id, q.lot_id, q.package_id, q.owner_id
                """,
                [product_id],
            )
            quants = cr.fetchall()
            cr.execute(
                """
                SELECT ml.location_id, sum(ml.quantity)
                  FROM stock_move_line ml
                  JOIN stock_move m ON m.id = ml.move_id
                  JOIN stock_location l ON l.id = ml.location_id
                 WHERE ml.product_id = %s AND l.usage = 'internal'
                   AND m.state NOT IN ('draft', 'done', 'cancel')
                 GROUP BY ml.location_id
                """,
                [product_id],
            )
            reserved_by_moves = dict(cr.fetchall())
        for location_id, count, quantity, reserved, lowest in quants:
            self.assertEqual(count, 1, f"quants split in location {location_id}")
            self.assertGreaterEqual(lowest, 0.0)
            self.assertLessEqual(reserved, quantity)
            self.assertEqual(reserved, reserved_by_moves.pop(location_id, 0.0))
        self.assertFalse(reserved_by_moves, "moves reserve what no quant holds")

    def test_consumption_waits_for_a_confirmation_of_the_same_part(self):
        """A technician consumes the part reserved for one ticket while a
        stock user confirms another reservation of it: the consumption waits
        for the quant, is retried once (serialization failure) and the
        quants' reservations stay exactly what the moves reserve. Without
        the wait, Odoo booked the consumption on a new quant (-1 on hand, -1
        reserved) next to the locked one: the split from which the load
        test's reserved quantities drifted."""

        def consume(env2, second):
            wizard = (
                env2["aftersales.part.consume.wizard"]
                .with_context(default_reservation_id=second.id)
                .create({"reservation_id": second.id})
            )
            return wizard.action_confirm()

        ids, blocked, outcome = self._run_against_open_confirmation(consume)
        self.assertEqual(outcome.get("result"), "done", outcome)
        self._assert_quants_agree(ids["product"])
        self.assertTrue(blocked, "the consumption did not wait for the quant")
        self.assertEqual(outcome["errors"], [psycopg2.errors.SerializationFailure])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            first, second = env["aftersales.part.reservation"].browse(
                ids["reservations"]
            )
            self.assertEqual((first.state, second.state), ("confirmed", "done"))
            quant = env["stock.quant"].search(
                [
                    ("product_id", "=", ids["product"]),
                    ("location_id", "=", first.location_id.id),
                ]
            )
            self.assertEqual((quant.quantity, quant.reserved_quantity), (4.0, 1.0))

    def test_cancel_waits_for_a_confirmation_of_the_same_part(self):
        """Cancelling a reservation while another of the same part is being
        confirmed: the release waits for the quant and is retried; the
        reservations stay equal to the moves."""
        ids, blocked, outcome = self._run_against_open_confirmation(
            lambda env2, second: second.action_cancel()
        )
        self.assertEqual(outcome.get("result"), "done", outcome)
        self._assert_quants_agree(ids["product"])
        self.assertTrue(blocked, "the release did not wait for the quant")
        self.assertEqual(outcome["errors"], [psycopg2.errors.SerializationFailure])
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            first, second = env["aftersales.part.reservation"].browse(
                ids["reservations"]
            )
            self.assertEqual((first.state, second.state), ("confirmed", "cancel"))

    def test_expiry_job_meets_a_confirmation_of_the_same_part(self):
        """The expiry job releases a reservation whose part another user is
        confirming: it waits for the quant, finds it changed, keeps what it
        did, logs no error and asks to run again; the next run releases it.
        The quants' reservations stay equal to the moves throughout."""
        cron = self.env.ref("aftersales_service.ir_cron_aftersales_part_expiry")

        def expire(env2, second):
            env2.cr.execute(
                "UPDATE aftersales_part_reservation SET date_expiry = %s WHERE id = %s",
                [datetime.now() - timedelta(hours=1), second.id],
            )
            return env2["aftersales.part.reservation"].sudo()._cron_release_expired()

        with self.assertNoLogs("odoo.addons.aftersales_service", "WARNING"):
            ids, blocked, outcome = self._run_against_open_confirmation(
                expire, through_retrying=False
            )
        self.assertEqual(outcome.get("result"), "done", outcome)
        self._assert_quants_agree(ids["product"])
        self.assertTrue(blocked, "the job did not wait for the quant")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            second = env["aftersales.part.reservation"].browse(ids["reservations"][1])
            self.assertEqual(second.state, "confirmed")
            triggers = env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertTrue(triggers, "the job did not ask to run again")
            triggers.unlink()
            # The next run (fresh transaction) releases it.
            env["aftersales.part.reservation"]._cron_release_expired()
            self.assertEqual(second.state, "expired")
            cr.commit()
        self._assert_quants_agree(ids["product"])
