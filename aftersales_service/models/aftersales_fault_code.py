from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError


def normalize_fault_code(code):
    """The one spelling of a fault code: stripped, upper-case ("e4 " -> "E4")."""
    return (code or "").strip().upper() or False


class AftersalesFaultCode(models.Model):
    """A diagnosed fault of a product category: what the customer sees
    (symptom), why it happens (cause) and how it is fixed (remedy).

    Tickets point to one entry, so a fault is counted once whatever the
    spelling: the three-guarantee repair count, batch-failure incidents and
    the KPIs group by this record."""

    _name = "aftersales.fault.code"
    _description = "After-Sales Fault Code"
    _order = "sequence, code, id"
    _rec_names_search = ["code", "name"]
    _check_company_auto = True

    # Identification
    code = fields.Char(
        required=True,
        help="Short code, e.g. E4. Stored in upper case: e4 and E4 are the same fault.",
    )
    name = fields.Char(
        string="Description",
        required=True,
        translate=True,
        help="Short description of the fault, e.g. Compressor fails to start.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the fault code between companies.",
    )
    categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        index=True,
        help="The fault applies to the products of this category and its "
        "sub-categories. Leave empty for a fault of every product.",
    )

    # Diagnosis
    symptom = fields.Text(
        translate=True, help="What the customer or the technician observes."
    )
    cause = fields.Text(translate=True, help="Why the fault happens.")
    remedy = fields.Text(translate=True, help="How the fault is fixed.")
    remedy_ids = fields.One2many(
        "aftersales.fault.remedy",
        "fault_code_id",
        string="Known Remedies",
        help="The ways this fault is fixed; the technician records on the "
        "ticket which one fixed it.",
    )

    ticket_count = fields.Integer(string="Tickets", compute="_compute_ticket_count")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("code", "name")
    def _compute_display_name(self):
        for fault in self:
            if fault.name and fault.name != fault.code:
                fault.display_name = f"{fault.code} - {fault.name}"
            else:
                fault.display_name = fault.code or fault.name

    def _compute_ticket_count(self):
        counts = self.env["aftersales.ticket"]._count_by("fault_code_id", self.ids)
        for fault in self:
            fault.ticket_count = counts.get(fault.id, 0)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    def init(self):
        # One code per company and category. Empty company or category are
        # values too ("shared", "every category"): a plain UNIQUE constraint
        # would let NULLs repeat, hence the COALESCE expressions.
        tools.create_unique_index(
            self.env.cr,
            "aftersales_fault_code_code_company_categ_uniq",
            self._table,
            ["code", "COALESCE(company_id, 0)", "COALESCE(categ_id, 0)"],
        )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model
    def _normalize_vals(self, vals):
        if "code" in vals:
            vals["code"] = normalize_fault_code(vals["code"])
            if not vals["code"]:
                raise ValidationError(_("Code: enter the fault code, e.g. E4."))
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._normalize_vals(dict(vals)) for vals in vals_list]
        default_company = False
        if any("company_id" not in vals for vals in vals_list):
            default_company = self.default_get(["company_id"]).get("company_id")
        self._ensure_codes_free(
            [
                (
                    vals.get("code"),
                    vals.get("company_id", default_company) or False,
                    vals.get("categ_id") or False,
                )
                for vals in vals_list
            ]
        )
        return super().create(vals_list)

    def write(self, vals):
        vals = self._normalize_vals(dict(vals))
        if {"code", "company_id", "categ_id"} & set(vals):
            self._ensure_codes_free(
                [
                    (
                        vals.get("code", fault.code),
                        vals.get("company_id", fault.company_id.id) or False,
                        vals.get("categ_id", fault.categ_id.id) or False,
                    )
                    for fault in self
                ],
                replaced=self,
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_tickets(self):
        self.ensure_one()
        return self.env["aftersales.ticket"]._action_view(
            [("fault_code_id", "=", self.id)]
        )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _ensure_codes_free(self, keys, replaced=None):
        """Refuse, before anything is written, a code already used in the
        same company and category (archived entries included), in any
        spelling. ``keys``: [(normalised code, company id, category id)];
        ``replaced``: the entries being rewritten, whose keys are given up.
        The unique index guards against concurrent creations."""
        Fault = self.sudo().with_context(active_test=False)
        domain = [("code", "in", [key[0] for key in keys])]
        if replaced:
            domain.append(("id", "not in", replaced.ids))
        taken = {
            (fault.code, fault.company_id.id, fault.categ_id.id): fault
            for fault in Fault.search(domain)
        }
        seen = set()
        for key in keys:
            code, __, categ_id = key
            category = (
                self.env["product.category"].browse(categ_id).sudo().display_name
                if categ_id
                else _("all categories")
            )
            if key in taken:
                raise ValidationError(
                    _(
                        "Fault code %(code)s already exists for %(category)s "
                        "(%(existing)s). Codes are not case-sensitive: use the "
                        "existing one or choose another code.",
                        code=code,
                        category=category,
                        existing=taken[key].display_name,
                    )
                )
            if key in seen:
                raise ValidationError(
                    _(
                        "Fault code %(code)s is given twice for %(category)s. "
                        "Codes are not case-sensitive: keep one.",
                        code=code,
                        category=category,
                    )
                )
            seen.add(key)

    # ------------------------------------------------------------------
    # Migration
    # ------------------------------------------------------------------

    @api.model
    def _migrate_from_free_text(self):
        """Turn the free-text ``fault_code`` column of the tickets into
        catalogue entries and link the tickets. Called by the 18.0.1.1.0
        post-migration, while the column of the removed field is still there
        (the update drops it only when it ends).

        One entry per company and normalised code (stripped, upper case); its
        category is the category of the tickets' products when they all share
        one, else empty. Existing entries are reused, so running it twice
        changes nothing. Returns the number of tickets linked."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT t.company_id,
                   upper(trim(t.fault_code)) AS code,
                   array_agg(DISTINCT pt.categ_id) AS categ_ids
              FROM aftersales_ticket t
              LEFT JOIN product_product pp ON pp.id = t.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE t.fault_code_id IS NULL
               AND trim(COALESCE(t.fault_code, '')) != ''
             GROUP BY t.company_id, upper(trim(t.fault_code))
            """
        )
        rows = cr.fetchall()
        if not rows:
            return 0
        Fault = self.sudo().with_context(active_test=False)
        existing = {
            (fault.company_id.id, fault.code, fault.categ_id.id): fault.id
            for fault in Fault.search([("code", "in", [row[1] for row in rows])])
        }
        targets = {}  # (company, code) -> fault code id
        vals_list = []
        for company_id, code, categ_ids in rows:
            categ_id = categ_ids[0] if len(categ_ids) == 1 and categ_ids[0] else False
            fault_id = existing.get((company_id, code, categ_id)) or existing.get(
                (company_id, code, False)
            )
            if fault_id:
                targets[company_id, code] = fault_id
            else:
                vals_list.append(
                    {
                        "code": code,
                        "name": code,
                        "company_id": company_id,
                        "categ_id": categ_id,
                    }
                )
        for fault in Fault.create(vals_list):
            targets[fault.company_id.id, fault.code] = fault.id
        self.env.flush_all()
        cr.execute(
            """
            UPDATE aftersales_ticket t
               SET fault_code_id = m.fault_code_id
              FROM (SELECT unnest(%s::int[]) AS company_id,
                           unnest(%s::varchar[]) AS code,
                           unnest(%s::int[]) AS fault_code_id) m
             WHERE t.fault_code_id IS NULL
               AND t.company_id = m.company_id
               AND upper(trim(t.fault_code)) = m.code
            """,
            [
                [key[0] for key in targets],
                [key[1] for key in targets],
                list(targets.values()),
            ],
        )
        linked = cr.rowcount
        self.env["aftersales.ticket"].invalidate_model(["fault_code_id"])
        return linked
