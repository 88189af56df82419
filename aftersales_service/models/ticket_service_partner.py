from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class AftersalesTicket(models.Model):
    """Tickets of teams operated by a service partner: the partner's
    technicians work them (record rules of the Partner Technician role) and
    are never put on another team's ticket."""

    _inherit = "aftersales.ticket"

    @api.model
    def _partner_technician_domain(self, prefix=""):
        """The tickets (or, with ``prefix``, the records whose ``prefix``
        path leads to a ticket or a visit) of the partner-operated teams
        whose technician pool holds the current user: what a partner
        technician works. The record rules say the same."""
        return [
            (f"{prefix}team_id.service_partner_id", "!=", False),
            (f"{prefix}team_id.technician_ids.user_id", "=", self.env.uid),
        ]

    @api.model
    def _partner_technician_subselect(self, fname):
        """SQL sub-select of ``fname`` over the tickets the current user
        works as a partner technician (for the rules of other models)."""
        query = self.sudo()._search(self._partner_technician_domain())
        return query.subselect(SQL.identifier(query.table, fname))

    @api.model
    def _partner_technician_scope_domain(self, operator, value, positive):
        """The search domain of an ``aftersales_partner_scope`` field:
        ``positive`` when the records are in the scope, negated else."""
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on the partner scope."))
        if (operator == "=") == value:
            return positive
        return ["!", *positive]

    @api.constrains("technician_id", "team_id")
    def _check_partner_technician_team(self):
        self.env["aftersales.team"]._check_partner_technicians(
            [(ticket, ticket.technician_id, ticket.team_id) for ticket in self]
        )
