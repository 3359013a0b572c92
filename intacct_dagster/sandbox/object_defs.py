"""The objects the sandbox serves, each derived from Sage's published schema (``sage_schema``).

An object names its Sage schema and the curated list of flat dotted fields, references and owned lists it serves
(a real company's model is a subset of the schema). Every attribute -- type, format, enum, default, nullable,
readOnly, writeOnly, deprecated -- and every reference's sub-fields and target (from the schema's ``href``
example) are read from the schema; nothing is typed by hand. Declaring a name the schema does not have raises
``SchemaError`` at import.

Objects without a vendored schema yet (``MANUAL``) are declared by hand in the same terms; their audit group is
still derived from Sage's shared ``audit.s1`` schema. Custom fields (``nsp::*``) and the custom object
``platform-apps/nsp::project_budget`` have no published schema (custom definitions never do).

Storage kinds (``Field.kind``): ``key`` (digit string), ``string``, ``enum``, ``money`` (decimal string),
``number`` (JSON number), ``integer``, ``date``, ``datetime``, ``boolean``, ``array`` (JSON array, never queryable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .sage_schema import ObjectSchema, Prop, SchemaError, has_schema, object_schema, ref_schema

# decimal strings (served with 2 decimals; -10 allows up to 10)
MONEY_FORMATS = ("decimal-precision-2", "percent-precision-2", "decimal-precision-10")
REF_SUBS = ("key", "id", "name", "href")
_HREF = re.compile(r"^/objects/([^/]+/[^/]+)/[^/]+$")


@dataclass(frozen=True)
class Field:
    name: str  # flat dotted query name
    kind: str
    model: dict  # the model-service attributes of this field
    default: object = None  # storage default (the schema's default)
    custom: bool = False

    @property
    def enum(self) -> tuple:
        return tuple(v for v in self.model.get("enum", ()) if v is not None)

    @property
    def nullable(self) -> bool:
        return bool(self.model.get("nullable"))

    @property
    def read_only(self) -> bool:
        return bool(self.model.get("readOnly"))

    @property
    def write_only(self) -> bool:
        return bool(self.model.get("writeOnly"))

    @property
    def queryable(self) -> bool:
        return not self.write_only and self.kind != "array"


@dataclass(frozen=True)
class Ref:
    name: str  # dotted (``vendor``, ``dimensions.department``, ``audit.createdByUser``)
    target: str  # apiObject path of the referenced object
    subs: tuple[Field, ...]  # served sub-fields, names relative to the ref (``key``, ``mailingAddress.city``)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subs)


@dataclass(frozen=True)
class ListDef:
    name: str  # ``lines``, ``details``, ``taxEntries``
    target: str  # owned object's path


@dataclass
class ObjectDef:
    path: str
    fields: list[Field]
    refs: list[Ref] = field(default_factory=list)
    lists: list[ListDef] = field(default_factory=list)
    schema: str | None = None  # schema path (== path) when derived from Sage's schema
    has_audit: bool = True
    has_entity: bool = True  # entity scoping (X-IA-API-Param-Entity); the ``entity`` ref is served only if declared
    id_is_key: bool = False  # documents, lines, details, custom objects: id == key
    owner_ref: str | None = None  # owned objects (lines, details): the ref to the owner
    mutate_field: str | None = "description"  # text field changed by Sandbox.modify() (None: only touch)
    hidden: bool = False  # reference-only tables (vendor types, journals, users ...): not served as objects
    http_methods: str = "OPTIONS,GET,POST,PATCH,DELETE"
    aliases: dict[str, str] = field(default_factory=dict)  # field -> "<ref>.<sub>" it mirrors

    @property
    def all_fields(self) -> list[Field]:
        return self.fields

    @property
    def all_refs(self) -> list[Ref]:
        return self.refs

    def field(self, name: str) -> Field | None:
        return self._by_name().get(name)

    def ref(self, name: str) -> Ref | None:
        for r in self.refs:
            if r.name == name:
                return r
        return None

    def _by_name(self) -> dict[str, Field]:
        cache = self.__dict__.get("_fcache")
        if cache is None or len(cache) != len(self.fields):
            cache = self.__dict__["_fcache"] = {f.name: f for f in self.fields}
        return cache

    @property
    def list_names(self) -> dict[str, str]:
        return {x.name: x.target for x in self.lists}

    def queryable_names(self) -> list[str]:
        """Every flat name the query service accepts in ``fields``, in model order."""
        from .models import flat_names, object_model

        return flat_names(object_model(self))

    def add_custom_field(self, f: Field) -> None:
        if self.field(f.name) is not None:
            raise ValueError(f"{self.path} already has a field {f.name!r}")
        self.fields.append(f)

    def copy(self) -> ObjectDef:
        """An independent copy (own field list), so one sandbox's custom fields stay its own."""
        return replace(self, fields=list(self.fields), refs=list(self.refs), lists=list(self.lists),
                       aliases=dict(self.aliases))


