"""Declarative definitions of the objects the sandbox serves (field names and types as Sage names them).

Everything else (storage, query validation, the model service, full-record nesting) is derived from these
definitions so that the three views of an object can never disagree.

Naming: a field's ``name`` is its flat dotted query name (``audit.modifiedDateTime``,
``currency.exchangeRate``, ``contacts.default.email1``). A reference is declared once by its dotted name
(``vendor``, ``dimensions.department``) and yields the query fields ``<ref>.key``, ``<ref>.id`` and (when the
target has names) ``<ref>.name``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Field kinds (storage + comparison semantics). API rendering:
#   key      digit string, compares as an integer          money     "123.45", compares as a decimal
#   string   str                                           date      "YYYY-MM-DD"
#   enum     str from a fixed list                         datetime  "YYYY-MM-DDTHH:MM:SSZ", compares as instant
#   integer  JSON int      number  JSON float              boolean   JSON bool
KINDS = ("key", "string", "enum", "money", "date", "datetime", "integer", "number", "boolean")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "string"
    enum: tuple[str, ...] = ()
    read_only: bool = False
    nullable: bool = True
    mutable: bool = True


@dataclass(frozen=True)
class Ref:
    name: str
    target: str
    fields: tuple[str, ...] = ("key", "id", "name")


@dataclass
class ObjectDef:
    path: str
    fields: list[Field]
    refs: list[Ref] = field(default_factory=list)
    has_audit: bool = True
    has_entity: bool = True
    id_is_key: bool = False  # journal entries, lines and custom objects: id == key
    owner_ref: str | None = None  # owned objects (lines): the ref to the owner
    lists: dict[str, str] = field(default_factory=dict)  # list name -> owned object path
    mutate_field: str = "description"  # string field changed by Sandbox.modify()
    hidden: bool = False  # reference-only tables (vendor types, journals): not served as objects
    http_methods: str = "OPTIONS,GET,POST,PATCH,DELETE"

    @property
    def all_fields(self) -> list[Field]:
        """Scalar fields including the audit group (refs not included)."""
        out = list(self.fields)
        if self.has_audit:
            out += AUDIT_FIELDS
        return out

    @property
    def all_refs(self) -> list[Ref]:
        out = list(self.refs)
        if self.has_entity:
            out.append(Ref("entity", "company-config/entity"))
        return out


AUDIT_FIELDS = [
    Field("audit.createdDateTime", "datetime", read_only=True, mutable=False),
    Field("audit.modifiedDateTime", "datetime", read_only=True, mutable=False),
    Field("audit.createdBy", "string", read_only=True, mutable=False),
    Field("audit.modifiedBy", "string", read_only=True, mutable=False),
]

STATUS = Field("status", "enum", enum=("active", "inactive"))
KEY = Field("key", "key", read_only=True, mutable=False)
ID = Field("id", "string", nullable=False, mutable=False)
NAME = Field("name", "string", nullable=False)


def _dims(*names: str) -> list[Ref]:
    targets = {
        "department": "company-config/department",
        "location": "company-config/location",
        "class": "company-config/class",
        "project": "projects/project",
        "vendor": "accounts-payable/vendor",
        "customer": "accounts-receivable/customer",
        "employee": "company-config/employee",
        "item": "inventory-control/item",
    }
    return [Ref(f"dimensions.{n}", targets[n]) for n in names]


CURRENCY = [
    Field("currency.baseCurrency", "string"),
    Field("currency.txnCurrency", "string"),
    Field("currency.exchangeRate", "number"),
]

OBJECTS: list[ObjectDef] = [
    # --- hidden reference tables (targets of refs only) ---
    ObjectDef("accounts-payable/vendor-type", [KEY, ID, NAME], hidden=True, has_entity=False, mutate_field="name"),
    ObjectDef("accounts-receivable/customer-type", [KEY, ID, NAME], hidden=True, has_entity=False, mutate_field="name"),
    ObjectDef("general-ledger/journal", [KEY, ID, NAME], hidden=True, has_entity=False, mutate_field="name"),
    # --- company config ---
    ObjectDef(
        "company-config/entity",
        [KEY, ID, NAME, STATUS, Field("operatingCountry"), Field("baseCurrency"), Field("description")],
        has_entity=False,
    ),
    ObjectDef(
        "company-config/department",
        [KEY, ID, NAME, STATUS, Field("reportTitle"), Field("description")],
        refs=[Ref("parent", "company-config/department")],
    ),
    ObjectDef(
        "company-config/location",
        [KEY, ID, NAME, STATUS, Field("description"), Field("contacts.primary.mailingAddress.city"),
         Field("contacts.primary.mailingAddress.country")],
    ),
    ObjectDef("company-config/class", [KEY, ID, NAME, STATUS, Field("description")]),
    ObjectDef(
        "company-config/employee",
        [KEY, ID, NAME, STATUS, Field("startDate", "date"), Field("jobTitle"), Field("description"),
         Field("isPlaceholderResource", "boolean")],
        refs=[Ref("department", "company-config/department"), Ref("location", "company-config/location")],
    ),
    ObjectDef(
        "projects/project",
        [KEY, ID, NAME, STATUS, Field("startDate", "date"), Field("endDate", "date"),
         Field("budgetedBillingAmount", "money"), Field("description"),
         Field("projectStatus", "enum", enum=("notStarted", "inProgress", "onHold", "completed"))],
        refs=[Ref("customer", "accounts-receivable/customer"), Ref("department", "company-config/department"),
              Ref("location", "company-config/location")],
    ),
    ObjectDef(
        "inventory-control/item",
        [KEY, ID, NAME, STATUS, Field("itemType", "enum", enum=("inventory", "nonInventory", "service")),
         Field("standardCost", "money"), Field("basePrice", "money"), Field("unitOfMeasure"),
         Field("description"), Field("isTaxable", "boolean")],
    ),
    # --- general ledger ---
    ObjectDef(
        "general-ledger/account",
        [KEY, ID, NAME, STATUS, Field("accountType", "enum", enum=("balanceSheet", "incomeStatement")),
         Field("normalBalance", "enum", enum=("debit", "credit")),
         Field("closingType", "enum", enum=("nonClosingAccount", "closingAccount")),
         Field("isTaxable", "boolean"), Field("description")],
    ),
    ObjectDef(
        "general-ledger/journal-entry",
        [KEY, ID, Field("txnNumber", "integer"), Field("postingDate", "date"), Field("description"),
         Field("referenceNumber"),
         Field("state", "enum", enum=("draft", "submitted", "approved", "posted", "reversed")),
         Field("moduleName")],
        refs=[Ref("journal", "general-ledger/journal")],
        id_is_key=True,
        lists={"lines": "general-ledger/journal-entry-line"},
    ),
    ObjectDef(
        "general-ledger/journal-entry-line",
        [KEY, ID, Field("lineNumber", "integer"), Field("txnType", "enum", enum=("debit", "credit")),
         Field("txnAmount", "money"), Field("baseAmount", "money"), Field("entryDate", "date"),
         Field("description"), Field("documentId"),
         Field("state", "enum", enum=("draft", "submitted", "approved", "posted", "reversed")),
         Field("isBillable", "boolean"), *CURRENCY,
         Field("nsp::COST_CENTER_CODE"), Field("nsp::APPROVED_ON", "date")],
        refs=[Ref("journalEntry", "general-ledger/journal-entry", ("key", "id")),
              Ref("glAccount", "general-ledger/account"),
              *_dims("department", "location", "class", "project", "vendor", "customer", "employee", "item")],
        id_is_key=True,
        owner_ref="journalEntry",
        http_methods="OPTIONS,GET,DELETE",
    ),
    # --- accounts payable ---
    ObjectDef(
        "accounts-payable/term",
        [KEY, ID, NAME, STATUS, Field("description"), Field("dueDays", "integer"),
         Field("discountDays", "integer"), Field("discountPercent", "number")],
        has_audit=False,
        has_entity=False,
    ),
    ObjectDef(
        "accounts-payable/vendor",
        [KEY, ID, NAME, STATUS, Field("taxId"), Field("creditLimit", "money"), Field("totalDue", "money"),
         Field("isOnHold", "boolean"), Field("isOneTimeUse", "boolean"),
         Field("billingType", "enum", enum=("openItem", "balanceForward")),
         Field("contacts.default.email1"), Field("contacts.default.phone1"),
         Field("contacts.default.mailingAddress.city"), Field("contacts.default.mailingAddress.country"),
         Field("notes"), Field("nsp::REBATE_PCT", "number"), Field("nsp::APPROVED_ON", "date")],
        refs=[Ref("vendorType", "accounts-payable/vendor-type", ("key", "id")),
              Ref("paymentTerm", "accounts-payable/term", ("key", "id"))],
        mutate_field="notes",
    ),
    ObjectDef(
        "accounts-payable/bill",
        [KEY, ID, Field("billNumber"), Field("createdDate", "date"), Field("postingDate", "date"),
         Field("dueDate", "date"), Field("totalTxnAmount", "money"), Field("totalBaseAmount", "money"),
         Field("totalTxnAmountDue", "money"),
         Field("state", "enum", enum=("draft", "submitted", "posted", "partiallyPaid", "paid")),
         Field("description"), *CURRENCY[:2]],
        refs=[Ref("vendor", "accounts-payable/vendor"), Ref("term", "accounts-payable/term", ("key", "id"))],
        lists={"lines": "accounts-payable/bill-line"},
    ),
    ObjectDef(
        "accounts-payable/bill-line",
        [KEY, ID, Field("lineNumber", "integer"), Field("txnAmount", "money"), Field("baseAmount", "money"),
         Field("description")],
        refs=[Ref("bill", "accounts-payable/bill", ("key", "id")), Ref("glAccount", "general-ledger/account"),
              *_dims("department", "location", "class", "project", "item")],
        owner_ref="bill",
    ),
    ObjectDef(
        "accounts-payable/payment",
        [KEY, ID, Field("paymentDate", "date"), Field("documentNumber"),
         Field("paymentMethod", "enum", enum=("printedCheck", "ach", "creditCard", "cash")),
         Field("txnAmount", "money"), Field("baseAmount", "money"),
         Field("state", "enum", enum=("draft", "submitted", "approved", "complete", "voided")),
         Field("description"), *CURRENCY[:2]],
        refs=[Ref("vendor", "accounts-payable/vendor"), Ref("bill", "accounts-payable/bill", ("key", "id"))],
    ),
    # --- accounts receivable ---
    ObjectDef(
        "accounts-receivable/customer",
        [KEY, ID, NAME, STATUS, Field("creditLimit", "money"), Field("totalDue", "money"),
         Field("isOnHold", "boolean"), Field("contacts.default.email1"), Field("contacts.default.phone1"),
         Field("contacts.default.mailingAddress.city"), Field("contacts.default.mailingAddress.country"),
         Field("notes"), Field("nsp::CUSTOMER_SEGMENT"), Field("nsp::APPROVED_ON", "date")],
        refs=[Ref("customerType", "accounts-receivable/customer-type", ("key", "id")),
              Ref("term", "accounts-payable/term", ("key", "id"))],
        mutate_field="notes",
    ),
    ObjectDef(
        "accounts-receivable/invoice",
        [KEY, ID, Field("invoiceNumber"), Field("invoiceDate", "date"), Field("dueDate", "date"),
         Field("totalTxnAmount", "money"), Field("totalBaseAmount", "money"), Field("totalTxnAmountDue", "money"),
         Field("state", "enum", enum=("draft", "submitted", "posted", "partiallyPaid", "paid")),
         Field("description"), *CURRENCY[:2]],
        refs=[Ref("customer", "accounts-receivable/customer"), Ref("term", "accounts-payable/term", ("key", "id")),
              Ref("project", "projects/project")],
        lists={"lines": "accounts-receivable/invoice-line"},
    ),
    ObjectDef(
        "accounts-receivable/invoice-line",
        [KEY, ID, Field("lineNumber", "integer"), Field("txnAmount", "money"), Field("baseAmount", "money"),
         Field("description")],
        refs=[Ref("invoice", "accounts-receivable/invoice", ("key", "id")), Ref("glAccount", "general-ledger/account"),
              *_dims("department", "location", "project", "customer", "item")],
        owner_ref="invoice",
    ),
    ObjectDef(
        "accounts-receivable/payment",
        [KEY, ID, Field("receiptDate", "date"), Field("documentNumber"),
         Field("paymentMethod", "enum", enum=("printedCheck", "ach", "creditCard", "cash")),
         Field("txnAmount", "money"), Field("baseAmount", "money"),
         Field("state", "enum", enum=("draft", "submitted", "approved", "complete", "voided")),
         Field("description"), *CURRENCY[:2]],
        refs=[Ref("customer", "accounts-receivable/customer"),
              Ref("invoice", "accounts-receivable/invoice", ("key", "id"))],
    ),
    # --- custom object ---
    ObjectDef(
        "platform-apps/nsp::project_budget",
        [KEY, ID, NAME, Field("fiscalYear", "integer"), Field("budgetAmount", "money"),
         Field("approved", "boolean"), Field("description")],
        refs=[Ref("project", "projects/project")],
        id_is_key=True,
    ),
]

OBJECTS_BY_PATH: dict[str, ObjectDef] = {o.path: o for o in OBJECTS}
SERVED_PATHS: list[str] = [o.path for o in OBJECTS if not o.hidden]
