"""Fast path: turn a query response body straight into an arrow table, without Python row objects.

Building a dict per row and then an arrow array per column costs about as much CPU as the JSON parse
itself. Here the `ia::result` array is cut into newline-delimited JSON and read by Arrow's C++ JSON reader
(which releases the GIL and reads decimals exactly from the number or string text). It only accepts the
compact layout `{"ia::result":[...],"ia::meta":{...}}` that Intacct sends; any other layout (pretty-printed,
`ia::meta` first), type surprise or parse error returns None and the caller takes the exact path
(`exact_page`), which is slower but loads the same rows.

Rows are cut at `},{"`, which never occurs inside a JSON string: a quote inside a string is always escaped
(`\\"`), so text such as `Contacts: {Ann},{Bob}` stays whole. If a cut still produced a broken line, the
whole page would fail to parse and take the exact path; it can never yield a wrong row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.json as pajson

from .schema import Column

HEAD = b'{"ia::result":['
META_SEP = b'],"ia::meta":'
ROW_SEP = b'},{"'  # between two rows; never inside a string (its quote would be escaped)
_CAST_KINDS = frozenset({"date", "timestamp"})  # read as text, then cast (Arrow reads decimals itself)


@dataclass
class RawPage:
    """A successful body that passed the cheap structural check; decoded later (off the request path)."""

    content: bytes
    meta: dict[str, Any]
    last: tuple[Any, str] | None  # peeked from the last row; verified against the decoded table


def exact_page(content: bytes) -> dict[str, Any]:
    """The whole body parsed exactly: JSON numbers with a fraction become `Decimal`, never a binary float
    (orjson first, because it is fast; the stdlib parser with `parse_float=Decimal` only when a float
    appears). Any layout and key order."""
    body = orjson.loads(content)
    if not isinstance(body, dict):
        return {}
    rows = body.get("ia::result")
    if isinstance(rows, list) and any(type(v) is float for r in rows if isinstance(r, dict) for v in r.values()):
        body = json.loads(content, parse_float=Decimal)
    return body


def split_meta(content: bytes) -> tuple[int, dict[str, Any]] | None:
    """Where the compact layout's `ia::result` array ends, and the parsed `ia::meta`; None if the body
    is not in that layout."""
    if not content.startswith(HEAD) or not content.endswith(b"}"):
        return None
    cut = content.rfind(META_SEP)
    if cut < 0:
        return None
    try:
        meta = orjson.loads(b"{" + content[cut + 2:]).get("ia::meta")
    except orjson.JSONDecodeError:
        return None
    return (cut, meta) if isinstance(meta, dict) else None


def peek(content: bytes, key: str, cursor: str | None) -> RawPage | None:
    """Check the compact layout and read `ia::meta` and the last row only (a few hundred bytes of JSON),
    so the next keyset request can go out before this page is decoded. None: use the normal parse."""
    split = split_meta(content)
    if split is None:
        return None
    cut, meta = split
    if cut == len(HEAD):
        return RawPage(content, meta, None)
    start = content.rfind(ROW_SEP, len(HEAD), cut)
    try:
        row = orjson.loads(content[start + 2 if start >= 0 else len(HEAD):cut])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(row, dict) or row.get(key) is None:
        return None
    return RawPage(content, meta, (row.get(cursor) if cursor else None, str(row[key])))


@dataclass
class ArrowPage:
    table: pa.Table
    meta: dict[str, Any]
    last: tuple[Any, str] | None  # (cursor value as the API sent it, key) of the last row


class PageDecoder:
    """Decoder for one object's pages (read schema and casts are computed once)."""

    def __init__(self, columns: list[Column], schema: pa.Schema, key: str, cursor: str | None) -> None:
        self.columns = columns
        self.schema = schema
        self.key = key
        self.cursor = cursor
        if any(c.kind == "json" for c in columns):
            self.read_schema = None  # arrays/objects as text: leave them to the slow path
        else:
            self.read_schema = pa.schema(
                [pa.field(c.field, pa.string() if c.kind in _CAST_KINDS else c.arrow_type) for c in columns])
        self._parse = pajson.ParseOptions(explicit_schema=self.read_schema, unexpected_field_behavior="ignore")
        # pages are decoded on several scan threads at once already: one parser thread each keeps memory flat
        self._read = pajson.ReadOptions(use_threads=False, block_size=1 << 24)
        self._index = {c.field: i for i, c in enumerate(columns)}

    def __call__(self, content: bytes) -> ArrowPage | None:
        split = split_meta(content) if self.read_schema is not None else None
        if split is None:
            return None
        cut, meta = split
        if cut == len(HEAD):
            return ArrowPage(self.schema.empty_table(), meta, None)
        # one copy of the body (rows on their own lines), read through a zero-copy slice of it
        lines = content.replace(ROW_SEP, b'}\n{"')
        end = lines.rfind(META_SEP)
        rows = pa.BufferReader(pa.py_buffer(lines).slice(len(HEAD), end - len(HEAD)))
        try:
            read = pajson.read_json(rows, read_options=self._read, parse_options=self._parse)
            arrays = []
            for col, arr in zip(self.columns, read.columns, strict=True):
                arrays.append(arr.cast(col.arrow_type) if col.kind in _CAST_KINDS else arr)
            table = pa.Table.from_arrays(arrays, schema=self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
        n = read.num_rows - 1
        key = read.column(self._index[self.key])[n].as_py()
        if key is None:
            return None
        cursor = read.column(self._index[self.cursor])[n].as_py() if self.cursor else None
        return ArrowPage(table, meta, (cursor, str(key)))