# ------------------------------------------------------------------------------------------------ derivation
def _kind(p: Prop, name: str) -> str:
    s = p.schema
    if p.is_array:
        return "array"
    t = s.get("type")
    if t == "string" or (t is None and "enum" in s):
        if name == "key":
            return "key"
        fmt = s.get("format")
        if fmt == "date":
            return "date"
        if fmt == "date-time":
            return "datetime"
        if fmt in MONEY_FORMATS:
            return "money"
        return "enum" if s.get("enum") else "string"
    if t in ("integer", "number", "boolean"):
        return t
    raise SchemaError(f"{name!r}: schema type {t!r} cannot be served as a field (declare it as a ref or list)")


def _model(p: Prop, kind: str) -> dict:
    s = p.schema
    m: dict = {}
    if "default" in s:
        m["default"] = s["default"]
    if s.get("deprecated"):
        m["deprecated"] = True
    if "enum" in s:
        m["enum"] = list(s["enum"])
    if s.get("format"):
        m["format"] = s["format"]
    m["type"] = s.get("type", "string")
    if kind == "array":
        items = s.get("items") or {}
        m["items"] = {"type": items["type"]} if "type" in items else {}
    m.update(readOnly=p.read_only, writeOnly=p.write_only, required=False, nullable=p.nullable,
             mutable=not p.read_only)
    return m


def field_from_schema(sch: ObjectSchema, name: str, rel: str | None = None) -> Field:
    p = sch.get(name)
    if p.is_object:
        raise SchemaError(f"{sch.path}: {name!r} is an object in Sage's schema; declare it as a ref")
    kind = _kind(p, rel or name)
    default = p.schema.get("default")
    if kind in ("array", "money", "number") or default is None:
        default = None
    return Field(rel or name, kind, _model(p, kind), default)


def _ref_target(sch: ObjectSchema, name: str, override: str | None) -> str:
    ex = None
    if f"{name}.href" in sch:
        m = _HREF.match(str(sch.get(f"{name}.href").schema.get("example", "")))
        ex = m.group(1) if m else None
    if override and ex and override != ex:
        raise SchemaError(f"{sch.path}: ref {name} declared -> {override} but Sage's href example says {ex}")
    target = override or ex
    if not target:
        raise SchemaError(f"{sch.path}: ref {name} has no href example; declare its target")
    return target


def ref_from_schema(sch: ObjectSchema, name: str, target: str | None = None, extra: tuple[str, ...] = (),
                    only: tuple[str, ...] = REF_SUBS) -> Ref:
    node = sch.get(name)
    if not node.is_object:
        raise SchemaError(f"{sch.path}: {name!r} is not an object in Sage's schema, it cannot be a ref")
    kids = sch.children(name)
    if "key" not in kids and "id" not in kids:
        raise SchemaError(f"{sch.path}: {name!r} has neither key nor id: it is a group, not a ref")
    subs = [field_from_schema(sch, f"{name}.{s}", s) for s in REF_SUBS if s in kids and s in only]
    subs += [field_from_schema(sch, f"{name}.{s}", s) for s in extra]
    return Ref(name, _ref_target(sch, name, target), tuple(subs))


def _audit(sch: ObjectSchema) -> tuple[list[Field], list[Ref], dict[str, str]]:
    kids = sch.children("audit")
    fields = [field_from_schema(sch, f"audit.{k}") for k in kids
              if not sch.get(f"audit.{k}").is_object]
    refs = [ref_from_schema(sch, f"audit.{k}") for k in kids if sch.get(f"audit.{k}").is_object]
    aliases = {f"audit.{k}": f"audit.{k}User.id" for k in ("createdBy", "modifiedBy")
               if f"audit.{k}" in sch and f"audit.{k}User" in sch}
    return fields, refs, aliases


