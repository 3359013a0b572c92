"""Which Intacct objects are loaded, under which table names, and how (incremental or full replace)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import IntacctConfigError

AUDIT_CURSOR = "audit.modifiedDateTime"
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class IntacctObject:
    """One object: `name` is the resource and table name, `path` the `<app>/<object>` API path.

    `cursor=None` (or a model without that field) means every run reads all records by key; rows the source
    no longer has are removed. `parent` names the key of the document a line belongs to (`journalEntry.key`):
    when `start_date` bounds the history, an edited line of a document created before it brings its unchanged
    sibling lines along, so documents land whole.
    """

    name: str
    path: str
    primary_key: str = "key"
    cursor: str | None = AUDIT_CURSOR
    parent: str | None = None

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    @property
    def document(self) -> str | None:
        """The owning document's reference name (`journalEntry` for `journalEntry.key`)."""
        return self.parent.rsplit(".", 1)[0] if self.parent else None


DEFAULT_OBJECTS: tuple[IntacctObject, ...] = (
    IntacctObject("vendors", "accounts-payable/vendor"),
    IntacctObject("customers", "accounts-receivable/customer"),
    IntacctObject("gl_accounts", "general-ledger/account"),
    IntacctObject("journal_entries", "general-ledger/journal-entry"),
    IntacctObject("journal_entry_lines", "general-ledger/journal-entry-line", parent="journalEntry.key"),
    IntacctObject("departments", "company-config/department"),
    IntacctObject("locations", "company-config/location"),
    IntacctObject("classes", "company-config/class"),
    IntacctObject("projects", "projects/project"),
    IntacctObject("employees", "company-config/employee"),
    IntacctObject("items", "inventory-control/item"),
    IntacctObject("entities", "company-config/entity"),
    IntacctObject("ap_bills", "accounts-payable/bill"),
    IntacctObject("ap_bill_lines", "accounts-payable/bill-line", parent="bill.key"),
    IntacctObject("ap_payments", "accounts-payable/payment"),
    IntacctObject("ap_payment_details", "accounts-payable/payment-detail"),
    IntacctObject("ar_invoices", "accounts-receivable/invoice"),
    IntacctObject("ar_invoice_lines", "accounts-receivable/invoice-line", parent="invoice.key"),
    IntacctObject("ar_payments", "accounts-receivable/payment"),
    IntacctObject("ar_payment_details", "accounts-receivable/payment-detail"),
    IntacctObject("ap_terms", "accounts-payable/term"),
    IntacctObject("project_budgets", "platform-apps/nsp::project_budget"),
)
DEFAULT_OBJECT_NAMES: tuple[str, ...] = tuple(o.name for o in DEFAULT_OBJECTS)


def object_from_config(name: str, spec: Any) -> IntacctObject:
    """An extra object from config: either a path string or a mapping {path, primary_key?, cursor?, parent?}.

    A cursor of "" or "none" makes the object full-replace.
    """
    if not _TABLE_NAME.match(name):
        raise IntacctConfigError(
            f"extra_objects: table name {name!r} must be lowercase snake_case (letters, digits, underscores)")
    if isinstance(spec, str):
        path, primary_key, cursor, parent = spec, "key", AUDIT_CURSOR, None
    elif isinstance(spec, Mapping):
        path = spec.get("path")
        primary_key = spec.get("primary_key") or "key"
        cursor = spec.get("cursor", AUDIT_CURSOR)
        parent = spec.get("parent") or None
        if isinstance(cursor, str) and cursor.strip().lower() in ("", "none"):
            cursor = None
    else:
        raise IntacctConfigError(f"extra_objects.{name}: expected an object path string or a table")
    if not isinstance(path, str) or "/" not in path:
        raise IntacctConfigError(f"extra_objects.{name}: {path!r} is not an '<app>/<object>' path")
    if parent is not None and not isinstance(parent, str):
        raise IntacctConfigError(f"extra_objects.{name}: parent must be a field name like 'bill.key'")
    return IntacctObject(name, path.strip(), primary_key, cursor, parent)


def resolve_objects(names: Iterable[str] | None = None,
                    extra: Mapping[str, Any] | None = None) -> list[IntacctObject]:
    """Default objects (all, or those named) plus extra ones; extra entries override same-named defaults."""
    catalog: dict[str, IntacctObject] = {o.name: o for o in DEFAULT_OBJECTS}
    for name, spec in (extra or {}).items():
        catalog[name] = object_from_config(name, spec)
    if names is None:
        wanted = list(DEFAULT_OBJECT_NAMES) + [n for n in (extra or {}) if n not in DEFAULT_OBJECT_NAMES]
    else:
        wanted = list(dict.fromkeys(names))
        unknown = [n for n in wanted if n not in catalog]
        if unknown:
            raise IntacctConfigError(
                f"unknown Intacct object(s) {unknown}; known: {sorted(catalog)} (add others via extra_objects)")
    return [catalog[n] for n in wanted]
