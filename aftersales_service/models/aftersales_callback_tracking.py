from collections import defaultdict

from odoo import api, models

from .aftersales_tracking_batch import TRACKING_BATCH_MIN, _PendingSubscriptions


class AftersalesCallback(models.Model):
    _name = "aftersales.callback"
    _inherit = ["aftersales.tracking.batch", "aftersales.callback"]

    @api.model_create_multi
    def create(self, vals_list):
        """Callbacks planned for a batch of tickets: Odoo subscribes the
        agent of each callback apart (one query each); here once per agent
        for the batch, after the create."""
        if len(vals_list) < TRACKING_BATCH_MIN:
            return super().create(vals_list)
        pending = _PendingSubscriptions()
        callbacks = super(
            AftersalesCallback,
            self.with_context(aftersales_auto_subscribe_pending=pending),
        ).create(vals_list)
        callbacks = callbacks.with_env(self.env)
        pending.closed = True
        callbacks._auto_subscribe_pending(pending)
        return callbacks

    def _message_auto_subscribe(self, updated_values, followers_existing_policy="skip"):
        pending = self.env.context.get("aftersales_auto_subscribe_pending")
        if not isinstance(pending, _PendingSubscriptions) or pending.closed:
            return super()._message_auto_subscribe(
                updated_values, followers_existing_policy=followers_existing_policy
            )
        pending.append((self.ids, updated_values, followers_existing_policy))
        return True

    def _auto_subscribe_pending(self, pending):
        """Run the auto-subscriptions ``pending`` ([(ids, values, policy)])
        together for the records whose values decide the same followers:
        the responsible user and the fields of parent subtypes."""
        relation = self.env["mail.message.subtype"]._get_auto_subscription_subtypes(
            self._name
        )[4]
        fnames = sorted({"user_id"}.union(*relation.values()))
        groups = defaultdict(list)
        for ids, values, policy in pending:
            key = (policy, tuple((fname, values.get(fname)) for fname in fnames))
            groups[key].append((ids, values))
        for (policy, __), items in groups.items():
            records = self.browse([id_ for ids, __ in items for id_ in ids])
            records._message_auto_subscribe(
                items[0][1], followers_existing_policy=policy
            )