def from_schema(path: str, fields: str, refs: str = "", lists: str = "", targets: dict | None = None,
                ref_extra: dict | None = None, custom: dict | None = None, ref_only: dict | None = None,
                **kw) -> ObjectDef:
    """An ObjectDef whose every attribute is read from Sage's schema of ``path``.

    ``fields``/``refs``/``lists``: whitespace-separated flat names (``audit`` expands to the schema's whole audit
    group). ``targets``: ref -> apiObject where the schema has no href example. ``ref_extra``: ref -> extra
    sub-fields served besides key/id/name/href. ``ref_only``: ref -> the standard sub-fields served when not all
    of key/id/name/href are (the target has no such field). ``custom``: ``nsp::`` custom fields (name -> kind)."""
    sch = object_schema(path)
    out_fields: list[Field] = []
    out_refs: list[Ref] = []
    aliases: dict[str, str] = {}
    for name in fields.split():
        if name == "audit":
            af, ar, al = _audit(sch)
            out_fields += af
            out_refs += ar
            aliases.update(al)
        else:
            out_fields.append(field_from_schema(sch, name))
    for name in refs.split():
        out_refs.append(ref_from_schema(sch, name, (targets or {}).get(name), tuple((ref_extra or {}).get(name, ())),
                                        tuple((ref_only or {}).get(name, REF_SUBS))))
    out_lists = []
    for name in lists.split():
        p = sch.get(name)
        if not p.is_array:
            raise SchemaError(f"{path}: {name!r} is not an array in Sage's schema")
        out_lists.append(ListDef(name, p.item_object or name))
    for name, kind in (custom or {}).items():
        out_fields.append(custom_field(name, kind))
    has_audit = "audit" in fields.split()
    return ObjectDef(path, out_fields, out_refs, out_lists, schema=path, has_audit=has_audit, aliases=aliases, **kw)


_CUSTOM_MODEL = {"string": {"type": "string"}, "date": {"type": "string", "format": "date"},
                 "number": {"type": "number"}, "integer": {"type": "integer"}, "boolean": {"type": "boolean"},
                 "money": {"type": "string", "format": "decimal-precision-2"},
                 "datetime": {"type": "string", "format": "date-time"}}


def custom_field(name: str, kind: str) -> Field:
    """A custom field (``nsp::NAME``): an admin's addition to the model, so not in Sage's schema."""
    if not name.startswith("nsp::") or len(name) <= 5 or "." in name:
        raise ValueError(f"custom field names look like 'nsp::NAME', got {name!r}")
    if kind not in _CUSTOM_MODEL:
        raise ValueError(f"custom field kind must be one of {sorted(_CUSTOM_MODEL)}, got {kind!r}")
    m = dict(_CUSTOM_MODEL[kind], readOnly=False, writeOnly=False, required=False, nullable=True, mutable=True)
    return Field(name, kind, m, None, custom=True)


# ------------------------------------------------------------------------------------------------ manual objects
def _m(name: str, kind: str = "string", nullable: bool = True, read_only: bool = False, enum: tuple = ()) -> Field:
    t = {"key": {"type": "string"}, "enum": {"type": "string"}, **_CUSTOM_MODEL}[kind]
    m = dict(t)
    if enum:
        m["enum"] = list(enum)
    m.update(readOnly=read_only, writeOnly=False, required=False, nullable=nullable, mutable=not read_only)
    return Field(name, kind, m)


def _mref(name: str, target: str, subs: tuple[str, ...] = ("key", "id", "name", "href")) -> Ref:
    return Ref(name, target, tuple(_m(s, "key" if s == "key" else "string", read_only=s in ("name", "href"))
                                    for s in subs))


def _shared_audit() -> tuple[list[Field], list[Ref], dict[str, str]]:
    """The audit group from Sage's shared ``audit.s1`` schema (for objects whose own schema is not vendored)."""
    s = ref_schema("audit.s1")
    fields, refs = [], []
    for k, sub in s["properties"].items():
        p = Prop(f"audit.{k}", dict(sub, **({"nullable": True} if k.endswith("DateTime") else {})), True, False)
        if p.is_object:
            subs = tuple(Field(x, "key" if x == "key" else "string",
                               _model(Prop(x, dict(v, nullable=True), True, False), "string"))
                         for x, v in sub["properties"].items())
            refs.append(Ref(f"audit.{k}", "company-config/user", subs))
        else:
            fields.append(Field(f"audit.{k}", _kind(p, k), _model(p, _kind(p, k))))
    return fields, refs, {"audit.createdBy": "audit.createdByUser.id", "audit.modifiedBy": "audit.modifiedByUser.id"}


