"""Object model -> query field list, column names, pyarrow types and dlt column hints.

Types are decided from the model, never from data, so a table's schema is the same whether a page holds one
row or none. Money is exact: `decimal-precision-N` strings become decimal(28, N) and plain JSON numbers
(`creditLimit`, exchange rates) become decimal(38, 16), parsed from their text, never through a float. A
value that does not fit its column fails the run with `IntacctDataError` naming table, column and key.

Only readable scalar fields are queried: write-only fields, arrays and owned lists cannot be used in a query
(the real API answers 400 REST-1106), and `href` links are left out because they are derived from `key`.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import orjson
import pyarrow as pa

from .errors import IntacctDataError

logger = logging.getLogger("intacct_dagster.intacct")

DECIMAL_PRECISION = 28
NUMBER_PRECISION = 38
NUMBER_SCALE = 16
DELETED_COLUMN = "_intacct_deleted"
SKIPPED_FIELD_NAMES = frozenset({"href"})
_WIDE = Context(prec=80)  # quantizing to 16 decimals needs more than the default 28 digits
_DECIMAL_FORMAT = re.compile(r"(?:decimal|percent)-precision-(\d+)")
_CAMEL_1 = re.compile(r"(.)([A-Z][a-z]+)")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Column:
    """One requested field: API name (flat dotted key), column name and its kind."""

    field: str
    name: str
    kind: str  # text | decimal | number | date | timestamp | bigint | bool | json
    scale: int = 0

    @property
    def arrow_type(self) -> pa.DataType:
        if self.kind == "decimal":
            return pa.decimal128(DECIMAL_PRECISION, self.scale)
        if self.kind == "number":
            return pa.decimal128(NUMBER_PRECISION, NUMBER_SCALE)
        return ARROW_TYPES[self.kind]

    @property
    def is_decimal(self) -> bool:
        return self.kind in ("decimal", "number")

    def dlt_hint(self) -> dict[str, Any]:
        hint: dict[str, Any] = {"name": self.name, "data_type": DLT_TYPES[self.kind], "nullable": True}
        if self.kind == "decimal":
            hint.update(precision=DECIMAL_PRECISION, scale=self.scale)
        elif self.kind == "number":
            hint.update(precision=NUMBER_PRECISION, scale=NUMBER_SCALE)
        elif self.kind == "timestamp":
            hint.update(timezone=True, precision=6)
        return hint


ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(), "json": pa.string(), "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
    "bigint": pa.int64(), "bool": pa.bool_(),
}
DLT_TYPES = {"text": "text", "json": "json", "date": "date", "timestamp": "timestamp", "bigint": "bigint",
             "bool": "bool", "decimal": "decimal", "number": "decimal"}


def column_name(field: str) -> str:
    """Snake_case name: `audit.modifiedDateTime` -> `audit_modified_date_time`, `vendor.id` -> `vendor_id`,
    `nsp::CUSTOMER_SEGMENT` -> `nsp_customer_segment`. Idempotent under dlt's snake_case."""
    parts = []
    for part in field.replace("::", ".").split("."):
        part = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", part)).lower()
        parts.append(_NON_ALNUM.sub("_", part).strip("_"))
    name = "_".join(p for p in parts if p)
    name = re.sub(r"_+", "_", name) or "field"
    return f"f_{name}" if name[0].isdigit() else name


def kind_of(spec: Mapping[str, Any]) -> tuple[str, int]:
    """Map a model field spec (`type`, `format`) to a column kind (and decimal scale)."""
    ftype = str(spec.get("type") or "string").lower()
    fmt = str(spec.get("format") or "").lower()
    m = _DECIMAL_FORMAT.search(fmt)
    if m:
        return "decimal", int(m.group(1))
    if fmt == "date":
        return "date", 0
    if fmt in ("date-time", "datetime", "timestamp"):
        return "timestamp", 0
    if ftype == "integer":
        return "bigint", 0
    if ftype == "number":
        return "number", NUMBER_SCALE
    if ftype == "boolean":
        return "bool", 0
    if ftype in ("array", "object"):
        return "json", 0
    return "text", 0


