from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_date

LOAN_STATES = [
    ("draft", "To Lend"),
    ("lent", "Lent"),
    ("returned", "Returned"),
    ("cancelled", "Cancelled"),
]

LOAN_ALERTS = [
    ("none", "On Time"),
    ("yellow", "Overdue"),
    ("red", "Long Overdue"),
]

RETURN_CONDITIONS = [
    ("good", "Good, Complete"),
    ("incomplete", "Accessories Missing"),
    ("damaged", "Damaged"),
]

# Days lent when the ticket has no resolution deadline.
DEFAULT_LOAN_DAYS = 7


class AftersalesLoan(models.Model):
    _name = "aftersales.loan"
    _description = "Loaner Unit Lent"
    _inherit = ["mail.thread", "mail.activity.mixin", "aftersales.smart.button.mixin"]
    _order = "id desc"
    _aftersales_action = "aftersales_service.aftersales_loan_action"
    _check_company_auto = True

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    state = fields.Selection(
        LOAN_STATES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        tracking=True,
    )

    # The case and the customer
    ticket_id = fields.Many2one(
        "aftersales.ticket",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        readonly=True,
    )
    partner_id = fields.Many2one(
        related="ticket_id.partner_id", store=True, index=True, string="Customer"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        domain="[('share', '=', False)]",
        help="Reminded when the loaner is overdue: the ticket's owner.",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Service Point Warehouse",
        compute="_compute_warehouse_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        check_company=True,
    )

    # The loaner
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('tracking', '=', 'serial'), ('is_storable', '=', True)]",
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Loaner Serial",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('product_id', '=', product_id)]",
    )

    # Dates
    date_lent = fields.Datetime(string="Lent On", readonly=True, copy=False)
    expected_return_date = fields.Date(
        compute="_compute_expected_return_date",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
        help="The ticket's expected resolution: the customer brings the "
        "loaner back when their own unit is back.",
    )
    date_returned = fields.Datetime(string="Returned On", readonly=True, copy=False)
    alert = fields.Selection(
        LOAN_ALERTS,
        compute="_compute_alert",
        store=True,
        index=True,
        help="Overdue: past the expected return date. Long overdue: more "
        "than the warehouse's red threshold past it.",
    )
    overdue_days = fields.Integer(compute="_compute_alert", store=True)
    customer_reminded_alert = fields.Selection(
        LOAN_ALERTS,
        string="Customer Reminded",
        readonly=True,
        copy=False,
        help="The overdue level the customer was last e-mailed about: one "
        "e-mail when overdue, one more when long overdue.",
    )

    # Condition check at return
    return_condition = fields.Selection(RETURN_CONDITIONS, tracking=True, copy=False)
    return_note = fields.Text(string="Condition Notes", copy=False)

    # Transfers
    out_picking_id = fields.Many2one(
        "stock.picking",
        string="Lending Transfer",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    in_picking_id = fields.Many2one(
        "stock.picking",
        string="Return Transfer",
        readonly=True,
        copy=False,
        groups="stock.group_stock_user",
    )
    out_picking_ref = fields.Char(
        string="Lent With", compute="_compute_picking_refs", compute_sudo=True
    )
    in_picking_ref = fields.Char(
        string="Taken Back With", compute="_compute_picking_refs", compute_sudo=True
    )

    _sql_constraints = [
        (
            "expected_after_lent",
            "CHECK(date_lent IS NULL OR expected_return_date >= date_lent::date)",
            "The expected return date cannot be before the day the loaner is lent.",
        ),
    ]

    def init(self):
        # one serial is lent once at a time, whatever the code path
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS aftersales_loan_lot_lent_uniq
               ON aftersales_loan (lot_id) WHERE state = 'lent'"""
        )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("ticket_id")
    def _compute_user_id(self):
        for loan in self:
            loan.user_id = loan.ticket_id.owner_id or self.env.user

    @api.depends("ticket_id")
    def _compute_warehouse_id(self):
        for loan in self:
            if loan.ticket_id:
                loan.warehouse_id = loan.ticket_id.sudo()._carry_in_warehouse()
            elif not loan.warehouse_id:
                loan.warehouse_id = False

    @api.depends("ticket_id")
    def _compute_expected_return_date(self):
        today = fields.Date.context_today(self)
        for loan in self:
            lines = loan.ticket_id.sudo().sla_ids.filtered(
                lambda line: line.target_type == "resolution" and line.deadline
            )
            deadline = lines[:1].deadline
            loan.expected_return_date = (
                deadline.date() if deadline else today + timedelta(DEFAULT_LOAN_DAYS)
            )

    @api.depends(
        "state", "expected_return_date", "warehouse_id.aftersales_loan_red_days"
    )
    def _compute_alert(self):
        today = fields.Date.context_today(self)
        for loan in self:
            days = 0
            if loan.state == "lent" and loan.expected_return_date:
                days = max((today - loan.expected_return_date).days, 0)
            loan.overdue_days = days
            if not days:
                loan.alert = "none"
            elif days > loan.warehouse_id.aftersales_loan_red_days:
                loan.alert = "red"
            else:
                loan.alert = "yellow"

    @api.depends("out_picking_id", "in_picking_id")
    def _compute_picking_refs(self):
        for loan in self:
            loan.out_picking_ref = loan.out_picking_id.name or False
            loan.in_picking_ref = loan.in_picking_id.name or False

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        new = self.env._("New")
        Sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == new:
                vals["name"] = Sequence.next_by_code("aftersales.loan") or new
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_lent(self):
        if any(loan.state != "draft" for loan in self):
            raise UserError(
                _("A loaner lent or returned stays on record: cancel a draft only.")
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_lend(self):
        """Hand the loaner over to the customer: a delivery from the pool,
        validated at once."""
        self._ensure_loan_agent()
        for loan in self:
            loan._ensure_can_lend()
            picking = loan._create_picking("out")
            picking._action_done()
            loan.sudo().write(
                {
                    "state": "lent",
                    "date_lent": fields.Datetime.now(),
                    "out_picking_id": picking.id,
                }
            )
            loan.ticket_id.message_post(
                body=_(
                    "Loaner %(product)s %(lot)s lent (%(loan)s, %(picking)s), "
                    "expected back on %(date)s.",
                    product=loan.product_id.display_name,
                    lot=loan.lot_id.name,
                    loan=loan.name,
                    picking=picking.name,
                    date=format_date(self.env, loan.expected_return_date),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_take_back(self):
        """The customer brought the loaner back: a receipt into the pool
        (a damaged one goes to the defective stock), with the condition
        checked."""
        self._ensure_loan_agent()
        for loan in self:
            loan.check_access("write")
            if loan.state != "lent":
                raise UserError(
                    _(
                        "Loan %(loan)s is not lent: nothing to take back.",
                        loan=loan.name,
                    )
                )
            if not loan.return_condition:
                raise UserError(
                    _(
                        "Condition: check the loaner %(lot)s and record its "
                        "condition before taking it back.",
                        lot=loan.lot_id.name,
                    )
                )
            picking = loan._create_picking("in")
            picking._action_done()
            late = loan.overdue_days
            loan.sudo().write(
                {
                    "state": "returned",
                    "date_returned": fields.Datetime.now(),
                    "in_picking_id": picking.id,
                }
            )
            loan.activity_ids.sudo().action_feedback(feedback=_("Loaner taken back."))
            condition = dict(RETURN_CONDITIONS)[loan.return_condition]
            loan.ticket_id.message_post(
                body=_(
                    "Loaner %(lot)s taken back (%(picking)s), condition: "
                    "%(condition)s%(late)s.",
                    lot=loan.lot_id.name,
                    picking=picking.name,
                    condition=condition,
                    late=_(", %(days)s days late", days=late) if late else "",
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_cancel(self):
        self._ensure_loan_agent()
        for loan in self:
            if loan.state != "draft":
                raise UserError(
                    _(
                        "Loan %(loan)s was lent: take the loaner back instead.",
                        loan=loan.name,
                    )
                )
        self.write({"state": "cancelled"})
        return True

    def action_view_ticket(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "aftersales.ticket",
            "res_id": self.ticket_id.id,
            "view_mode": "form",
        }

    @api.model
    def action_loaner_availability(self):
        """The loaner units free in each service point's pool, by product."""
        pools = (
            self.env["stock.warehouse"]
            .sudo()
            .search([("company_id", "in", self.env.companies.ids)])
            .aftersales_loaner_location_id
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Loaner Availability"),
            "res_model": "stock.quant",
            "view_mode": "list",
            "views": [
                (
                    self.env.ref("aftersales_service.stock_quant_view_list_loaner").id,
                    "list",
                )
            ],
            "domain": [("location_id", "in", pools.ids), ("quantity", ">", 0)],
            "context": {
                "group_by": ["location_id", "product_id"],
                "create": False,
            },
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _ensure_loan_agent(self):
        if not self.env.user.has_group("aftersales_service.group_aftersales_user_own"):
            raise AccessError(
                _("Only after-sales agents and managers lend and take back loaners.")
            )

    def _ensure_can_lend(self):
        """The loaner is free in the service point's pool and the ticket
        open: every check before anything is written."""
        self.ensure_one()
        self.check_access("write")
        self.ticket_id.check_access("write")
        if self.state != "draft":
            raise UserError(_("Loan %(loan)s was already lent.", loan=self.name))
        if self.ticket_id.is_closed:
            raise UserError(
                _(
                    "%(ticket)s is closed: no loaner is lent on a closed ticket.",
                    ticket=self.ticket_id.name,
                )
            )
        other = self.sudo().search(
            [("lot_id", "=", self.lot_id.id), ("state", "=", "lent")], limit=1
        )
        if other:
            raise UserError(
                _(
                    "Loaner %(lot)s is already lent to %(customer)s (%(loan)s, "
                    "ticket %(ticket)s) until %(date)s: choose another one.",
                    lot=self.lot_id.name,
                    customer=other.partner_id.display_name,
                    loan=other.name,
                    ticket=other.ticket_id.name,
                    date=format_date(self.env, other.expected_return_date),
                )
            )
        warehouse = self.warehouse_id.sudo()
        if not warehouse.aftersales_loaner_location_id:
            warehouse._aftersales_loaner_setup()
        pool = warehouse.aftersales_loaner_location_id
        quants = (
            self.env["stock.quant"]
            .sudo()
            .search(
                [
                    ("lot_id", "=", self.lot_id.id),
                    ("location_id", "child_of", pool.id),
                    ("quantity", ">", 0),
                ]
            )
        )
        if not quants or sum(quants.mapped("reserved_quantity")) >= 1:
            raise UserError(
                _(
                    "Loaner %(lot)s is not free in the loaner pool of "
                    "%(warehouse)s: put it into %(pool)s first, or choose "
                    "another one.",
                    lot=self.lot_id.name,
                    warehouse=warehouse.name,
                    pool=pool.display_name,
                )
            )

    def _create_picking(self, flow):
        """The lending ("out") or return ("in") transfer of the loaner's
        serial, with the serial set; run as superuser (agents have no
        stock rights), who asked is logged."""
        self.ensure_one()
        warehouse = self.warehouse_id.sudo()
        customers = self.partner_id.sudo().property_stock_customer or self.env.ref(
            "stock.stock_location_customers"
        )
        pool = warehouse.aftersales_loaner_location_id
        if flow == "out":
            picking_type = warehouse.aftersales_loan_out_type_id
            source, destination = pool, customers
        else:
            picking_type = warehouse.aftersales_loan_in_type_id
            source = customers
            destination = (
                warehouse.aftersales_defective_location_id
                if self.return_condition == "damaged"
                and warehouse.aftersales_defective_location_id
                else pool
            )
        product = self.product_id
        picking = (
            self.env["stock.picking"]
            .sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True)
            .create(
                {
                    "picking_type_id": picking_type.id,
                    "partner_id": self.partner_id.id,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "origin": f"{self.name}, {self.ticket_id.name}",
                    "company_id": self.company_id.id,
                    "aftersales_guarantee_ticket_id": self.ticket_id.id,
                    "aftersales_guarantee_flow": f"loan_{flow}",
                    "aftersales_loan_id": self.id,
                    "move_type": "direct",
                    "move_ids": [
                        Command.create(
                            {
                                "name": product.display_name,
                                "product_id": product.id,
                                "product_uom_qty": 1.0,
                                "product_uom": product.uom_id.id,
                                "location_id": source.id,
                                "location_dest_id": destination.id,
                                "company_id": self.company_id.id,
                            }
                        )
                    ],
                }
            )
        )
        picking.action_confirm()
        picking.do_unreserve()
        self.env["stock.move.line"].sudo().create(
            {
                "move_id": picking.move_ids.id,
                "picking_id": picking.id,
                "product_id": product.id,
                "lot_id": self.lot_id.id,
                "quantity": 1.0,
                "location_id": source.id,
                "location_dest_id": destination.id,
            }
        )
        picking.move_ids.picked = True
        picking._message_log(
            body=_(
                "Loaner %(loan)s for %(ticket)s, recorded by %(user)s.",
                loan=self.name,
                ticket=self.ticket_id.name,
                user=self.env.user.name,
            )
        )
        return picking

    @api.model
    def _cron_remind_overdue(self):
        """Overdue loaners: their alert (and their tickets' colour) follow
        the calendar, the responsible gets a to-do once per loan and the
        customer an e-mail once per overdue level."""
        today = fields.Date.context_today(self)
        lent = self.search([("state", "=", "lent")])
        # the calendar moved: compute again, and what depends on it (the
        # tickets' loaner alert and traffic light)
        self.env.add_to_compute(self._fields["alert"], lent)
        self.env.add_to_compute(self._fields["overdue_days"], lent)
        lent.modified(["alert", "overdue_days"])
        self.env.flush_all()
        overdue = lent.filtered(lambda loan: loan.expected_return_date < today)
        todo = self.env.ref("mail.mail_activity_data_todo")
        reminded = set(
            self.env["mail.activity"]
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", overdue.ids),
                    ("activity_type_id", "=", todo.id),
                ]
            )
            .mapped("res_id")
        )
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": loan.id,
                "activity_type_id": todo.id,
                "date_deadline": today,
                "summary": _("Loaner %(lot)s overdue", lot=loan.lot_id.name),
                "note": _(
                    "%(customer)s was to bring loaner %(lot)s back on %(date)s "
                    "(ticket %(ticket)s).",
                    customer=loan.partner_id.display_name,
                    lot=loan.lot_id.name,
                    date=format_date(
                        self.env,
                        loan.expected_return_date,
                        lang_code=loan.user_id.lang or False,
                    ),
                    ticket=loan.ticket_id.name,
                ),
                "user_id": loan.user_id.id or self.env.user.id,
            }
            for loan in overdue
            if loan.id not in reminded
        ]
        # one batch; the to-do shows in the responsible's activities
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            vals_list
        )
        overdue._remind_customers()
        return overdue

    def _remind_customers(self):
        """E-mail the customers of overdue loaners, in their language, once
        per overdue level (overdue, then long overdue): one batch for the
        set; the level told is kept, so a rerun tells nobody twice."""
        rank = {alert: index for index, (alert, __) in enumerate(LOAN_ALERTS)}
        loans = self.filtered(
            lambda loan: (
                rank[loan.alert or "none"]
                > rank[loan.customer_reminded_alert or "none"]
                and loan.partner_id.email
            )
        )
        if not loans:
            return loans
        template = self.env.ref("aftersales_service.mail_template_loan_overdue")
        template.send_mail_batch(loans.ids)
        for alert, told in loans.grouped("alert").items():
            told.write({"customer_reminded_alert": alert})
        return loans