def manual(path: str, fields: list[Field], refs: list[Ref] | None = None, audit: bool = True, **kw) -> ObjectDef:
    fs, rs, al = list(fields), list(refs or []), {}
    if audit:
        af, ar, al = _shared_audit()
        fs += af
        rs += ar
    return ObjectDef(path, fs, rs, has_audit=audit, aliases=al, **kw)


KEY = _m("key", "key", read_only=True)
ID = _m("id", nullable=False)
NAME = _m("name", nullable=False)
HREF = _m("href", read_only=True)
STATUS = _m("status", "enum", nullable=False, enum=("active", "inactive"))


def _hidden(path: str, *extra: Field) -> ObjectDef:
    return manual(path, [KEY, ID, NAME, *extra], audit=False, hidden=True, has_entity=False, mutate_field="name")


# ------------------------------------------------------------------------------------------------ the objects
DIMS = ("dimensions.department dimensions.location dimensions.class dimensions.project dimensions.vendor "
        "dimensions.customer dimensions.employee dimensions.item")
# dimension-ref has no href examples: its targets are the standard dimension objects
DIM_TARGETS = {"dimensions.department": "company-config/department", "dimensions.location": "company-config/location",
               "dimensions.class": "company-config/class", "dimensions.project": "projects/project",
               "dimensions.vendor": "accounts-payable/vendor", "dimensions.customer": "accounts-receivable/customer",
               "dimensions.employee": "company-config/employee", "dimensions.item": "inventory-control/item",
               "entity": "company-config/entity"}
CONTACT_EXTRA = ("email1", "phone1", "mailingAddress.city", "mailingAddress.country")


