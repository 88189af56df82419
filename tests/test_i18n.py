"""The shipped translation template is current and Chinese is complete."""

import io
import os

import polib

from odoo.tools.translate import trans_export

from .common import AftersalesCase

I18N = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "aftersales_service",
    "i18n",
)


class TestTranslations(AftersalesCase):
    def _current_msgids(self):
        buffer = io.BytesIO()
        trans_export(None, ["aftersales_service"], buffer, "po", self.env.cr)
        return {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}

    def test_pot_is_current(self):
        shipped = {
            entry.msgid
            for entry in polib.pofile(os.path.join(I18N, "aftersales_service.pot"))
        }
        missing = sorted(self._current_msgids() - shipped)
        self.assertFalse(
            missing,
            f"{len(missing)} strings missing from aftersales_service.pot; "
            f"regenerate it with scripts/update-translations: {missing[:10]}",
        )

    def test_chinese_is_complete(self):
        po = polib.pofile(os.path.join(I18N, "zh_CN.po"))
        translated = {
            entry.msgid for entry in po if entry.msgstr and "fuzzy" not in entry.flags
        }
        missing = sorted(self._current_msgids() - translated)
        self.assertFalse(
            missing,
            f"{len(missing)} strings untranslated in zh_CN.po: {missing[:10]}",
        )

    def test_chinese_loads_into_odoo(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "aftersales_service")]
        )._update_translations(["zh_CN"], overwrite=True)
        channel = self.channel_phone.with_context(lang="zh_CN")
        self.assertEqual(channel.name, "电话热线")
        ticket = self._create_ticket().with_context(lang="zh_CN")
        self.assertEqual(ticket.stage_id.name, "新建")
        labels = (
            self.env["aftersales.ticket"]
            .with_context(lang="zh_CN")
            .fields_get(["owner_id"])
        )
        self.assertNotEqual(labels["owner_id"]["string"], "Owner")
