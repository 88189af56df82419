from collections import defaultdict
from datetime import timedelta

from odoo import Command, _, api, fields, models


class AftersalesIncident(models.Model):
    """A batch failure: many tickets about one product or one lot in a short
    window, handled by the three-level emergency plan."""

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
        [("product", "Product"), ("lot", "Lot / Batch")],
        required=True,
        default="product",
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, check_company=True
    )
    lot_id = fields.Many2one(
        "stock.lot", string="Lot / Serial", index=True, check_company=True
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
        help="Tickets received for this product or lot within the rolling "
        "window when the incident was last updated.",
    )
    raised_date = fields.Datetime(string="Level Since", readonly=True)
    response_deadline = fields.Datetime(string="Response Due", tracking=True)
    response_label = fields.Char(related="level_id.response_label")
    recall_deadline = fields.Datetime(string="Recall Plan Due", tracking=True)
    closed_date = fields.Datetime(readonly=True)

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
        return (
            self.env["aftersales.escalation.level"]
            .sudo()
            .search(
                [("scope", "=", "incident"), ("company_id", "=", company.id)],
                order="min_ticket_count",
            )
        )

    @api.model
    def _register_tickets(self, tickets):
        """Count the tickets of the products and lots of ``tickets`` in the
        rolling window (one aggregate query per company), open or raise the
        incidents, and link new tickets to the open incident."""
        tickets = tickets.filtered("product_id")
        for company in tickets.company_id:
            levels = self._incident_levels(company)
            if levels:
                self._register_company_tickets(
                    tickets.filtered(lambda t, c=company: t.company_id == c),
                    company,
                    levels,
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
            level = levels.filtered(lambda lvl, n=count: lvl.min_ticket_count <= n)[-1:]
            incident = open_incidents.get((product, lot))
            if not incident and not level:
                continue
            if lot:
                new_tickets = tickets.filtered(lambda t, lt=lot: t.lot_id == lt)
            else:
                new_tickets = tickets.filtered(lambda t, p=product: t.product_id == p)
            if not incident:
                lot_domain = [("lot_id", "=", lot.id)] if lot else []
                in_window = Ticket.search(
                    window_domain + [("product_id", "=", product.id)] + lot_domain
                )
                incident = self.create(
                    self._prepare_incident_vals(company, product, lot, in_window)
                )
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