def _schema_objects() -> list[ObjectDef]:
    T = DIM_TARGETS
    return [
        from_schema("company-config/entity",
                    "key id name href status startDate taxId isRoot accountingType firstFiscalMonth firstTaxMonth "
                    "weekStart operatingCountry businessDays weekendDays audit",
                    refs="baseCurrency", has_entity=False, mutate_field="name"),
        from_schema("company-config/department",
                    "key id name href status reportTitle audit", refs="parent supervisor",
                    has_entity=False, mutate_field="reportTitle"),
        from_schema("company-config/location",
                    "key id name href status startDate reportTitle printAs locationType baseCurrency audit",
                    refs="parent entity contacts.primary", targets=T,
                    ref_extra={"contacts.primary": CONTACT_EXTRA}, mutate_field="printAs"),
        from_schema("company-config/class", "key id name href description status audit", refs="parent entity",
                    targets=T),
        from_schema("company-config/employee",
                    "key id name href status startDate endDate jobTitle isPlaceholderResource gender "
                    "preferredPaymentMethod defaultCurrency audit",
                    refs="department location class manager entity", targets=T, mutate_field="jobTitle"),
        from_schema("general-ledger/account",
                    "key id name href accountType normalBalance closingType alternativeGLAccount "
                    "disallowDirectPosting category isTaxable taxCode mrcCode status "
                    "requireDimensions.department requireDimensions.location requireDimensions.class "
                    "requireDimensions.project requireDimensions.vendor requireDimensions.customer "
                    "requireDimensions.employee requireDimensions.item requireDimensions.warehouse "
                    "requireDimensions.contract requireDimensions.task requireDimensions.costType "
                    "requireDimensions.asset requireDimensions.affiliateEntity requireDimensions.loanAccount "
                    "requireDimensions.isWorkOrderRequired audit",
                    refs="closeToGLAccount entity", targets=T, mutate_field="category"),
        from_schema("general-ledger/journal-entry",
                    "key id href txnNumber description postingDate automaticReversalDate moduleName "
                    "referenceNumber state txnSource audit",
                    refs="glJournal entity", lists="lines", targets=T, id_is_key=True),
        from_schema("general-ledger/journal-entry-line",
                    "key id href lineNumber txnType txnAmount baseAmount entryDate description isBillable isBilled "
                    "state currency.baseCurrency currency.txnCurrency currency.exchangeRate "
                    "currency.exchangeRateDate currency.exchangeRateTypeId audit",
                    refs=f"journalEntry glAccount {DIMS}", lists="taxEntries", targets=T, id_is_key=True,
                    owner_ref="journalEntry", http_methods="OPTIONS,GET,DELETE",
                    custom={"nsp::COST_CENTER_CODE": "string", "nsp::APPROVED_ON": "date"}),
        from_schema("accounts-payable/term",
                    "key id href status description due.days due.from discount.days discount.amount "
                    "discount.from discount.unit discount.graceDays discount.calculateOn penalty.cycle "
                    "penalty.amount penalty.unit penalty.graceDays audit", has_entity=False),
        from_schema("accounts-payable/vendor",
                    "key id name href status taxId creditLimit totalDue isOnHold isOneTimeUse billingType "
                    "paymentPriority preferredPaymentMethod currency notes audit",
                    refs="vendorType term entity contacts.default", targets=T,
                    ref_extra={"contacts.default": CONTACT_EXTRA}, mutate_field="notes",
                    custom={"nsp::REBATE_PCT": "number", "nsp::APPROVED_ON": "date"}),
        from_schema("accounts-payable/bill",
                    "key id href billNumber moduleName recordType state referenceNumber description postingDate "
                    "dueDate createdDate isOnHold paymentPriority totalTxnAmount totalBaseAmount totalTxnAmountDue "
                    "totalBaseAmountDue currency.baseCurrency currency.txnCurrency currency.exchangeRate.date "
                    "currency.exchangeRate.rate currency.exchangeRate.typeId paymentInformation.fullyPaidDate "
                    "paymentInformation.totalTxnAmountPaid paymentInformation.totalBaseAmountPaid audit",
                    refs="vendor term entity", lists="lines", targets=T, id_is_key=True),
        from_schema("accounts-payable/bill-line",
                    "key id href lineNumber createdDate txnAmount baseAmount memo currency.baseCurrency "
                    "currency.txnCurrency currency.exchangeRate.date currency.exchangeRate.rate "
                    "currency.exchangeRate.typeId audit",
                    refs="bill vendor glAccount dimensions.department dimensions.location dimensions.class "
                         "dimensions.project dimensions.item",
                    lists="taxEntries", targets=T, id_is_key=True, owner_ref="bill", mutate_field="memo"),
        from_schema("accounts-payable/payment",
                    "key id href recordType state documentNumber description txnDate paymentDate paymentMethod "
                    "baseCurrency.currency baseCurrency.totalAmount txnCurrency.currency txnCurrency.totalAmount "
                    "exchangeRate.date exchangeRate.rate exchangeRate.typeId audit",
                    refs="vendor entity", lists="details lines", targets=T, id_is_key=True),
        from_schema("accounts-payable/payment-detail",
                    "key id href paymentDate state moduleKey baseCurrency.paymentAmount txnCurrency.currency "
                    "txnCurrency.paymentAmount audit",
                    refs="apPayment bill", id_is_key=True, owner_ref="apPayment", mutate_field=None,
                    http_methods="OPTIONS,GET"),
        from_schema("accounts-receivable/customer",
                    "key id name href status taxId creditLimit totalDue isOnHold currency deliveryOptions notes "
                    "audit",
                    refs="customerType term entity contacts.default", targets=T,
                    ref_extra={"contacts.default": CONTACT_EXTRA}, mutate_field="notes",
                    custom={"nsp::CUSTOMER_SEGMENT": "string", "nsp::APPROVED_ON": "date"}),
        from_schema("accounts-receivable/invoice",
                    "key id action createAPBill recordType moduleKey invoiceNumber state description "
                    "invoiceDate dueDate currency.baseCurrency currency.txnCurrency currency.exchangeRate.date "
                    "currency.exchangeRate.rate currency.exchangeRate.typeId totalTxnAmount totalBaseAmount "
                    "totalTxnAmountDue totalBaseAmountDue dunningCount paymentInformation.fullyPaidDate "
                    "paymentInformation.totalTxnAmountPaid paymentInformation.totalBaseAmountPaid audit",
                    refs="customer term entity", lists="lines", targets=T, id_is_key=True),
        from_schema("accounts-receivable/invoice-line",
                    "key id lineNumber txnAmount baseAmount memo currency.baseCurrency currency.txnCurrency "
                    "currency.exchangeRate.date currency.exchangeRate.rate currency.exchangeRate.typeId audit",
                    refs="invoice glAccount dimensions.department dimensions.location dimensions.project "
                         "dimensions.customer dimensions.item",
                    lists="taxEntries", targets=T, id_is_key=True, owner_ref="invoice", mutate_field="memo"),
        from_schema("accounts-receivable/payment",
                    "key id href recordType state paymentMethod documentNumber description paidDate "
                    "baseCurrency.currency baseCurrency.totalAmount txnCurrency.currency txnCurrency.totalAmount "
                    "exchangeRate.date exchangeRate.rate exchangeRate.typeId referenceNumber overPaymentAmount "
                    "audit",
                    refs="customer entity", lists="paymentDetails lines", targets=T, id_is_key=True),
        from_schema("projects/project",
                    "key id name description status projectCurrency category startDate endDate "
                    "budget.billingAmount billingType audit",
                    refs="projectStatus customer department location manager entity", targets=T),
        from_schema("projects/task",
                    "key id name href description planned.startDate planned.endDate duration.planned "
                    "duration.estimated isMilestone isBillable taskStatus priority wbsCode audit",
                    refs="project customer item class", targets=T),
        from_schema("inventory-control/item",
                    "key id name href status itemType costMethod notes purchasing.standardCost sales.basePrice "
                    "sales.isTaxable audit",
                    refs="entity", targets=T, mutate_field="notes"),
        from_schema("accounts-receivable/payment-detail",
                    "key id href paymentDate baseCurrency.paymentAmount txnCurrency.currency "
                    "txnCurrency.paymentAmount audit",
                    refs="arPayment arInvoice", id_is_key=True, owner_ref="arPayment", mutate_field=None,
                    http_methods="OPTIONS,GET"),
    ]


