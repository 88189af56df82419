import threading
import uuid
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date, split_every

from .aftersales_contract_template import RESPONSE_TIERS

CONTRACT_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]


class AftersalesContract(models.Model):
    """A service contract: a customer's units (or the customer as a whole)
    covered for a period, by coverage lines per period and mode, with
    counted services, a response tier, periodic inspections, a price and
    renewal terms. Activating it writes its entitlements, the rows every
    ticket and visit looks up."""

    _name = "aftersales.contract"
    _description = "Service Contract"
    _inherit = [
        "portal.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "aftersales.smart.button.mixin",
        "aftersales.inspection.plan.mixin",
    ]
    _order = "date_start desc, id desc"
    _aftersales_action = "aftersales_service.aftersales_contract_action"
    _check_company_auto = True

    # Identification
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
    currency_id = fields.Many2one(related="company_id.currency_id")
    # the portal token from the start: the customer's read-only pages never
    # create one on first view
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
    state = fields.Selection(
        CONTRACT_STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
        copy=False,
    )
    template_id = fields.Many2one(
        "aftersales.contract.template",
        string="Contract Template",
        check_company=True,
        tracking=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        default=lambda self: self.env.user,
        tracking=True,
        help="Reminded to renew the contract before it ends.",
    )

    # Who and what is covered
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
        precompute=True,
    )
    coverage = fields.Selection(
        [
            ("serials", "The Units Listed"),
            ("customer", "All the Customer's Units"),
        ],
        required=True,
        default="serials",
        tracking=True,
    )
    lot_ids = fields.Many2many(
        "stock.lot",
        "aftersales_contract_lot_rel",
        "contract_id",
        "lot_id",
        string="Serial Numbers",
        check_company=True,
    )
    lot_count = fields.Integer(compute="_compute_lot_count", string="Units")

    # Period and coverage
    date_start = fields.Date(
        string="Start",
        required=True,
        tracking=True,
        default=fields.Date.context_today,
    )
    date_end = fields.Date(
        string="End",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        "aftersales.contract.line", "contract_id", string="Coverage Lines", copy=True
    )
    entitlement_ids = fields.One2many(
        "aftersales.contract.entitlement", "contract_id", string="Entitlements"
    )
    usage_ids = fields.One2many(
        "aftersales.contract.usage", "contract_id", string="Services Used"
    )
    usage_count = fields.Integer(compute="_compute_usage_count", string="Used")
    response_tier = fields.Selection(
        RESPONSE_TIERS,
        required=True,
        default="standard",
        tracking=True,
        help="Service level policies can promise faster targets to a tier.",
    )
    inspection_interval = fields.Integer(
        string="Inspect Every (months)",
        help="A periodic inspection visit is planned this often; 0 for none.",
    )
    inspection_lead_days = fields.Integer(
        string="Plan Inspections Ahead (days)", default=30
    )

    # Price and renewal
    product_id = fields.Many2one(
        "product.product",
        string="Contract Product",
        check_company=True,
        help="The service product the contract is sold and renewed as.",
    )
    price = fields.Monetary(tracking=True)
    renewal_price = fields.Monetary(
        tracking=True, help="Price of the renewal quotation; empty: the price."
    )
    reminder_days = fields.Integer(
        string="Renewal Reminder (days before end)", default=30
    )
    reminder_date = fields.Date(
        compute="_compute_reminder_date",
        store=True,
        index=True,
        help="The day the renewal reminder is due.",
    )
    reminder_sent_date = fields.Date(readonly=True, copy=False)
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sold On",
        index="btree_not_null",
        readonly=True,
        copy=False,
        check_company=True,
    )
    sale_line_id = fields.Many2one(
        "sale.order.line", index="btree_not_null", readonly=True, copy=False
    )
    renewal_order_id = fields.Many2one(
        "sale.order",
        string="Renewal Quotation",
        index="btree_not_null",
        readonly=True,
        copy=False,
        check_company=True,
    )
    renewal_of_id = fields.Many2one(
        "aftersales.contract",
        string="Renews",
        index="btree_not_null",
        readonly=True,
        copy=False,
    )
    renewed_by_id = fields.Many2one("aftersales.contract", readonly=True, copy=False)
    can_activate = fields.Boolean(compute="_compute_can")
    can_renew = fields.Boolean(compute="_compute_can")
    inspection_count = fields.Integer(compute="_compute_inspection_count")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("template_id", "date_start")
    def _compute_date_end(self):
        for contract in self:
            if contract.template_id and contract.date_start:
                contract.date_end = (
                    contract.date_start
                    + relativedelta(months=contract.template_id.duration_months)
                    - timedelta(days=1)
                )
            elif not contract.date_end:
                contract.date_end = contract.date_start

    @api.depends("date_end", "reminder_days")
    def _compute_reminder_date(self):
        for contract in self:
            contract.reminder_date = contract.date_end and (
                contract.date_end - timedelta(days=contract.reminder_days)
            )

    @api.depends("lot_ids")
    def _compute_lot_count(self):
        for contract in self:
            contract.lot_count = len(contract.lot_ids)

    def _compute_usage_count(self):
        counts = self.env["aftersales.contract.usage"]._count_by(
            "contract_id", self.ids
        )
        for contract in self:
            contract.usage_count = counts.get(contract.id, 0)

    def _compute_inspection_count(self):
        Visit = self.env["aftersales.visit"]
        if not Visit.has_access("read"):
            # A salesperson reads the contract, not the field visits.
            self.inspection_count = 0
            return
        counts = {
            res_id: count
            for res_id, count in self.env["aftersales.visit"]._read_group(
                [
                    ("plan_res_model", "=", self._name),
                    ("plan_res_id", "in", self.ids),
                ],
                ["plan_res_id"],
                ["__count"],
            )
        }
        for contract in self:
            contract.inspection_count = counts.get(contract.id, 0)

    @api.depends("state", "renewal_order_id.state", "renewed_by_id")
    def _compute_can(self):
        for contract in self:
            contract.can_activate = contract.state == "draft"
            contract.can_renew = (
                contract.state in ("active", "expired")
                and not contract.renewed_by_id
                and (
                    not contract.renewal_order_id
                    or contract.renewal_order_id.state == "cancel"
                )
            )

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/contracts/{contract.id}"
        return res

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("price", "renewal_price", "reminder_days", "inspection_interval")
    def _check_amounts(self):
        for contract in self:
            if contract.price < 0 or contract.renewal_price < 0:
                raise ValidationError(
                    _(
                        "Contract %(name)s: a price cannot be negative.",
                        name=contract.name,
                    )
                )
            if contract.reminder_days < 0 or contract.inspection_interval < 0:
                raise ValidationError(
                    _(
                        "Contract %(name)s: the reminder days and the inspection "
                        "interval cannot be negative.",
                        name=contract.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_end < contract.date_start:
                raise ValidationError(
                    _(
                        "Contract %(name)s: the end (%(end)s) is before the start "
                        "(%(start)s).",
                        name=contract.name,
                        end=format_date(self.env, contract.date_end),
                        start=format_date(self.env, contract.date_start),
                    )
                )

    @api.constrains("state", "lot_ids", "date_start", "date_end", "coverage")
    def _check_overlap(self):
        """One serial, one contract at a time: two active contracts may not
        cover the same serial over overlapping periods. One query."""
        active = self.filtered(lambda c: c.state == "active")
        if not active:
            return
        self.flush_model(["state", "date_start", "date_end", "lot_ids"])
        self.env.cr.execute(
            """
            SELECT c.id, o.id, r.lot_id
              FROM aftersales_contract c
              JOIN aftersales_contract_lot_rel r ON r.contract_id = c.id
              JOIN aftersales_contract_lot_rel ro
                ON ro.lot_id = r.lot_id AND ro.contract_id != c.id
              JOIN aftersales_contract o ON o.id = ro.contract_id
             WHERE c.id = ANY(%s)
               AND o.state = 'active'
               AND o.date_start <= c.date_end
               AND o.date_end >= c.date_start
             LIMIT 1
            """,
            [active.ids],
        )
        row = self.env.cr.fetchone()
        if row:
            contract, other, lot = (
                self.browse(row[0]),
                self.sudo().browse(row[1]),
                self.env["stock.lot"].sudo().browse(row[2]),
            )
            raise ValidationError(
                _(
                    "Serial %(lot)s is already covered by contract %(other)s from "
                    "%(start)s to %(end)s: contract %(name)s cannot cover it over "
                    "the same period.",
                    lot=lot.name,
                    other=other.name,
                    start=format_date(self.env, other.date_start),
                    end=format_date(self.env, other.date_end),
                    name=contract.name,
                )
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        new = self.env._("New")
        todo = [v for v in vals_list if not v.get("name") or v["name"] == new]
        for vals, name in zip(todo, self._next_names(len(todo)), strict=True):
            vals["name"] = name
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self.usage_ids:
            raise UserError(
                _(
                    "Contract %(name)s has services used: cancel it instead of "
                    "deleting it.",
                    name=self.usage_ids[0].contract_id.name,
                )
            )

    @api.model
    def _next_names(self, count):
        if not count:
            return []
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search([("code", "=", "aftersales.contract")], limit=1)
        )
        if not sequence:
            return [self.env._("New")] * count
        return sequence._aftersales_next_batch(count)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _ensure_can_activate(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(
                    _(
                        "Contract %(name)s is not a draft: only a draft is activated.",
                        name=contract.name,
                    )
                )
            if contract.coverage == "serials" and not contract.lot_ids:
                raise UserError(
                    _(
                        "Contract %(name)s covers listed units: choose the "
                        "serial numbers it covers first.",
                        name=contract.name,
                    )
                )
            if not contract.line_ids:
                raise UserError(
                    _(
                        "Contract %(name)s has no coverage: add what it covers "
                        "(mode and months).",
                        name=contract.name,
                    )
                )

    def action_activate(self):
        """Draft → active: the entitlements are written (one create for the
        batch) and the open tickets of the units look them up again."""
        self.check_access("write")
        self._ensure_can_activate()
        self.write({"state": "active"})
        self.sudo()._generate_entitlements()
        self._refresh_tickets()
        return True

    def action_cancel(self):
        self.check_access("write")
        self.write({"state": "cancelled"})
        self.sudo().entitlement_ids.write({"active": False})
        self._refresh_tickets()
        return True

    def action_draft(self):
        self.check_access("write")
        for contract in self:
            if contract.state != "cancelled":
                raise UserError(
                    _(
                        "Contract %(name)s: only a cancelled contract goes back "
                        "to draft.",
                        name=contract.name,
                    )
                )
        entitlements = self.sudo().with_context(active_test=False).entitlement_ids
        used = entitlements.filtered("usage_ids")
        if used:
            raise UserError(
                _(
                    "Contract %(name)s has services used: it cannot go back to "
                    "draft. Renew it or sell a new one.",
                    name=used[0].contract_id.name,
                )
            )
        entitlements.unlink()
        self.write({"state": "draft"})
        return True

    def action_renew(self):
        """One click: the renewal quotation (same product, units and
        customer; the renewal price), opened for the salesperson."""
        self.ensure_one()
        self.check_access("read")
        if not self.can_renew:
            raise UserError(
                _(
                    "Contract %(name)s cannot be renewed now: it is %(state)s or "
                    "already has a renewal quotation.",
                    name=self.name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        self.state
                    ],
                )
            )
        order = self._create_renewal_orders()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": order.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def _create_renewal_orders(self):
        """The renewal quotations of ``self``: one create for the batch."""
        products = {
            contract.id: contract.product_id
            or contract.template_id.sudo().product_ids[:1].product_variant_id
            for contract in self
        }
        missing = self.filtered(lambda c: not products[c.id])
        if missing:
            raise UserError(
                _(
                    "Contract %(name)s: no service product sells its template; "
                    "set the contract product first.",
                    name=missing[0].name,
                )
            )
        orders = self.env["sale.order"].create(
            [self._prepare_renewal_order_vals(products[c.id], c) for c in self]
        )
        for contract, order in zip(self, orders, strict=True):
            contract.sudo().renewal_order_id = order
            contract.sudo().message_post(
                body=_("Renewal quotation %(order)s created.", order=order.name),
                subtype_xmlid="mail.mt_note",
            )
        return orders

    @api.model
    def _prepare_renewal_order_vals(self, product, contract):
        start = contract.date_end + timedelta(days=1)
        return {
            "partner_id": contract.partner_id.id,
            "company_id": contract.company_id.id,
            "origin": contract.name,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "name": _(
                            "%(product)s: renewal of %(contract)s from %(start)s",
                            product=product.display_name,
                            contract=contract.name,
                            start=format_date(self.env, start),
                        ),
                        "price_unit": contract.renewal_price or contract.price,
                        "aftersales_contract_lot_ids": [
                            Command.set(contract.lot_ids.ids)
                        ],
                        "aftersales_renewal_of_id": contract.id,
                    }
                )
            ],
        }

    def action_view_usages(self):
        self.ensure_one()
        return self.env["aftersales.contract.usage"]._action_view(
            [("contract_id", "=", self.id)]
        )

    def action_view_lots(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Serial Numbers"),
            "res_model": "stock.lot",
            "view_mode": "list,form",
            "domain": [("id", "in", self.lot_ids.ids)],
        }

    # ------------------------------------------------------------------
    # Entitlements
    # ------------------------------------------------------------------

    def _prepare_entitlement_vals(self):
        """One entitlement per coverage line and covered unit (or one per
        line for the customer as a whole), dated from the contract start."""
        self.ensure_one()
        vals_list = []
        lots = self.lot_ids if self.coverage == "serials" else [False]
        for line in self.line_ids:
            date_from = self.date_start + relativedelta(months=line.month_from)
            date_to = min(
                self.date_start
                + relativedelta(months=line.month_to)
                - timedelta(days=1),
                self.date_end,
            )
            if date_from > self.date_end:
                continue
            for lot in lots:
                vals_list.append(
                    {
                        "contract_id": self.id,
                        "line_id": line.id,
                        "company_id": self.company_id.id,
                        "partner_id": self.commercial_partner_id.id,
                        "lot_id": lot and lot.id,
                        "resolution_mode": line.resolution_mode,
                        "date_from": date_from,
                        "date_to": date_to,
                        "quantity": line.quantity,
                        "covers_parts": line.covers_parts,
                    }
                )
        return vals_list

    def _generate_entitlements(self):
        return self.env["aftersales.contract.entitlement"].create(
            [vals for contract in self for vals in contract._prepare_entitlement_vals()]
        )

    def _refresh_tickets(self):
        """The open tickets of the covered units (or customers) look up
        their entitlement again."""
        Ticket = self.env["aftersales.ticket"].sudo()
        domain = [("is_closed", "=", False)]
        lots = self.lot_ids
        partners = self.filtered(lambda c: c.coverage == "customer").mapped(
            "commercial_partner_id"
        )
        if not lots and not partners:
            return
        tickets = Ticket.search(
            domain
            + [
                "|",
                ("lot_id", "in", lots.ids),
                ("partner_id.commercial_partner_id", "in", partners.ids),
            ]
        )
        tickets._refresh_entitlement()

    # ------------------------------------------------------------------
    # Periodic inspections (the generator of the inspection plan mixin)
    # ------------------------------------------------------------------

    @api.model
    def _inspections_due(self, today, horizon_days=None):
        """[(contract id, due date)]: the start plus whole multiples of the
        interval, within the contract, from today to today + the lead days
        (or ``horizon_days``), for active contracts with units; not planned
        yet. One query."""
        self.flush_model(
            [
                "state",
                "date_start",
                "date_end",
                "inspection_interval",
                "inspection_lead_days",
                "lot_ids",
            ]
        )
        self.env["aftersales.visit"].flush_model(
            ["plan_res_model", "plan_res_id", "plan_due_date"]
        )
        self.env.cr.execute(
            """
            SELECT c.id, d.due
              FROM aftersales_contract c
             CROSS JOIN LATERAL generate_series(
                       1,
                       (extract(year FROM age(c.date_end, c.date_start)) * 12
                        + extract(month FROM age(c.date_end, c.date_start)))::int
                       / c.inspection_interval + 1
                   ) AS k
             CROSS JOIN LATERAL (
                   SELECT (c.date_start
                           + make_interval(months => k * c.inspection_interval)
                          )::date AS due
                   ) d
             WHERE c.state = 'active'
               AND c.inspection_interval > 0
               AND d.due >= %(today)s
               AND d.due <= c.date_end
               AND d.due <= %(today)s::date
                            + COALESCE(%(horizon)s, c.inspection_lead_days)
               AND EXISTS (
                   SELECT 1 FROM aftersales_contract_lot_rel r
                    WHERE r.contract_id = c.id)
               AND NOT EXISTS (
                   SELECT 1
                     FROM aftersales_visit v
                    WHERE v.plan_res_model = 'aftersales.contract'
                      AND v.plan_res_id = c.id
                      AND v.plan_due_date = d.due)
             ORDER BY c.id, d.due
            """,
            {"today": today, "horizon": horizon_days},
        )
        return self.env.cr.fetchall()

    def _inspection_plans(self, due_dates):
        """One inspection visit per contract and due date, for its units
        (the ticket names the first; the symptom lists them all)."""
        plans = []
        for contract in self:
            lot = contract.lot_ids[:1]
            plans.append(
                {
                    "source": contract,
                    "partner": contract.partner_id,
                    "lot": lot,
                    "product": lot.product_id,
                    "company": contract.company_id,
                    "due_dates": due_dates[contract.id],
                    "ticket_vals": {
                        "symptom": _(
                            "Periodic inspection under contract %(contract)s of "
                            "the units %(lots)s.",
                            contract=contract.name,
                            lots=", ".join(contract.lot_ids.mapped("name")),
                        )
                    },
                }
            )
        return plans

    # ------------------------------------------------------------------
    # Renewal reminders and expiry (daily job)
    # ------------------------------------------------------------------

    @api.model
    def _cron_renewal(self, batch_size=1000, limit=None):
        """Expire the contracts that ended, then remind the salesperson (an
        activity) and the customer (an e-mail) of the contracts whose
        reminder date has come. Reads only what is due (indexed dates), in
        batches of ``batch_size``: one write, one activity create and one
        batch of e-mails per batch, committed one by one, so 100,000
        contracts never sit in one transaction. Returns (expired,
        reminded)."""
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        today = fields.Date.context_today(self)
        Contract = self.sudo()
        self.flush_model(["state", "date_end", "reminder_date", "reminder_sent_date"])
        self.env.cr.execute(
            """
            SELECT id FROM aftersales_contract
             WHERE state = 'active' AND date_end < %s
             ORDER BY id
            """,
            [today],
        )
        expired_ids = [row[0] for row in self.env.cr.fetchall()]
        for chunk in split_every(batch_size, expired_ids):
            Contract.browse(chunk).with_context(tracking_disable=True).write(
                {"state": "expired"}
            )
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        self.env.cr.execute(
            """
            SELECT id FROM aftersales_contract
             WHERE state = 'active'
               AND reminder_date <= %s
               AND reminder_sent_date IS NULL
               AND renewal_order_id IS NULL
               AND renewed_by_id IS NULL
             ORDER BY id
            """,
            [today],
        )
        due_ids = [row[0] for row in self.env.cr.fetchall()]
        if limit:
            due_ids = due_ids[:limit]
        for chunk in split_every(batch_size, due_ids):
            Contract.browse(chunk)._send_renewal_reminders(today)
            if auto_commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.invalidate_all()
        return len(expired_ids), len(due_ids)

    def _send_renewal_reminders(self, today):
        activity_type = self.env.ref(
            "mail.mail_activity_data_todo", raise_if_not_found=False
        )
        model = self.env["ir.model"]._get(self._name)
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model.id,
                    "res_id": contract.id,
                    "activity_type_id": activity_type.id,
                    "user_id": (contract.user_id or self.env.ref("base.user_root")).id,
                    "date_deadline": max(contract.date_end, today),
                    "summary": _(
                        "Renew %(contract)s (ends %(end)s)",
                        contract=contract.name,
                        end=format_date(self.env, contract.date_end),
                    ),
                }
                for contract in self
            ]
        )
        template = self.env.ref(
            "aftersales_service.mail_template_contract_renewal",
            raise_if_not_found=False,
        )
        if template:
            template.send_mail_batch(self.ids)
        self.write({"reminder_sent_date": today})
