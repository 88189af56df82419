"""Parts that keep coming: reordering rules from the demand forecast, and a
reservation's shortage replenished through Odoo's procurement (a resupply
transfer from another warehouse), its expected date from that transfer."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError

from .test_parts import PartsCase


class TestReorderingRules(PartsCase):
    def _forecast(self, product, minimum):
        Forecast = self.env["aftersales.part.forecast"].sudo()
        Forecast.search(
            [("product_id", "=", product.id), ("warehouse_id", "=", self.warehouse.id)]
        ).unlink()
        return Forecast.create(
            {
                "product_id": product.id,
                "warehouse_id": self.warehouse.id,
                "company_id": self.company.id,
                "suggested_min_qty": minimum,
            }
        )

    def _orderpoints(self, product):
        return (
            self.env["stock.warehouse.orderpoint"]
            .with_context(active_test=False)
            .search([("product_id", "=", product.id)])
        )

    def test_one_click_creates_then_updates_the_rules(self):
        board = self._forecast(self.part_board, 4)
        filter_ = self._forecast(self.part_filter, 12)
        Forecast = self.env["aftersales.part.forecast"].with_user(
            self.user_stock_manager
        )
        action = Forecast.browse((board | filter_).ids).action_update_orderpoints()
        rule = self._orderpoints(self.part_board)
        self.assertEqual(len(rule), 1)
        self.assertEqual(
            (rule.warehouse_id, rule.location_id, rule.product_min_qty),
            (self.warehouse, self.stock, 4.0),
        )
        self.assertEqual(self._orderpoints(self.part_filter).product_min_qty, 12.0)
        self.assertEqual(
            set(action["domain"][0][2]),
            set((rule | self._orderpoints(self.part_filter)).ids),
        )
        # The forecast grows: the same rule is updated, never duplicated.
        board = self._forecast(self.part_board, 6)
        Forecast.browse(board.ids).action_update_orderpoints()
        rule = self._orderpoints(self.part_board)
        self.assertEqual(len(rule), 1)
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (6.0, 6.0))

    def test_stock_user_cannot_change_the_rules(self):
        board = self._forecast(self.part_board, 4)
        with self.assertRaises(AccessError):
            board.with_user(self.user_stock).action_update_orderpoints()
        self.assertFalse(self._orderpoints(self.part_board))


class TestShortageProcurement(PartsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.depot = cls.env["stock.warehouse"].create(
            {"name": "Ningbo Depot", "code": "NBD", "company_id": cls.company.id}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.part_motor, cls.depot.lot_stock_id, 5
        )

    def test_shortage_without_resupply_route_gets_a_receipt(self):
        """No warehouse to resupply from: the warehouse's own reception rule
        (Vendors to Stock) answers with a receipt to be filled."""
        reservation = self._reserve(self.user_technician, [(self.part_motor, 2)])
        line = reservation.line_ids
        self.assertTrue(line.is_shortage)
        line.with_user(self.user_stock).action_replenish()
        receipt = line.sudo().replenishment_picking_id
        self.assertEqual(receipt.location_id.usage, "supplier")
        self.assertEqual(receipt.location_dest_id, self.stock)
        self.assertEqual(line.replenishment_ref, receipt.name)
        line.invalidate_recordset(["expected_date"])
        self.assertEqual(line.expected_date, receipt.scheduled_date)

    def test_shortage_resupplied_from_another_warehouse(self):
        self.warehouse.resupply_wh_ids = [Command.set(self.depot.ids)]
        reservation = self._reserve(self.user_technician, [(self.part_motor, 2)])
        line = reservation.line_ids
        self.assertEqual(line.availability, "none")
        # The technician does not trigger purchases or transfers.
        with self.assertRaisesRegex(AccessError, "Only the stock staff"):
            line.with_user(self.user_technician).action_replenish()
        self.assertFalse(line.replenishment_ref)
        reservation.with_user(self.user_stock).action_replenish()
        receipt = line.sudo().replenishment_picking_id
        self.assertTrue(receipt)
        self.assertEqual(receipt.picking_type_id, self.warehouse.in_type_id)
        self.assertEqual(receipt.location_dest_id, self.stock)
        self.assertEqual(receipt.move_ids.product_uom_qty, 2.0)
        self.assertEqual(line.replenishment_ref, receipt.name)
        # The depot ships them: a real delivery from its own stock.
        shipment = self.env["stock.move"].search(
            [
                ("group_id", "=", reservation.sudo().procurement_group_id.id),
                ("location_id", "=", self.depot.lot_stock_id.id),
            ]
        )
        self.assertEqual(shipment.product_uom_qty, 2.0)
        # The expected date is the receipt's scheduled date, and follows it.
        line.invalidate_recordset(["expected_date", "availability"])
        self.assertEqual(line.expected_date, receipt.scheduled_date)
        self.assertEqual(line.availability, "expected")
        receipt.scheduled_date = datetime(2031, 5, 4, 9, 0)
        line.invalidate_recordset(["expected_date"])
        self.assertEqual(line.expected_date, datetime(2031, 5, 4, 9, 0))
        self.assertIn(receipt.name, reservation.message_ids[0].body)

    def test_nothing_short_nothing_to_replenish(self):
        reservation = self._reserve(self.user_technician, [(self.part_board, 1)])
        with self.assertRaisesRegex(UserError, "^Nothing to replenish"):
            reservation.line_ids.with_user(self.user_stock).action_replenish()
