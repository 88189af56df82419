"""Free-text fault codes become catalogue entries (aftersales.fault.code).

The ``fault_code`` column of the removed Char field is still in the table
while the post-migration runs (the update drops it when it ends): its values,
normalised (stripped, upper case), become one catalogue entry per company and
code, and the tickets point to it."""

import logging

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version or not column_exists(cr, "aftersales_ticket", "fault_code"):
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    linked = env["aftersales.fault.code"]._migrate_from_free_text()
    _logger.info("Fault codes: %s tickets linked to the fault catalogue", linked)