def _items(node: Any) -> Iterable[tuple[str, Any]]:
    """Model sections come as {name: spec}; tolerate a list of {name: ..., ...} too (and `[]` for none)."""
    if isinstance(node, Mapping):
        return node.items()
    if isinstance(node, list):
        return [(str(x.get("name")), x) for x in node if isinstance(x, Mapping) and x.get("name")]
    return []


def queryable(spec: Mapping[str, Any]) -> bool:
    """A field the query service can return: readable (not write-only) and scalar."""
    if spec.get("writeOnly") is True:
        return False
    return str(spec.get("type") or "string").lower() not in ("array", "object")


def model_fields(model: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every loadable field of an object model as (dotted API name, spec): scalar fields, custom `nsp::`
    fields, groups (audit, currency, dimensions, ...) and refs (`vendor.id`, `vendor.name`, ...),
    recursively. Write-only fields, arrays, owned lists (child collections, their own objects) and `href`
    links are skipped."""
    out: dict[str, Mapping[str, Any]] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for name, spec in _items(node.get("fields")):
            spec = spec if isinstance(spec, Mapping) else {}
            if name in SKIPPED_FIELD_NAMES:
                continue
            if str(spec.get("type", "")).lower() == "object" and isinstance(spec.get("fields"), (Mapping, list)):
                walk(spec, f"{prefix}{name}.")
                continue
            if queryable(spec):
                out.setdefault(f"{prefix}{name}", spec)
        for name, group in _items(node.get("groups")):
            if isinstance(group, Mapping):
                walk(group, f"{prefix}{name}.")
        for name, ref in _items(node.get("refs")):
            ref = ref if isinstance(ref, Mapping) else {}
            if not _items(ref.get("fields")):
                ref = {**ref, "fields": {"key": {"type": "string"}, "id": {"type": "string"}}}
            walk(ref, f"{prefix}{name}.")

    walk(model, "")
    return list(out.items())


def build_columns(model: Mapping[str, Any], primary_key: str = "key",
                  known: Mapping[str, str] | None = None) -> list[Column]:
    """Columns for every loadable model field. Names are stable across runs: `known` (field -> column, as
    saved by earlier runs) is kept as it is, and a new field never takes a name already in use, so a field
    that appears later can never change what an existing column means. Among new fields, shorter API names
    win a clash, then alphabetical order; losers get `_2`, `_3`... The primary key is first and text."""
    fields = model_fields(model)
    if primary_key not in dict(fields):
        fields.insert(0, (primary_key, {"type": "string"}))
    known = dict(known or {})
    taken: set[str] = {DELETED_COLUMN, *known.values()}
    named: dict[str, Column] = {}
    ordered = sorted(fields, key=lambda fs: (fs[0] != primary_key, fs[0].count("."), fs[0]))
    for field, spec in ordered:
        kind, scale = ("text", 0) if field == primary_key else kind_of(spec)
        if field in known:
            named[field] = Column(field, known[field], kind, scale)
            continue
        base = column_name(field)
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        named[field] = Column(field, name, kind, scale)
    first = [named.pop(primary_key)]
    return first + [named[f] for f, _ in fields if f in named]


def dlt_columns(columns: Iterable[Column], primary_key: str = "key", cursor: str | None = None,
                deletes: bool = True) -> dict:
    """dlt column hints: explicit types, non-null primary key, dedup by newest cursor, and the delete flag."""
    hints: dict[str, dict[str, Any]] = {}
    for col in columns:
        hint = col.dlt_hint()
        if col.field == primary_key:
            hint.update(nullable=False, primary_key=True)
        if cursor and col.field == cursor:
            hint["dedup_sort"] = "desc"
        hints[col.name] = hint
    if deletes:
        hints[DELETED_COLUMN] = {"name": DELETED_COLUMN, "data_type": "bool", "nullable": True, "hard_delete": True}
    return hints


def arrow_schema(columns: Iterable[Column], primary_key: str = "key") -> pa.Schema:
    """Arrow schema matching `dlt_columns` (primary key not nullable) so dlt sees no hint conflicts."""
    return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.field != primary_key) for c in columns])


def rows_to_table(rows: list[dict[str, Any]], columns: list[Column], schema: pa.Schema | None = None,
                  table: str = "") -> pa.Table:
    """Column-wise conversion of query rows to an arrow table; fast casts, exact fallbacks. Keys a row
    carries that were not requested are ignored."""
    schema = schema or arrow_schema(columns)
    if not rows:
        return schema.empty_table()
    fields = [c.field for c in columns]
    try:
        if len(fields) == 1:
            values: list[Sequence[Any]] = [[r[fields[0]] for r in rows]]
        else:
            # transpose in C: one itemgetter call per row, then zip (2-3x faster than a .get() per value)
            values = list(zip(*map(operator.itemgetter(*fields), rows), strict=True))
    except KeyError:  # some row lacks a field: the API omitted it, treat as null
        values = [[r.get(f) for r in rows] for f in fields]
    keys = values[0]
    arrays = [_to_array(v, c, keys, table) for v, c in zip(values, columns, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def _to_array(values: Sequence[Any], col: Column, keys: Sequence[Any], table: str) -> pa.Array:
    target = col.arrow_type
    kind = col.kind
    try:
        if kind == "text":
            return pa.array(values, pa.string())
        if kind in ("decimal", "number", "date", "timestamp"):
            if col.is_decimal and any(type(v) is float for v in values):
                raise TypeError("float in a decimal column")  # never round-trip money through a float
            if any(type(v) is not str and v is not None for v in values):
                raise TypeError("non-text value")
            return pa.array([None if v == "" else v for v in values] if "" in values else values,
                            pa.string()).cast(target)
        if kind == "json":
            return pa.array([None if v is None else orjson.dumps(v, default=str).decode() for v in values],
                            pa.string())
        return pa.array(values, target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
        return pa.array([_coerce(v, col, k, table) for v, k in zip(values, keys, strict=True)], target)


def _coerce(value: Any, col: Column, key: Any, table: str) -> Any:
    """Exact slow path for odd values (numbers where strings were expected, blanks, ...); a value that does
    not fit raises `IntacctDataError` naming table, column and key."""
    if value is None or value == "":
        return None
    kind = col.kind
    try:
        if kind == "text":
            return value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
        if kind in ("decimal", "number"):
            if isinstance(value, float):
                raise ValueError("arrived as a binary float; parse the body with decimals")
            if isinstance(value, bool):
                raise ValueError("is a boolean")
            d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            scale = col.scale if kind == "decimal" else NUMBER_SCALE
            precision = DECIMAL_PRECISION if kind == "decimal" else NUMBER_PRECISION
            if not d.is_finite():
                raise ValueError("is not a finite number")
            q = d.quantize(Decimal(1).scaleb(-scale), context=_WIDE)
            if q != d:
                raise ValueError(f"has more than {scale} decimals")
            if len(q.as_tuple().digits) > precision:
                raise ValueError(f"has more than {precision} digits")
            return q
        if kind == "date":
            return pa.scalar(str(value)[:10]).cast(pa.date32()).as_py()
        if kind == "timestamp":
            text = str(value)
            if not text.endswith("Z") and "+" not in text[10:] and "-" not in text[10:]:
                text += "Z"
            return pa.scalar(text).cast(col.arrow_type).as_py()
        if kind == "bigint":
            if isinstance(value, bool):
                raise ValueError("is a boolean")
            d = Decimal(str(value))
            if d != d.to_integral_value():
                raise ValueError("is not an integer")
            return int(d)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "1", "yes", "t"):
                return True
            if text in ("false", "0", "no", "f"):
                return False
            raise ValueError("is not a boolean")
        if kind == "json":
            return orjson.dumps(value, default=str).decode()
    except (InvalidOperation, pa.ArrowInvalid, TypeError, ValueError, OverflowError) as exc:
        shown = repr(value) if len(repr(value)) < 80 else repr(value)[:77] + "..."
        raise IntacctDataError(
            f"table {table or '?'}, column {col.name} (Intacct field {col.field}), key {key}: value {shown} does "
            f"not fit {col.arrow_type}: {exc}. The table's cursor did not move, so no row is skipped once this "
            "is fixed; report the value (the column may need to be wider)") from None
    return value
