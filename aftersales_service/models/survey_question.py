from odoo import fields, models


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    aftersales_score = fields.Selection(
        [
            ("satisfaction", "Satisfaction (1-5)"),
            ("solved", "Problem solved (correct answer = yes)"),
            ("conduct", "Technician conduct (1-5)"),
            ("nps_score", "Likelihood to recommend (0-10, NPS)"),
            ("comment", "Comment"),
        ],
        string="After-Sales Score",
        help="Copies the answer to this question onto the after-sales callback "
        "for reporting. For 'Problem solved', the suggested answer marked as "
        "correct means the problem is solved.",
    )
