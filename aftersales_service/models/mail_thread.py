from odoo import api, models

# Headers by which mail servers and clients mark automatic messages
# (RFC 3834 and common vendor headers).
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
AUTO_PRECEDENCES = ("auto_reply", "bulk", "junk", "list")


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_route(
        self, message, message_dict, model=None, thread_id=None, custom_values=None
    ):
        """Automatic answers (out-of-office, auto-replies) never open a new
        after-sales ticket; they may still land on an existing one."""
        routes = super().message_route(
            message,
            message_dict,
            model=model,
            thread_id=thread_id,
            custom_values=custom_values,
        )
        if not self._is_auto_submitted(message):
            return routes
        return [
            route
            for route in routes
            if not (route[0] == "aftersales.ticket" and not route[1])
        ]

    @api.model
    def _is_auto_submitted(self, message):
        auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
        precedence = (message.get("Precedence") or "").strip().lower()
        return (
            auto_submitted != "no"
            or precedence in AUTO_PRECEDENCES
            or any(message.get(header) for header in AUTO_REPLY_HEADERS)
        )
