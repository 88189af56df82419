"""Fault catalogue in diagnosis: for the ticket's product and fault, how
similar solved cases were resolved (remedies and parts used, most frequent
first, from one aggregate query), and the parts requested in one click
through the reservation flow. Expectations computed by hand below."""

from odoo.exceptions import AccessError, UserError

from .test_parts import PartsCase


class TestSimilarCases(PartsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Quant = env["stock.quant"]
        Quant._update_available_quantity(cls.part_motor, cls.stock, 5)
        Quant._update_available_quantity(cls.part_board, cls.stock, 5)
        cls.categ_ac = env["product.category"].create({"name": "Air Conditioners"})
        cls.product_ac.categ_id = cls.categ_ac
        cls.product_ac2 = env["product.product"].create(
            {
                "name": "Air Conditioner X2",
                "is_storable": True,
                "categ_id": cls.categ_ac.id,
            }
        )
        Fault = env["aftersales.fault.code"]
        cls.e4 = Fault.create(
            {
                "code": "E4",
                "name": "Compressor fails to start",
                "categ_id": cls.categ_ac.id,
                "remedy_ids": [
                    (0, 0, {"name": "Replace the start capacitor"}),
                    (0, 0, {"name": "Replace the control board"}),
                ],
            }
        )
        cls.capacitor, cls.board_fix = cls.e4.remedy_ids
        cls.e6 = Fault.create(
            {
                "code": "E6",
                "name": "Fan blocked",
                "categ_id": cls.categ_ac.id,
                "remedy_ids": [(0, 0, {"name": "Free the fan"})],
            }
        )
        cls.stage_cancelled = env.ref("aftersales_service.stage_cancelled")
        cls.product_pump = env["product.product"].create(
            {
                "name": "Heat Pump H1",
                "is_storable": True,
                "categ_id": env["product.category"].create({"name": "Heat Pumps"}).id,
            }
        )
        cls._history()

    @classmethod
    def _case(cls, product, remedy, parts, fault=None, stage=None):
        """A ticket diagnosed by the technician, its parts reserved and
        consumed through the reservation flow, then closed at ``stage``."""
        ticket = cls._create_ticket(
            cls.env(user=cls.user_agent),
            technician_id=cls.emp_technician.id,
            product_id=product.id,
        )
        tech_ticket = ticket.with_user(cls.user_technician)
        tech_ticket.write(
            {
                "fault_code_id": (fault or cls.e4).id,
                "remedy_id": remedy.id if remedy else False,
            }
        )
        if parts:
            reservation = cls.env(user=cls.user_technician)[
                "aftersales.part.reservation"
            ].create(
                {
                    "ticket_id": ticket.id,
                    "line_ids": [
                        (0, 0, {"product_id": part.id, "product_qty": qty})
                        for part, qty in parts
                    ],
                }
            )
            reservation.action_confirm()
            reservation._consume(
                {
                    line: {"qty_consumed": line.product_qty}
                    for line in reservation.line_ids
                }
            )
        if stage is not False:
            tech_ticket.stage_id = stage or cls.stage_solved
        return ticket

    @classmethod
    def _history(cls):
        """Solved cases of E4:
        T1 AC X1, control board fix: board 1, filter 2
        T2 AC X1, control board fix: board 1
        T3 AC X1, capacitor: filter 1
        T4 AC X1, control board fix: board 2
        T5 AC X2 (same category), capacitor: motor 1
        Not counted: an open E4 case (board 1), an E6 case (filter 1), an
        E4 case cancelled (motor 1)."""
        cls._case(
            cls.product_ac,
            cls.board_fix,
            [(cls.part_board, 1), (cls.part_filter, 2)],
        )
        cls._case(cls.product_ac, cls.board_fix, [(cls.part_board, 1)])
        cls._case(cls.product_ac, cls.capacitor, [(cls.part_filter, 1)])
        cls._case(cls.product_ac, cls.board_fix, [(cls.part_board, 2)])
        cls._case(cls.product_ac2, cls.capacitor, [(cls.part_motor, 1)])
        cls._case(cls.product_ac, cls.board_fix, [(cls.part_board, 1)], stage=False)
        cls._case(
            cls.product_ac,
            cls.e6.remedy_ids,
            [(cls.part_filter, 1)],
            fault=cls.e6,
        )
        cls._case(
            cls.product_ac,
            cls.capacitor,
            [(cls.part_motor, 1)],
            stage=cls.stage_cancelled,
        )

    def _diagnosed(self, product):
        ticket = self._create_ticket(
            self.env(user=self.user_agent),
            technician_id=self.emp_technician.id,
            product_id=product.id,
        )
        ticket.with_user(self.user_technician).fault_code_id = self.e4
        return ticket.with_user(self.user_technician)

    def test_product_history_most_frequent_first(self):
        ticket = self._diagnosed(self.product_ac)
        history = ticket._similar_case_history()[ticket]
        # 4 solved E4 cases of AC X1 (>= 3): the product's own history.
        self.assertEqual(history["scope"], "product")
        self.assertEqual(history["cases"], 4)
        self.assertEqual(
            [(r["remedy"], r["cases"], r["share"]) for r in history["remedies"]],
            [(self.board_fix, 3, 75), (self.capacitor, 1, 25)],
        )
        # board: T1, T2, T4 = 3 cases, 1 + 1 + 2 = 4 units, usually 4 / 3 -> 1
        # filter: T1, T3 = 2 cases, 2 + 1 = 3 units, usually 3 / 2 -> 2
        self.assertEqual(
            [
                (p["product"], p["cases"], p["share"], p["qty"])
                for p in history["parts"]
            ],
            [(self.part_board, 3, 75, 1.0), (self.part_filter, 2, 50, 2.0)],
        )
        self.assertEqual(ticket.similar_case_count, 4)
        self.assertEqual(ticket.similar_case_scope, "product")
        self.assertEqual(ticket.similar_part_count, 2)
        html = ticket.similar_case_html
        self.assertIn("Replace the control board", html)
        self.assertLess(html.index("Control Board CB-7"), html.index("Filter F-2"))

    def test_category_history_when_the_product_has_few_cases(self):
        ticket = self._diagnosed(self.product_ac2)
        history = ticket._similar_case_history()[ticket]
        # AC X2 has 1 case (< 3): the category's 5 cases (T1-T5).
        self.assertEqual(history["scope"], "category")
        self.assertEqual(history["cases"], 5)
        self.assertEqual(
            [(r["remedy"], r["cases"]) for r in history["remedies"]],
            [(self.board_fix, 3), (self.capacitor, 2)],
        )
        self.assertEqual(
            [(p["product"], p["cases"], p["qty"]) for p in history["parts"]],
            [
                (self.part_board, 3, 1.0),
                (self.part_filter, 2, 2.0),
                (self.part_motor, 1, 1.0),
            ],
        )
        self.assertIn("Air Conditioners", ticket.similar_case_html)

    def test_no_history(self):
        # No solved E4 case of a heat pump, nor of its category.
        ticket = self._diagnosed(self.product_pump)
        self.assertEqual(ticket.similar_case_count, 0)
        self.assertFalse(ticket.similar_case_html)
        with (
            self.assertRaisesRegex(UserError, "No part was used in solved cases"),
            self.env.cr.savepoint(),
        ):
            ticket.action_request_similar_parts()

    def test_one_query_whatever_the_number_of_tickets(self):
        one = self._diagnosed(self.product_ac)
        three = (
            one | self._diagnosed(self.product_ac2) | self._diagnosed(self.product_ac)
        )
        self.env.flush_all()

        def count(tickets):
            self.env.invalidate_all()
            tickets = tickets.with_env(self.env)
            tickets.mapped("product_id.categ_id")
            tickets.mapped("fault_code_id")
            before = self.env.cr.sql_log_count
            history = tickets._similar_case_history()
            return self.env.cr.sql_log_count - before, history

        count(one)  # warm the registry caches (the unit category's xmlid)
        queries_one, __ = count(one)
        queries_three, history = count(three)
        self.assertEqual(len(history), 3)
        # the aggregate query, then the parts and their units read once
        self.assertEqual(queries_one, queries_three)
        self.assertLessEqual(queries_three, 5)

    def test_technician_requests_the_parts_in_one_click(self):
        ticket = self._diagnosed(self.product_ac)
        action = ticket.action_request_similar_parts()
        reservation = self.env["aftersales.part.reservation"].browse(action["res_id"])
        self.assertEqual(reservation.ticket_id, ticket)
        self.assertEqual(reservation.state, "draft")
        self.assertEqual(reservation.requested_by_id, self.user_technician)
        self.assertEqual(
            [(line.product_id, line.product_qty) for line in reservation.line_ids],
            [(self.part_board, 1.0), (self.part_filter, 2.0)],
        )
        # A second click adds nothing twice to the same draft request.
        self.assertEqual(
            ticket.action_request_similar_parts()["res_id"], reservation.id
        )
        self.assertEqual(len(reservation.line_ids), 2)
        # The existing flow reserves them in real stock.
        reservation.with_user(self.user_technician).action_confirm()
        self.assertEqual(reservation.state, "confirmed")
        self.assertEqual(set(reservation.line_ids.mapped("availability")), {"reserved"})

    def test_agent_adds_to_the_draft_request(self):
        ticket = self._diagnosed(self.product_ac).with_user(self.user_agent)
        draft = self._reserve(
            self.user_agent, [(self.part_filter, 1)], ticket=ticket, confirm=False
        )
        ticket.action_request_similar_parts()
        self.assertEqual(
            [(line.product_id, line.product_qty) for line in draft.line_ids],
            [(self.part_filter, 1.0), (self.part_board, 1.0)],
        )

    def test_requests_refused_where_they_do_not_apply(self):
        ticket = self._diagnosed(self.product_ac)
        other = self._create_ticket(
            technician_id=self.emp_technician2.id, product_id=self.product_ac.id
        )
        other.fault_code_id = self.e4
        with self.assertRaises(AccessError):
            other.with_user(self.user_technician).action_request_similar_parts()
        ticket.stage_id = self.stage_solved
        with (
            self.assertRaisesRegex(UserError, "is closed: no parts can be requested"),
            self.env.cr.savepoint(),
        ):
            ticket.action_request_similar_parts()

    def test_remedy_belongs_to_the_fault(self):
        ticket = self._diagnosed(self.product_ac)
        ticket.remedy_id = self.capacitor
        self.assertEqual(ticket.remedy_id, self.capacitor)
        ticket.fault_code_id = self.e6
        self.assertFalse(ticket.remedy_id)
        # Technicians read the catalogue; only managers maintain it.
        with self.assertRaises(AccessError):
            self.env(user=self.user_technician)["aftersales.fault.remedy"].create(
                {"fault_code_id": self.e4.id, "name": "Kick it"}
            )
