from odoo import fields, models


class AftersalesTeam(models.Model):
    _inherit = "aftersales.team"

    callback_survey_id = fields.Many2one(
        "survey.survey",
        help="Survey asked on this team's callbacks (and its sub-teams'); empty "
        "for the parent team's, then the default satisfaction survey.",
    )

    def _get_callback_survey(self):
        """The survey of the first team up the tree that has one, else the
        default survey."""
        team = self.sudo()[:1]
        while team:
            if team.callback_survey_id:
                return team.callback_survey_id
            team = team.parent_id
        return (
            self.env.ref(
                "aftersales_service.survey_callback_default", raise_if_not_found=False
            )
            or self.env["survey.survey"]
        )