def _more_objects() -> list[ObjectDef]:
    """The rest of what a finance team loads (cash, contracts, fixed assets, adjustments, budgets, rates, tax,
    security) and the reference objects that used to be hidden tables (vendor/customer types, journals, users,
    contacts). Data: ``more_data.py``."""
    T = DIM_TARGETS
    BANK = "key id href status audit"
    return [
        from_schema("accounts-payable/vendor-type", "key id href status form1099.type form1099.box audit",
                    refs="parent", has_entity=False, mutate_field="form1099.type"),
        from_schema("accounts-receivable/customer-type", "key id href status audit", refs="parent",
                    has_entity=False, mutate_field=None),
        from_schema("general-ledger/journal",
                    "key id name href status bookId bookType isAdjustment isBillable disallowDirectPosting audit",
                    has_entity=False, mutate_field=None),
        from_schema("company-config/user",
                    "key id href userName accountEmail userType adminPrivileges status webServices.isEnabled "
                    "entityAccess.allowUnrestrictedAccess entityAccess.allowTopLevelAccess audit",
                    has_entity=False, mutate_field="accountEmail"),
        from_schema("company-config/contact",
                    "key id href printAs companyName firstName lastName email1 phone1 mailingAddress.city "
                    "mailingAddress.country status showInContactList",
                    has_entity=False, mutate_field="printAs"),
        from_schema("company-config/role", "key id href description roleType applyTo audit", has_entity=False),
        from_schema("company-config/exchange-rate-type", "key id href name isDefault audit", has_entity=False,
                    id_is_key=True, mutate_field=None),
        from_schema("company-config/exchange-rate", "key id href fromCurrency toCurrency audit",
                    refs="exchangeRateType", lists="lines", has_entity=False, id_is_key=True, mutate_field=None),
        from_schema("company-config/exchange-rate-line",
                    "key id href effectiveStartDate rate reciprocalRate audit", refs="exchangeRate",
                    has_entity=False, id_is_key=True, owner_ref="exchangeRate", mutate_field=None),
        from_schema("company-config/employee-rate", "key id href hourlyRate annualSalary startDate endDate audit",
                    refs="employee", id_is_key=True, mutate_field=None),
        from_schema("cash-management/checking-account",
                    f"{BANK} bankAccountDetails.accountNumber bankAccountDetails.bankName "
                    "bankAccountDetails.routingNumber bankAccountDetails.currency bankAccountDetails.bankAddress.city "
                    "bankAccountDetails.bankAddress.country accounting.disableInterEntityTransfer "
                    "reconciliation.lastReconciledBalance reconciliation.lastReconciledDate",
                    refs="accounting.glAccount accounting.apJournal accounting.arJournal department location entity",
                    targets=T, mutate_field=None),
        from_schema("cash-management/savings-account",
                    f"{BANK} bankAccountDetails.accountNumber bankAccountDetails.bankName "
                    "bankAccountDetails.routingNumber bankAccountDetails.currency "
                    "reconciliation.lastReconciledBalance reconciliation.lastReconciledDate",
                    refs="accounting.glAccount entity", targets=T, mutate_field=None),
        from_schema("cash-management/credit-card-account",
                    f"{BANK} accountDetails.description accountDetails.cardType accountDetails.accountType "
                    "accountDetails.expirationMonth accountDetails.expirationYear accountDetails.currency",
                    refs="accounting.offsetGLAccount vendor entity", targets=T,
                    mutate_field="accountDetails.description"),
        from_schema("cash-management/bank-transaction",
                    "key id href txnType postingDate documentType documentNumber amount description payee txnId "
                    "reconciliationInformation.status reconciliationInformation.amountToMatch audit",
                    refs="financialAccount", ref_extra={"financialAccount": ("accountType", "currency")},
                    id_is_key=True),
        from_schema("contracts/contract-type", "key id href description status audit", refs="parent",
                    has_entity=False),
        from_schema("contracts/contract",
                    "key id href name description status state startDate endDate billingFrequency "
                    "currency.baseCurrency currency.txnCurrency currency.exchangeRateType isRenewable "
                    "contractTotalAmount billedAmount audit",
                    refs="contractType paymentTerm contacts.billTo entity", targets=T,
                    ref_only={"contractType": ("key", "id", "href")}),
        from_schema("contracts/contract-line",
                    "key id href state lineNumber startDate endDate itemDescription deliveryStatus postingDate "
                    "lineType memo isRecurring currency.baseCurrency currency.txnCurrency billing.frequency "
                    "billing.flatFixedAmount billing.startDate billing.endDate audit",
                    refs="contract item", id_is_key=True, mutate_field="memo"),
        from_schema("fixed-assets/depreciation-method", "key id href name audit", has_entity=False,
                    mutate_field=None),
        from_schema("fixed-assets/asset-classification", "key id href name status audit",
                    refs="assetGLAccount accumulatedDepreciationGLAccount depreciationExpenseGLAccount",
                    has_entity=False, mutate_field=None),
        from_schema("fixed-assets/asset",
                    "key id href name description state assetCost salvageValue inServiceDate acquisitionDate "
                    "serialNumber assetTag quantity isDepreciable type status notes audit",
                    refs="assetGLAccount accumulatedDepreciationGLAccount depreciationExpenseGLAccount "
                         "dimensions.department dimensions.location", targets=T, mutate_field="notes"),
        from_schema("accounts-payable/adjustment",
                    "key id href adjustmentNumber recordType state description createdDate isTaxInclusive "
                    "totalEntered totalBaseAmountDue txnTotalEntered txnTotalDue currency.exchangeRateDate "
                    "currency.exchangeRateTypeId currency.exchangeRate currency.baseCurrency currency.txnCurrency "
                    "referenceNumber moduleKey audit",
                    refs="vendor entity", targets=T, id_is_key=True),
        from_schema("accounts-receivable/adjustment",
                    "key id href txnType adjustmentNumber state description documentNumber baseCurrency.currency "
                    "baseCurrency.totalAmountEntered baseCurrency.totalDue txnCurrency.currency "
                    "txnCurrency.totalEntered txnCurrency.totalDue exchangeRate.date exchangeRate.rate "
                    "exchangeRate.typeId moduleKey createdDate glPostingDate audit",
                    refs="customer entity", targets=T, id_is_key=True),
        from_schema("general-ledger/account-group",
                    "key id href title displayTotalLineAs manager normalBalance groupType calculationMethod isKPI "
                    "includeChildAmount audit", has_entity=False, mutate_field="manager"),
        from_schema("general-ledger/budget",
                    "key id href description isDefault status consolidateAmounts currency postProjectEstimate "
                    "postProjectContract systemGenerated submitterName audit",
                    refs="entity", lists="lines", targets=T),
        from_schema("general-ledger/budget-detail",
                    "key id href amount notes currency.txnCurrency budgetGrowth.growBy audit",
                    refs="budget glAccount dimensions.department dimensions.location reportingPeriod", targets=T,
                    ref_extra={"reportingPeriod": ("startDate", "endDate")}, id_is_key=True, owner_ref="budget",
                    mutate_field="notes", http_methods="OPTIONS,GET,PATCH,DELETE"),
        from_schema("tax/tax-detail",
                    "key id href status taxUniqueId taxRate taxType amountToTax description taxPercent "
                    "reverseCharge useExpenseAccount isSystemGenerated", refs="glAccount", has_entity=False),
        from_schema("time/timesheet-rule",
                    "key id href name startDate endDate minHoursPerWorkDay maxHoursPerWorkDay requireNotes "
                    "doNotAllowOnHolidays status", id_is_key=True, has_entity=False, mutate_field=None),
        from_schema("time/timesheet-approval-record",
                    "key id href approvalStage approvalType approvalLevel recordDate state comments",
                    refs="approvedBy approver", id_is_key=True, has_entity=False, mutate_field=None,
                    http_methods="OPTIONS,GET"),
    ]


