from odoo import models

from .res_partner import mask_contact_value


class MailFollowers(models.Model):
    _inherit = "mail.followers"

    def _read_format(self, fnames, load="_classic_read"):
        """A follower's e-mail (shown in the chatter's followers list) is
        masked like its partner's (see res.partner)."""
        result = super()._read_format(fnames, load=load)
        if (
            "email" in fnames
            and result
            and self.env["res.partner"]._aftersales_contacts_masked()
        ):
            followers = self.browse([vals["id"] for vals in result]).sudo()
            masked = followers.partner_id._aftersales_masked_ids()
            partner_of = {follower.id: follower.partner_id.id for follower in followers}
            for vals in result:
                if partner_of.get(vals["id"]) in masked:
                    vals["email"] = mask_contact_value("email", vals["email"])
        return result
