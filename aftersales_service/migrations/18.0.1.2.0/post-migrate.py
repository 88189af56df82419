"""Every ticket, visit, warranty and contract gets its portal token.

The customer's pages are read-only (served from a replica when there is
one): they no longer create a missing token on first view. New records get
one when created; this fills it in for the records created before."""

import logging

_logger = logging.getLogger(__name__)

TABLES = (
    "aftersales_ticket",
    "aftersales_visit",
    "aftersales_warranty",
    "aftersales_contract",
)


def migrate(cr, version):
    if not version:
        return
    for table in TABLES:
        cr.execute(
            f"UPDATE {table} SET access_token = gen_random_uuid()::text "  # noqa: S608
            "WHERE access_token IS NULL"
        )
        if cr.rowcount:
            _logger.info("Portal tokens: %s records of %s", cr.rowcount, table)