def _manual_objects() -> list[ObjectDef]:
    return [
        manual("platform-apps/nsp::project_budget",
               [KEY, _m("id", read_only=True), NAME, HREF, _m("fiscalYear", "integer"), _m("budgetAmount", "money"),
                _m("approved", "boolean"), _m("description")],
               [_mref("project", "projects/project")], id_is_key=True, has_entity=False),
    ]


def _hidden_objects() -> list[ObjectDef]:
    """Reference-only tables (no vendored schema): targets of references, never served as objects."""
    return [
        _hidden("accounts-receivable/term"),
        _hidden("company-config/txn-currency"),
        _hidden("projects/project-status"),
        # what bank transactions point at (checking, savings and credit-card accounts alike)
        _hidden("cash-management/bank-account", _m("accountType", "enum", enum=("bank", "creditCard")),
                _m("currency")),
        _hidden("general-ledger/reporting-period", _m("startDate", "date"), _m("endDate", "date")),
    ]


# What the sandbox's API user may not use (defaults of Sandbox(forbidden_objects=..., unsubscribed_modules=...)):
# employee pay rates are the textbook object a web-services role is not granted; Time (timesheets) is a module
# many finance-only companies do not subscribe to. Both stay listed by the model service (discovery sees them).
FORBIDDEN_OBJECTS: tuple[str, ...] = ("company-config/employee-rate",)
UNSUBSCRIBED_MODULES: tuple[str, ...] = ("time",)


