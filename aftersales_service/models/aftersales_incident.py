from collections import defaultdict
from datetime import timedelta

from odoo import Command, _, api, fields, models


class AftersalesIncident(models.Model):
    """A batch failure: many tickets about one product, one lot or one fault
    code in a short window, handled by the three-level emergency plan."""

    _name = "aftersales.incident"
    _description = "After-Sales Batch-Failure Incident"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state desc, level desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    scope = fields.Selection(
        [("product", "Product"), ("lot", "Lot / Batch"), ("fault", "Fault")],
        required=True,
        default="product",
    )
    product_id = fields.Many2one("product.product", index=True, check_company=True)
    lot_id = fields.Many2one(
        "stock.lot", string="Lot / Serial", index=True, check_company=True
    )
    fault_code_id = fields.Many2one(
        "aftersales.fault.code",
        index="btree_not_null",
        check_company=True,
        help="The same fault diagnosed on many tickets, whatever the product.",
    )
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        required=True,
        default="open",
        index=True,
        tracking=True,
    )
    level_id = fields.Many2one(
        "aftersales.escalation.level",
        string="Emergency Level",
        domain="[('scope', '=', 'incident')]",
        tracking=True,
    )
    level = fields.Integer(string="Level", related="level_id.level", store=True)
    responsible = fields.Selection(related="level_id.recipient")
    responsible_user_id = fields.Many2one(
        "res.users", string="Responsible", tracking=True
    )
    ticket_ids = fields.Many2many(
        "aftersales.ticket",
        "aftersales_incident_ticket_rel",
        "incident_id",
        "ticket_id",
        string="Tickets",
        check_company=True,
    )
    ticket_count = fields.Integer(
        string="Tickets in Window",
        readonly=True,
        help="Tickets received for this product, lot or fault within the "
        "rolling window when the incident was last updated.",
    )
    raised_date = fields.Datetime(string="Level Since", readonly=True)
    response_deadline = fields.Datetime(string="Response Due", tracking=True)
    response_label = fields.Char(related="level_id.response_label")
    recall_deadline = fields.Datetime(string="Recall Plan Due", tracking=True)
    closed_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "scope_subject",
            "CHECK((scope = 'fault' AND fault_code_id IS NOT NULL) "
            "OR (scope != 'fault' AND product_id IS NOT NULL))",
            "A product or lot incident needs its product, a fault incident its "
            "fault code.",
        ),
    ]

    def action_close(self):
        self.write({"state": "closed", "closed_date": fields.Datetime.now()})

    def action_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "aftersales_service.aftersales_ticket_action"
        )
        action["domain"] = [("id", "in", self.ticket_ids.ids)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Detection
    # ------------------------------------------------------------------

    @api.model
    def _incident_levels(self, company):
        Level = self.env["aftersales.escalation.level"].sudo()
        return Level.browse(
            Level._level_ids("incident", company.id, "min_ticket_count")
        )

    @api.model
    def _register_tickets(self, tickets):
        """Count the tickets of the products, lots and fault codes of
        ``tickets`` in the rolling window (one aggregate query per company and
        kind), open or raise the incidents, and link new tickets to the open
        incident."""
        for company, levels, company_tickets in self._by_company(tickets):
            # planned work (inspections) is not a failure of the product
            with_product = company_tickets.filtered(
                lambda t: t.product_id and not t.is_planned_work
            )
            if with_product:
                self._register_company_tickets(with_product, company, levels)
            self._register_faults(company_tickets, company, levels)

    @api.model
    def _register_diagnosed_tickets(self, tickets):
        """Tickets whose fault code was found after intake join the count
        per fault (their product and lot were counted at intake)."""
        for company, levels, company_tickets in self._by_company(
            tickets.filtered("fault_code_id")
        ):
            self._register_faults(company_tickets, company, levels)

    @api.model
    def _by_company(self, tickets):
        """(company, incident levels, tickets) for each company of
        ``tickets`` that has incident levels."""
        for company in tickets.company_id:
            levels = self._incident_levels(company)
            if levels:
                yield (
                    company,
                    levels,
                    tickets.filtered(lambda t, c=company: t.company_id == c),
                )

    @api.model
    def _register_faults(self, tickets, company, levels):
        """The same fault code on many tickets in the window, across
        products: one incident per fault code. Tickets received before the
        window (diagnosed late) are left out."""
        now = fields.Datetime.now()
        since = now - timedelta(days=levels[0].window_days)
        tickets = tickets.filtered(
            lambda t: t.fault_code_id and t.received_date >= since
        )
        if not tickets:
            return
        Ticket = self.env["aftersales.ticket"].sudo()
        window_domain = [
            ("company_id", "=", company.id),
            ("received_date", ">=", since),
            ("fault_code_id", "in", tickets.fault_code_id.ids),
        ]
        counts = dict(Ticket._read_group(window_domain, ["fault_code_id"], ["__count"]))
        open_incidents = {
            incident.fault_code_id: incident
            for incident in self.search(
                [
                    ("state", "=", "open"),
                    ("scope", "=", "fault"),
                    ("company_id", "=", company.id),
                    ("fault_code_id", "in", tickets.fault_code_id.ids),
                ]
            )
        }
        for fault in tickets.fault_code_id:
            self._register_subject(
                company,
                levels,
                open_incidents.get(fault),
                counts.get(fault, 0),
                tickets.filtered(lambda t, f=fault: t.fault_code_id == f),
                lambda f=fault: self._prepare_fault_incident_vals(
                    company,
                    f,
                    Ticket.search(window_domain[:2] + [("fault_code_id", "=", f.id)]),
                ),
                now,
            )

    @api.model
    def _register_company_tickets(self, tickets, company, levels):
        Ticket = self.env["aftersales.ticket"].sudo()
        now = fields.Datetime.now()
        since = now - timedelta(days=levels[0].window_days)
        window_domain = [
            ("company_id", "=", company.id),
            ("received_date", ">=", since),
            ("product_id", "in", tickets.product_id.ids),
            ("is_planned_work", "=", False),
        ]
        product_counts = defaultdict(int)
        lot_counts = {}
        for product, lot, count in Ticket._read_group(
            window_domain, ["product_id", "lot_id"], ["__count"]
        ):
            product_counts[product] += count
            if lot:
                lot_counts[lot] = count
        open_incidents = {
            (incident.product_id, incident.lot_id): incident
            for incident in self.search(
                [
                    ("state", "=", "open"),
                    ("company_id", "=", company.id),
                    ("product_id", "in", tickets.product_id.ids),
                ]
            )
        }
        no_lot = self.env["stock.lot"]
        keys = [
            (product, no_lot, product_counts[product]) for product in tickets.product_id
        ]
        keys += [
            (lot.product_id, lot, lot_counts.get(lot, 0)) for lot in tickets.lot_id
        ]
        for product, lot, count in keys:
            if lot:
                new_tickets = tickets.filtered(lambda t, lt=lot: t.lot_id == lt)
            else:
                new_tickets = tickets.filtered(lambda t, p=product: t.product_id == p)
            lot_domain = [("lot_id", "=", lot.id)] if lot else []
            self._register_subject(
                company,
                levels,
                open_incidents.get((product, lot)),
                count,
                new_tickets,
                lambda p=product, lt=lot, d=lot_domain: self._prepare_incident_vals(
                    company,
                    p,
                    lt,
                    Ticket.search(window_domain + [("product_id", "=", p.id)] + d),
                ),
                now,
            )

    @api.model
    def _register_subject(
        self, company, levels, incident, count, new_tickets, prepare_vals, now
    ):
        """Open (with ``prepare_vals()``), update or raise the incident of one
        product, lot or fault that has ``count`` tickets in the window."""
        level = levels.filtered(lambda lvl: lvl.min_ticket_count <= count)[-1:]
        if not incident and not level:
            return
        if not incident:
            incident = self.create(prepare_vals())
        else:
            incident.ticket_ids = [Command.link(t.id) for t in new_tickets]
        incident.ticket_count = count
        if level and level.min_ticket_count > incident.level_id.min_ticket_count:
            incident._raise_level(level, now)

    @api.model
    def _prepare_incident_vals(self, company, product, lot, tickets):
        if lot:
            name = _(
                "Batch failure: %(product)s, lot %(lot)s",
                product=product.display_name,
                lot=lot.name,
            )
        else:
            name = _("Batch failure: %(product)s", product=product.display_name)
        return {
            "name": name,
            "company_id": company.id,
            "scope": "lot" if lot else "product",
            "product_id": product.id,
            "lot_id": lot.id,
            "ticket_ids": [Command.set(tickets.ids)],
        }

    @api.model
    def _prepare_fault_incident_vals(self, company, fault, tickets):
        return {
            "name": _("Batch failure: fault %(fault)s", fault=fault.display_name),
            "company_id": company.id,
            "scope": "fault",
            "fault_code_id": fault.id,
            "ticket_ids": [Command.set(tickets.ids)],
        }

    def _raise_level(self, level, now):
        """Move the incident to ``level``: deadlines, responsible, notice."""
        self.ensure_one()
        team = self.ticket_ids.sorted("id")[-1:].team_id
        responsible = level._get_recipient(team)
        recall = (
            now + timedelta(hours=level.recall_hours) if level.recall_hours else False
        )
        self.write(
            {
                "level_id": level.id,
                "raised_date": now,
                "responsible_user_id": responsible.id,
                "response_deadline": now + timedelta(hours=level.response_hours),
                "recall_deadline": recall,
            }
        )
        body = _(
            "%(count)s tickets in the window: emergency level %(level)s "
            "(%(name)s). %(response)s due %(deadline)s UTC.",
            count=self.ticket_count,
            level=level.level,
            name=level.name,
            response=level.response_label or _("Response"),
            deadline=self.response_deadline,
        )
        if responsible:
            self.message_subscribe(partner_ids=responsible.partner_id.ids)
        self.message_post(
            body=body,
            subtype_xmlid="mail.mt_comment",
            partner_ids=responsible.partner_id.ids,
        )
        if responsible:
            # the message above already notified them: no second e-mail
            self.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=fields.Date.to_date(self.response_deadline),
                summary=level.response_label or level.name,
                note=body,
                user_id=responsible.id,
            )
