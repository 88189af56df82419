from odoo import _, fields, models
from odoo.exceptions import UserError


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    aftersales_callback_id = fields.Many2one(
        "aftersales.callback",
        string="After-Sales Callback",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
    )

    def _mark_done(self):
        result = super()._mark_done()
        for answer in self.filtered(
            lambda a: a.aftersales_callback_id and not a.test_entry
        ):
            answer.aftersales_callback_id.sudo()._apply_survey_answers(answer)
        return result

    def _save_lines(self, question, answer, comment=None, overwrite_existing=True):
        if self.aftersales_callback_id and self.state == "done":
            raise UserError(
                _(
                    "This survey was already answered for callback %(callback)s; "
                    "the answers cannot be changed.",
                    callback=self.aftersales_callback_id.sudo().name,
                )
            )
        return super()._save_lines(
            question, answer, comment=comment, overwrite_existing=overwrite_existing
        )
