"""Warranties: terms, records created from deliveries, dates, states,
extensions, security (issue 4)."""

from contextlib import contextmanager
from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user

from .common import AftersalesCase

DELIVERY_DAY = "2026-01-10 09:00:00"


class WarrantyCase(AftersalesCase):
    """Warranty fixtures: a term with component lines on the air
    conditioner, spare parts in categories, a delivery helper."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Category = env["product.category"]
        cls.categ_parts = Category.create({"name": "Spare Parts"})
        cls.categ_electrical = Category.create(
            {"name": "Electrical", "parent_id": cls.categ_parts.id}
        )
        cls.categ_boards = Category.create(
            {"name": "Boards", "parent_id": cls.categ_electrical.id}
        )
        Product = env["product.product"]
        cls.part_board = Product.create(
            {"name": "Control Board", "categ_id": cls.categ_boards.id}
        )
        cls.part_remote = Product.create(
            {"name": "Remote Control", "categ_id": cls.categ_parts.id}
        )
        cls.part_filter = Product.create(
            {"name": "Air Filter", "categ_id": cls.categ_parts.id}
        )
        cls.exclusion_liquid = env.ref("aftersales_service.warranty_exclusion_liquid")
        cls.term_ac = env["aftersales.warranty.term"].create(
            {
                "name": "Air conditioner: 1 year",
                "duration": 1,
                "duration_unit": "year",
                "start_rule": "delivery",
                "component_ids": [
                    Command.create(
                        {
                            "name": "Electrical parts",
                            "categ_id": cls.categ_electrical.id,
                            "duration": 18,
                            "duration_unit": "month",
                        }
                    ),
                    Command.create(
                        {
                            "name": "Remote control",
                            "product_id": cls.part_remote.id,
                            "duration": 6,
                            "duration_unit": "month",
                        }
                    ),
                ],
            }
        )
        cls.product_ac.aftersales_warranty_term_id = cls.term_ac
        cls.term_washer = env["aftersales.warranty.term"].create(
            {
                "name": "Washer: 2 years from installation",
                "duration": 2,
                "duration_unit": "year",
                "start_rule": "installation",
                "labour_coverage": 50.0,
                "travel_coverage": 0.0,
            }
        )
        cls.product_washer.aftersales_warranty_term_id = cls.term_washer
        cls.warehouse = env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customer_location = env.ref("stock.stock_location_customers")

    @classmethod
    def _make_lots(cls, product, count, prefix):
        return cls.env["stock.lot"].create(
            [
                {"name": f"{prefix}-{i:05d}", "product_id": product.id}
                for i in range(count)
            ]
        )

    @classmethod
    def _deliver(cls, lots, partner, validate=True, **context):
        """Deliver the serials to ``partner`` in one picking."""
        env = cls.env(context=dict(cls.env.context, **context))
        for lot in lots:
            env["stock.quant"]._update_available_quantity(
                lot.product_id, cls.stock_location, 1, lot_id=lot
            )
        picking = env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.out_type_id.id,
                "partner_id": partner.id,
                "location_id": cls.stock_location.id,
                "location_dest_id": cls.customer_location.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": len(
                                lots.filtered(
                                    lambda lot, p=product: lot.product_id == p
                                )
                            ),
                            "product_uom": product.uom_id.id,
                            "location_id": cls.stock_location.id,
                            "location_dest_id": cls.customer_location.id,
                        }
                    )
                    for product in lots.product_id
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        assert picking.move_line_ids.lot_id == lots, "serials not reserved"
        picking.move_ids.picked = True
        if validate:
            result = picking.button_validate()
            assert result is True, result
        return picking

    @contextmanager
    def assertRaisesMessage(self, exception, regex):
        """assertRaises (which rolls back to a savepoint: nothing saved) and
        the exact message."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), regex)

    def _flush_tracking(self):
        """Write the tracking messages now, as a commit would."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    @classmethod
    def _receive(cls, lot, partner):
        """Carry-in: the customer brings the unit to the workshop (not a
        return of the sale)."""
        picking = cls.env["stock.picking"].create(
            {
                "picking_type_id": cls.warehouse.in_type_id.id,
                "partner_id": partner.id,
                "location_id": cls.customer_location.id,
                "location_dest_id": cls.stock_location.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": lot.product_id.name,
                            "product_id": lot.product_id.id,
                            "product_uom_qty": 1,
                            "product_uom": lot.product_id.uom_id.id,
                            "location_id": cls.customer_location.id,
                            "location_dest_id": cls.stock_location.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.move_ids.move_line_ids.unlink()
        picking.move_ids.move_line_ids = [
            Command.create(
                {
                    "product_id": lot.product_id.id,
                    "lot_id": lot.id,
                    "quantity": 1,
                    "location_id": cls.customer_location.id,
                    "location_dest_id": cls.stock_location.id,
                    "picking_id": picking.id,
                }
            )
        ]
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def _warranties(self, lots):
        return self.env["aftersales.warranty"].search([("lot_id", "in", lots.ids)])


class TestWarrantyTerm(WarrantyCase):
    def test_term_without_duration_is_refused(self):
        with self.assertRaisesMessage(
            ValidationError,
            r"^Duration: warranty term No time needs a duration of at least one "
            r"day, month or year\.$",
        ):
            self.env["aftersales.warranty.term"].create(
                {"name": "No time", "duration": 0}
            )
        self.assertFalse(
            self.env["aftersales.warranty.term"].search([("name", "=", "No time")])
        )

    def test_component_longer_than_configured_is_refused(self):
        self.term_ac.max_component_months = 24
        with self.assertRaisesMessage(
            ValidationError,
            r"^Duration: component Steel structure is covered longer than the 24 "
            r"months allowed by term Air conditioner: 1 year\.$",
        ):
            self.term_ac.component_ids = [
                Command.create(
                    {
                        "name": "Steel structure",
                        "duration": 3,
                        "duration_unit": "year",
                    }
                )
            ]
        # Lowering the limit under an existing line is refused too.
        with self.assertRaisesMessage(ValidationError, "Electrical parts"):
            self.term_ac.max_component_months = 12

    def test_exchange_shorter_than_return_is_refused(self):
        with self.assertRaisesMessage(
            ValidationError,
            r"exchange period \(5 days\) cannot be shorter than the return "
            r"period \(7 days\)",
        ):
            self.term_ac.exchange_days = 5

    def test_term_found_from_category_then_default(self):
        Term = self.env["aftersales.warranty.term"]
        term_categ = Term.create(
            {"name": "Category term", "duration": 6, "duration_unit": "month"}
        )
        self.categ_parts.aftersales_warranty_term_id = term_categ
        found = Term._find_for_products(
            self.part_board + self.product_ac + self.product_washer, self.company
        )
        # The board's own category has no term: its grand-parent's applies.
        self.assertEqual(found[self.part_board.id], term_categ)
        self.assertEqual(found[self.product_ac.id], self.term_ac)
        plain = self.env["product.product"].create({"name": "Plain"})
        found = Term._find_for_products(plain, self.company)
        self.assertEqual(
            found[plain.id], self.env.ref("aftersales_service.warranty_term_default")
        )

    def test_agent_reads_terms_manager_edits(self):
        term = self.term_ac.with_user(self.user_agent)
        self.assertEqual(term.duration, 1)
        with self.assertRaises(AccessError):
            term.duration = 3
        with self.assertRaises(AccessError):
            self.env["aftersales.warranty.exclusion"].with_user(self.user_agent).create(
                {"code": "X", "name": "X", "description": "X"}
            )
        self.term_ac.with_user(self.user_manager).duration = 2
        self.assertEqual(self.term_ac.duration, 2)


class TestWarrantyFromDelivery(WarrantyCase):
    def test_delivery_creates_one_warranty_per_serial(self):
        lots = self._make_lots(self.product_ac, 3, "DLV")
        with freeze_time(DELIVERY_DAY):
            picking = self._deliver(lots, self.customer)
        warranties = self._warranties(lots)
        self.assertEqual(len(warranties), 3)
        self.assertEqual(warranties.lot_id, lots)
        for warranty in warranties:
            self.assertTrue(warranty.name.startswith("WAR"))
            self.assertEqual(warranty.partner_id, self.customer)
            self.assertEqual(warranty.term_id, self.term_ac)
            self.assertEqual(warranty.picking_id, picking)
            self.assertEqual(warranty.state, "active")
            self.assertEqual(warranty.delivery_date, date(2026, 1, 10))
            self.assertEqual(warranty.start_date, date(2026, 1, 10))
            self.assertEqual(warranty.end_date, date(2027, 1, 9))
            ends = {c.name: c.end_date for c in warranty.component_ids}
            self.assertEqual(
                ends,
                {
                    "Electrical parts": date(2027, 7, 9),
                    "Remote control": date(2026, 7, 9),
                },
            )
        self.assertEqual(len(set(warranties.mapped("name"))), 3)

    def test_stock_user_validating_creates_the_warranties(self):
        """The warehouse clerk has no after-sales rights: the warranties are
        created all the same."""
        clerk = new_test_user(
            self.env, login="as_clerk", groups="stock.group_stock_user"
        )
        lots = self._make_lots(self.product_ac, 2, "CLK")
        picking = self._deliver(lots, self.customer, validate=False)
        with self.assertRaises(AccessError):
            self.env["aftersales.warranty"].with_user(clerk).search([])
        self.assertIs(picking.with_user(clerk).button_validate(), True)
        self.assertEqual(len(self._warranties(lots)), 2)

    def test_delivery_from_sale_order_links_the_order(self):
        lot = self._make_lots(self.product_ac, 1, "SO")
        self.env["stock.quant"]._update_available_quantity(
            self.product_ac, self.stock_location, 1, lot_id=lot
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_ac.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        self.assertEqual(picking.move_line_ids.lot_id, lot)
        picking.move_ids.picked = True
        picking.button_validate()
        warranty = self._warranties(lot)
        self.assertEqual(warranty.sale_order_id, order)
        self.assertEqual(order.aftersales_warranty_count, 1)
        self.assertEqual(lot.aftersales_warranty_count, 1)
        self.assertEqual(self.customer.aftersales_warranty_count, 1)
        action = order.action_view_aftersales_warranties()
        self.assertEqual(
            self.env["aftersales.warranty"].search(action["domain"]), warranty
        )
        action = lot.action_view_aftersales_warranties()
        self.assertEqual(
            self.env["aftersales.warranty"].search(action["domain"]), warranty
        )

    def test_batch_creation_query_count_does_not_grow(self):
        """The warranties of a whole picking are created in one batch: the
        same number of queries for 2 and for 8 serials."""
        small = self._make_lots(self.product_ac, 2, "QS")
        large = self._make_lots(self.product_ac, 8, "QL")
        picking_small = self._deliver(small, self.customer)
        picking_large = self._deliver(large, self.customer_other)
        # Made at delivery; removed to measure their creation alone.
        self._warranties(small + large).unlink()
        self.assertFalse(self._warranties(small + large))
        for picking in (picking_small, picking_large):
            self.env.invalidate_all()
            self.env.registry.clear_cache()
            with self.assertQueryCount(32):
                picking.move_ids._aftersales_create_warranties()
                self.env.flush_all()
        self.assertEqual(len(self._warranties(small)), 2)
        self.assertEqual(len(self._warranties(large)), 8)

    def test_redelivery_to_same_customer_keeps_the_warranty(self):
        lot = self._make_lots(self.product_ac, 1, "RD")
        with freeze_time(DELIVERY_DAY):
            self._deliver(lot, self.customer)
        first = self._warranties(lot)
        with freeze_time("2026-04-20 10:00:00"):
            self._receive(lot, self.customer)
        self.assertEqual(first.state, "active")
        with freeze_time("2026-05-01 10:00:00"):
            # Back from the workshop, delivered to the same customer again.
            self._deliver(lot, self.customer)
        self.assertEqual(self._warranties(lot), first)
        self.assertEqual(first.state, "active")

    def test_resold_serial_gets_a_new_warranty(self):
        lot = self._make_lots(self.product_ac, 1, "RS")
        with freeze_time(DELIVERY_DAY):
            self._deliver(lot, self.customer)
        first = self._warranties(lot)
        with freeze_time("2026-04-20 10:00:00"):
            # Taken back (e.g. traded in) and sold to someone else.
            self._receive(lot, self.customer)
        with freeze_time("2026-05-01 10:00:00"):
            picking = self._deliver(lot, self.customer_other)
        second = self._warranties(lot) - first
        self.assertEqual(len(second), 1)
        self.assertEqual(second.partner_id, self.customer_other)
        self.assertEqual(second.start_date, date(2026, 5, 1))
        self.assertEqual(first.state, "void")
        self.assertEqual(
            first.void_reason,
            f"Resold: serial delivered to {self.customer_other.display_name} with "
            f"{picking.name}.",
        )

    def test_returned_unit_voids_its_warranty(self):
        lot = self._make_lots(self.product_ac, 1, "RET")
        with freeze_time(DELIVERY_DAY):
            picking = self._deliver(lot, self.customer)
        warranty = self._warranties(lot)
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id,
                active_ids=picking.ids,
                active_model="stock.picking",
            )
        ).save()
        wizard.product_return_moves.quantity = 1
        action = wizard.action_create_returns()
        returned = self.env["stock.picking"].browse(action["res_id"])
        returned.action_assign()
        returned.move_ids.move_line_ids.write({"lot_id": lot.id, "quantity": 1})
        returned.move_ids.picked = True
        returned.button_validate()
        self.assertEqual(returned.state, "done")
        self.assertEqual(warranty.state, "void")
        self.assertEqual(
            warranty.void_reason,
            f"Returned by the customer with {returned.name}.",
        )

    def test_default_term_or_no_warranty(self):
        """A product without a term of its own gets the default term; with the
        default term archived, no warranty is created."""
        lot_a = self._make_lots(self.product_washer, 1, "DEF")
        lot_b = self._make_lots(self.product_washer, 1, "NONE")
        self.product_washer.aftersales_warranty_term_id = False
        self._deliver(lot_a, self.customer)
        default = self.env.ref("aftersales_service.warranty_term_default")
        self.assertEqual(self._warranties(lot_a).term_id, default)
        default.active = False
        self._deliver(lot_b, self.customer)
        self.assertFalse(self._warranties(lot_b))


class TestWarrantyRecord(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot_w1 = cls._make_lots(cls.product_washer, 1, "WM-M")

    def _manual_vals(self, **overrides):
        vals = {
            "partner_id": self.customer.id,
            "lot_id": self.lot_washer1.id,
            "term_id": self.term_washer.id,
            "delivery_date": "2026-01-10",
        }
        vals.update(overrides)
        return vals

    def test_manual_creation_for_units_sold_before(self):
        with freeze_time("2026-02-01"):
            warranty = (
                self.env["aftersales.warranty"]
                .with_user(self.user_manager)
                .create(self._manual_vals())
            )
        self.assertEqual(warranty.product_id, self.product_washer)
        # Installation not entered yet: the delivery date counts.
        self.assertEqual(warranty.start_date, date(2026, 1, 10))
        self.assertEqual(warranty.end_date, date(2028, 1, 9))
        self.assertEqual(warranty.state, "active")

    def test_import_old_units(self):
        result = (
            self.env["aftersales.warranty"]
            .with_user(self.user_manager)
            .load(
                ["partner_id/.id", "lot_id/.id", "term_id/.id", "delivery_date"],
                [
                    [
                        str(self.customer.id),
                        str(self.lot_washer1.id),
                        str(self.term_washer.id),
                        "2025-05-01",
                    ],
                    [
                        str(self.customer_other.id),
                        str(self.lot_w1.id),
                        str(self.term_washer.id),
                        "2025-06-01",
                    ],
                ],
            )
        )
        self.assertFalse(result["messages"])
        warranties = self.env["aftersales.warranty"].browse(result["ids"])
        self.assertEqual(
            warranties.mapped("end_date"), [date(2027, 4, 30), date(2027, 5, 31)]
        )
        self.assertEqual(warranties.product_id, self.product_washer)

    def test_old_unit_registered_expired(self):
        with freeze_time("2026-02-01"):
            warranty = self.env["aftersales.warranty"].create(
                self._manual_vals(delivery_date="2020-03-01")
            )
        self.assertEqual(warranty.state, "expired")

    def test_installation_date_moves_the_dates_tracked(self):
        with freeze_time("2026-02-01"):
            warranty = self.env["aftersales.warranty"].create(self._manual_vals())
            self._flush_tracking()
            warranty.with_user(self.user_manager).installation_date = "2026-01-20"
            self._flush_tracking()
        self.assertEqual(warranty.start_date, date(2026, 1, 20))
        self.assertEqual(warranty.end_date, date(2028, 1, 19))
        tracked = warranty.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "end_date"
        )
        self.assertEqual(tracked.old_value_datetime.date(), date(2028, 1, 9))
        self.assertEqual(tracked.new_value_datetime.date(), date(2028, 1, 19))
        # The delivery rule ignores the installation date.
        ac_lot = self._make_lots(self.product_ac, 1, "ACI")
        ac = self.env["aftersales.warranty"].create(
            self._manual_vals(
                lot_id=ac_lot.id,
                term_id=self.term_ac.id,
                installation_date="2026-02-01",
            )
        )
        self.assertEqual(ac.start_date, date(2026, 1, 10))

    def test_acceptance_rule_with_component_dates(self):
        self.term_washer.write(
            {
                "start_rule": "acceptance",
                "component_ids": [
                    Command.create(
                        {"name": "Motor", "duration": 5, "duration_unit": "year"}
                    )
                ],
            }
        )
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        self.assertEqual(warranty.component_ids.end_date, date(2031, 1, 9))
        warranty.write(
            {"installation_date": "2026-01-15", "acceptance_date": "2026-03-01"}
        )
        self.assertEqual(warranty.start_date, date(2026, 3, 1))
        self.assertEqual(warranty.component_ids.start_date, date(2026, 3, 1))
        self.assertEqual(warranty.component_ids.end_date, date(2031, 2, 28))

    def test_bad_dates_are_refused(self):
        with self.assertRaisesMessage(
            ValidationError,
            r"^Installation Date: 2026-01-01 is before the delivery on 2026-01-10\.$",
        ):
            self.env["aftersales.warranty"].create(
                self._manual_vals(installation_date="2026-01-01")
            )
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        with self.assertRaisesMessage(
            ValidationError,
            r"^End Date: component Board of warranty .* ends on 2026-01-01, before "
            r"it starts on 2026-02-01\.$",
        ):
            warranty.component_ids = [
                Command.create(
                    {
                        "name": "Board",
                        "kind": "repair",
                        "start_date": "2026-02-01",
                        "end_date": "2026-01-01",
                    }
                )
            ]

    def test_duplicate_active_warranty_is_refused(self):
        Warranty = self.env["aftersales.warranty"]
        first = Warranty.create(self._manual_vals())
        with self.assertRaisesMessage(
            ValidationError,
            rf"^Serial Number WM-0001 already has the active warranty {first.name} "
            rf"for {self.customer.display_name}\. Void or extend it instead of "
            r"creating another one\.$",
        ):
            Warranty.create(self._manual_vals(delivery_date="2026-02-01"))
        self.assertEqual(
            Warranty.search_count([("lot_id", "=", self.lot_washer1.id)]), 1
        )
        # Two at once in one batch: refused as well.
        with self.assertRaises(ValidationError):
            Warranty.create([self._manual_vals(lot_id=self.lot_w1.id)] * 2)
        # Another customer may hold an active warranty on the same serial.
        other = Warranty.create(self._manual_vals(partner_id=self.customer_other.id))
        self.assertEqual(other.state, "active")

    def test_expiry_by_cron(self):
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        with freeze_time("2028-01-09"):
            self.env["aftersales.warranty"]._cron_update_state()
            self.assertEqual(warranty.state, "active")
        with freeze_time("2028-01-10"):
            self.env["aftersales.warranty"]._cron_update_state()
            self.assertEqual(warranty.state, "expired")

    def test_void_by_manager_with_reason(self):
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        with self.assertRaises(AccessError):
            warranty.with_user(self.user_agent).write({"void_reason": "x"})
        with self.assertRaisesMessage(
            UserError, r"^Only an after-sales manager can void a warranty\.$"
        ):
            warranty.with_user(self.user_agent).action_void()
        as_manager = warranty.with_user(self.user_manager)
        with self.assertRaisesMessage(UserError, r"^Void Reason: say why warranty"):
            as_manager.action_void()
        self.assertEqual(warranty.state, "active")
        with freeze_time("2026-03-03"):
            as_manager.void_reason = "Liquid damage found on site"
            as_manager.action_void()
        self.assertEqual(warranty.state, "void")
        self.assertEqual(warranty.void_date, date(2026, 3, 3))
        # A void warranty no longer blocks a new one for the same serial.
        self.env["aftersales.warranty"].create(self._manual_vals())

    def test_agent_reads_cannot_create(self):
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        self.assertEqual(warranty.with_user(self.user_agent).end_date, date(2028, 1, 9))
        with self.assertRaises(AccessError):
            self.env["aftersales.warranty"].with_user(self.user_agent).create(
                self._manual_vals(lot_id=self.lot_w1.id)
            )
        with self.assertRaises(AccessError):
            warranty.with_user(self.user_plain).read(["end_date"])

    def test_portal_customer_reads_only_own(self):
        own = self.env["aftersales.warranty"].create(self._manual_vals())
        others = self.env["aftersales.warranty"].create(
            self._manual_vals(partner_id=self.customer_other.id, lot_id=self.lot_w1.id)
        )
        Warranty = self.env["aftersales.warranty"].with_user(self.portal_user)
        self.assertEqual(Warranty.search([]), own)
        self.assertEqual(own.with_user(self.portal_user).end_date, date(2028, 1, 9))
        with self.assertRaises(AccessError):
            others.with_user(self.portal_user).read(["end_date"])
        with self.assertRaises(AccessError):
            own.with_user(self.portal_user).write({"void_reason": "x"})

    def test_multi_company_rule(self):
        theirs = self.env["aftersales.warranty"].create(
            self._manual_vals(
                company_id=self.other_company.id,
                lot_id=self.lot_other_company.id,
                term_id=self.term_ac.id,
            )
        )
        self.assertFalse(
            self.env["aftersales.warranty"]
            .with_user(self.user_manager)
            .search([("id", "=", theirs.id)])
        )

    def test_certificate_renders(self):
        warranty = self.env["aftersales.warranty"].create(self._manual_vals())
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "aftersales_service.action_report_aftersales_warranty", warranty.ids
        )
        html = html.decode()
        self.assertIn("Warranty Certificate", html)
        self.assertIn("WM-0001", html)
        self.assertIn(warranty.name, html)


class TestWarrantyExtension(WarrantyCase):
    def test_selling_extension_extends_the_serial(self):
        lot = self._make_lots(self.product_ac, 1, "EXT")
        with freeze_time(DELIVERY_DAY):
            self._deliver(lot, self.customer)
        warranty = self._warranties(lot)
        service = self.env["product.product"].create(
            {
                "name": "Extended warranty +24 months",
                "type": "service",
                "aftersales_warranty_extension_months": 24,
                "aftersales_extension_travel_coverage": 0.0,
            }
        )
        # A salesperson sells the extension; an agent decides the charges.
        salesman = new_test_user(
            self.env,
            login="as_salesman",
            name="Ma Salesman",
            groups="sales_team.group_sale_salesman",
        )
        with freeze_time("2026-06-01 10:00:00"):
            order = (
                self.env["sale.order"]
                .with_user(salesman)
                .create(
                    {
                        "partner_id": self.customer.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": service.id,
                                    "aftersales_warranty_lot_id": lot.id,
                                }
                            )
                        ],
                    }
                )
            )
            order.action_confirm()
        self.assertEqual(order.order_line.aftersales_extended_warranty_id, warranty)
        self.assertEqual(warranty.base_end_date, date(2027, 1, 9))
        self.assertEqual(warranty.end_date, date(2029, 1, 9))
        self.assertIn(order.name, warranty.message_ids[0].body)
        self.assertEqual(warranty.extension_line_ids, order.order_line)
        # In the extended period, travel is no longer covered.
        with freeze_time("2027-06-01"):
            ticket = self._create_ticket(self.env(user=self.user_agent), lot_id=lot.id)
        ticket.action_decide_charges()
        decisions = {c.charge_type: (c.decision, c.reason) for c in ticket.charge_ids}
        self.assertEqual(
            decisions,
            {
                "labour": ("free", "unit warranty until 01/09/2029"),
                "travel": ("customer", "Travel not covered by the warranty term"),
            },
        )

    def test_extension_without_serial_is_refused(self):
        service = self.env["product.product"].create(
            {
                "name": "Extended warranty",
                "type": "service",
                "aftersales_warranty_extension_months": 12,
            }
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [Command.create({"product_id": service.id})],
            }
        )
        with self.assertRaisesMessage(
            UserError,
            r"^Serial Covered: choose the serial whose warranty Extended warranty "
            r"extends\.$",
        ):
            order.action_confirm()
