"""Reasons are said when shown, in the reader's language and date format."""

from freezegun import freeze_time

from odoo.tests import new_test_user

from .test_warranty import DELIVERY_DAY, WarrantyCase


class TestReasonsInTheReadersLanguage(WarrantyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "aftersales_service")]
        )._update_translations(["zh_CN"], overwrite=True)
        cls.user_agent_zh = new_test_user(
            cls.env,
            login="as_agent_zh",
            name="Agent ZH",
            lang="zh_CN",
            groups="aftersales_service.group_aftersales_user_own",
        )
        # AC-0001 delivered on 2026-01-10: the unit's warranty ends 2027-01-09
        with freeze_time(DELIVERY_DAY):
            cls._deliver(cls.lot_ac1, cls.customer)

    def test_same_ticket_two_readers_two_languages(self):
        ticket = self._create_ticket(product_id=self.product_washer.id)
        self.assertFalse(ticket.warranty_id)
        as_en = ticket.with_user(self.user_agent)
        as_zh = ticket.with_user(self.user_agent_zh).with_context(lang="zh_CN")
        self.assertEqual(
            as_en.warranty_status_reason, "no warranty found for this unit"
        )
        self.assertEqual(as_zh.warranty_status_reason, "未找到该产品的质保")
        charge = self.env["aftersales.ticket.charge"].create(
            {"ticket_id": ticket.id, "charge_type": "labour"}
        )
        self.assertEqual(
            charge.with_user(self.user_agent).reason,
            "no warranty found for this unit",
        )
        self.assertEqual(
            charge.with_user(self.user_agent_zh).with_context(lang="zh_CN").reason,
            "未找到该产品的质保",
        )

    def test_dates_in_reasons_follow_the_readers_language(self):
        with freeze_time("2028-03-01"):
            ticket = self._create_ticket(lot_id=self.lot_ac1.id)
        self.assertEqual(ticket.warranty_status, "out")
        self.assertEqual(
            ticket.with_user(self.user_agent).warranty_status_reason,
            "warranty ended 01/09/2027",
        )
        self.assertEqual(
            ticket.with_user(self.user_agent_zh)
            .with_context(lang="zh_CN")
            .warranty_status_reason,
            "质保已于 2027年01月09日 到期",
        )
