"""The ticket's free-text ``fault_code`` becomes ``fault_code_id``.

The add-on's own views still name ``fault_code`` until their files are
loaded again, and a view is checked with the views inheriting from it: point
them to the new field first, so that the update can validate them."""

import json


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT v.id, v.arch_db
          FROM ir_ui_view v
          JOIN ir_model_data d ON d.model = 'ir.ui.view' AND d.res_id = v.id
         WHERE d.module = 'aftersales_service'
           AND v.arch_db::text LIKE '%%fault_code%%'
        """
    )
    for view_id, arch in cr.fetchall():
        arch = {
            lang: text.replace('name="fault_code"', 'name="fault_code_id"')
            for lang, text in arch.items()
        }
        cr.execute(
            "UPDATE ir_ui_view SET arch_db = %s::jsonb WHERE id = %s",
            [json.dumps(arch), view_id],
        )