def _build() -> list[ObjectDef]:
    objs = _hidden_objects() + _schema_objects() + _more_objects()
    have = {o.path for o in objs}
    for m in _manual_objects():
        if m.path not in have:
            objs.append(m)
    by = {o.path: o for o in objs}
    for o in objs:  # every ref and served list must point at an object the sandbox has
        for r in o.refs:
            if r.target not in by:
                raise SchemaError(f"{o.path}: ref {r.name} targets {r.target}, which the sandbox does not define")
            target = by[r.target]
            for sub in r.fields:
                if sub not in ("key", "id", "href") and target.field(sub) is None:
                    raise SchemaError(f"{o.path}: ref {r.name} serves {sub}, which {r.target} does not have")
        for lst in o.lists:
            if lst.target in by and by[lst.target].owner_ref is None:
                raise SchemaError(f"{o.path}: list {lst.name} -> {lst.target} is not an owned object")
        if o.mutate_field is not None and o.field(o.mutate_field) is None:
            raise SchemaError(f"{o.path}: mutate_field {o.mutate_field} is not one of its fields")
    return objs


OBJECTS: list[ObjectDef] = _build()
OBJECTS_BY_PATH: dict[str, ObjectDef] = {o.path: o for o in OBJECTS}
SERVED_PATHS: list[str] = [o.path for o in OBJECTS if not o.hidden]
SCHEMA_PATHS: list[str] = [o.path for o in OBJECTS if o.schema and not o.hidden]
assert all(has_schema(p) for p in SCHEMA_PATHS)
