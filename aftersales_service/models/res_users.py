from odoo import fields, models

from .res_partner import CONTACT_FIELDS, mask_contact_value


class ResUsers(models.Model):
    _inherit = "res.users"

    aftersales_team_ids = fields.Many2many(
        "aftersales.team",
        "aftersales_team_member_rel",
        "user_id",
        "team_id",
        string="After-Sales Teams",
    )

    def _read_format(self, fnames, load="_classic_read"):
        """Portal customers' contacts, inherited from their partner, are
        masked like the partner's (see res.partner)."""
        result = super()._read_format(fnames, load=load)
        fields_to_mask = CONTACT_FIELDS.intersection(fnames)
        if (
            fields_to_mask
            and result
            and self.env["res.partner"]._aftersales_contacts_masked()
        ):
            users = self.browse([vals["id"] for vals in result]).sudo()
            masked = users.partner_id._aftersales_masked_ids()
            partner_of = {user.id: user.partner_id.id for user in users}
            for vals in result:
                if partner_of.get(vals["id"]) in masked:
                    for fname in fields_to_mask:
                        vals[fname] = mask_contact_value(fname, vals[fname])
        return result
