"""Batch code translates with the environment's language, never by guessing.

``_()`` finds its language in the caller's frame (``self.env``); called in a
comprehension or a lambda that does not see ``self`` (their own frame since
Python 3.11 has no ``self``), it finds none outside an HTTP request and logs
"no translation language detected" with a stack trace, once per record of a
batch. ``self.env._()`` reads the environment's language instead.
"""

import ast
import os

from odoo import Command

from .common import AftersalesCase

ADDON = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "aftersales_service"
)
SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
# names in a frame that tell _() its language or cursor
FRAME_NAMES = {"self", "cr", "context"}


def _calls_without_language(path):
    """(line, scope) of each ``_()`` call of ``path`` whose frame has no
    ``self`` (nor ``cr`` / ``context``)."""
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    parents = {
        child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
    }
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
        ):
            continue
        scope = parents.get(node)
        while scope is not None and not isinstance(scope, SCOPES):
            scope = parents.get(scope)
        if scope is None:
            found.append((node.lineno, "module"))
            continue
        names = set()
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = scope.args
            names = {arg.arg for arg in args.posonlyargs + args.args + args.kwonlyargs}
        if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # a comprehension or lambda sees the names it uses from outside
            names |= {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)}
        if not names & FRAME_NAMES:
            found.append((node.lineno, type(scope).__name__))
    return found


class TestTranslationLanguage(AftersalesCase):
    def test_no_translation_call_without_a_language(self):
        offenders = []
        for folder, __, files in os.walk(ADDON):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(folder, name)
                    offenders += [
                        f"{os.path.relpath(path, ADDON)}:{line} ({scope})"
                        for line, scope in _calls_without_language(path)
                    ]
        self.assertFalse(
            offenders,
            "_() where it cannot find the language (use self.env._()): "
            + ", ".join(offenders),
        )

    def test_batch_creation_without_language_logs_nothing(self):
        """What the scan forbids, at run time: references given as "New"
        (the default a form sends) in batches, no language in the context,
        no request."""
        self.assertFalse(self.env.context.get("lang"))
        part = self.env["product.product"].create(
            {"name": "Drain Pump", "is_storable": True}
        )
        term = self.env.ref("aftersales_service.warranty_term_default")
        with self.assertNoLogs("odoo.tools.translate", level="WARNING"):
            tickets = self.env["aftersales.ticket"].create(
                [self._ticket_vals(name="New") for __ in range(3)]
            )
            reservations = self.env["aftersales.part.reservation"].create(
                [
                    {
                        "ticket_id": ticket.id,
                        "name": "New",
                        "line_ids": [
                            Command.create({"product_id": part.id, "product_qty": 1})
                        ],
                    }
                    for ticket in tickets
                ]
            )
            warranties = self.env["aftersales.warranty"].create(
                [
                    {
                        "name": "New",
                        "partner_id": self.customer.id,
                        "product_id": self.product_ac.id,
                        "lot_id": lot.id,
                        "term_id": term.id,
                        "delivery_date": "2026-01-10",
                    }
                    for lot in self.lot_ac1 | self.lot_ac2
                ]
            )
        self.assertNotIn("New", tickets.mapped("name") + reservations.mapped("name"))
        self.assertNotIn("New", warranties.mapped("name"))
