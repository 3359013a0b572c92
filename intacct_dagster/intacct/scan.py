"""Step 2 of a table's extract: run a `Plan` against the query service and yield arrow tables.

Pages are keyset-paged (`keyset.py`), decoded by the fast path when the body has Intacct's compact layout and
exactly otherwise (`rawjson.py`), and handed to dlt a few pages at a time. The scan remembers the newest
`audit.modifiedDateTime` it saw (for the cursor) and, when the plan reconciles deletes from what it saw, every
key. A field the server refuses to query (400 REST-1106) is dropped with a warning and the scan restarts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .client import IntacctClient
from .errors import IntacctError, extract_error
from .keyset import KeysetQuery, iter_pages
from .plan import Plan
from .rawjson import ArrowPage, PageDecoder, RawPage, exact_page, peek
from .schema import arrow_schema, rows_to_table

logger = logging.getLogger("intacct_dagster.intacct")

BATCH_ROWS = 20_000  # rows per yielded arrow table (5 full pages): few dlt calls, bounded memory
UNQUERYABLE = "REST-1106"
_FIELD_IN_MESSAGE = re.compile(r"The (\S+) field in \S+ object cannot be used in query")


@dataclass
class ScanResult:
    rows: int = 0
    newest: str | None = None  # newest cursor value seen (API text)
    seen_keys: list[pa.Array] = field(default_factory=list)
    dropped_fields: list[str] = field(default_factory=list)
    pages: int = 0


class TableScan:
    """Runs the scans of one plan; iterate `tables()`, then read `result`."""

    def __init__(self, plan: Plan, client: IntacctClient, include_private: bool, page_size: int,
                 collect_keys: bool, prefetch: int = 3) -> None:
        self.plan = plan
        self.client = client
        self.include_private = include_private
        self.page_size = page_size
        self.collect_keys = collect_keys
        self.prefetch = prefetch
        self.result = ScanResult()

    # -- queries ------------------------------------------------------------------------------------------
    def queries(self) -> list[KeysetQuery]:
        p = self.plan
        common = dict(object_path=p.obj.path, fields=p.fields, key=p.obj.primary_key,
                      page_size=self.page_size, include_private=self.include_private)
        if p.cursor_field is None:
            return [KeysetQuery(**common, cursor=None)]
        out = [KeysetQuery(**common, cursor=p.cursor_field, lower=p.lower, upper=p.upper)]
        if p.include_null_cursor:
            out.append(KeysetQuery(**common, cursor=p.cursor_field, null_cursor=True))
        return out

    # -- the scan -----------------------------------------------------------------------------------------
    def tables(self) -> Iterator[pa.Table]:
        """Arrow tables of this plan's rows, `BATCH_ROWS` at a time."""
        while True:
            try:
                yield from self._tables()
                return
            except IntacctError as exc:
                bad = unqueryable_fields(exc, self.plan.fields)
                if not bad or self.result.rows:
                    raise
                for f in bad:
                    logger.warning("intacct: %s: the server refuses to query field %s (%s); it is skipped",
                                   self.plan.obj.name, f, exc.error_id or exc.code)
                self.result.dropped_fields += bad
                self.plan.columns = [c for c in self.plan.columns if c.field not in bad]

    def _tables(self) -> Iterator[pa.Table]:
        plan = self.plan
        schema = arrow_schema(plan.columns, plan.obj.primary_key)
        decoder = PageDecoder(plan.columns, schema, plan.obj.primary_key, plan.cursor_field)
        batch: list[pa.Table] = []
        batch_rows = 0
        for query in self.queries():
            decode = self._decoder(query, decoder, schema)
            for page in iter_pages(self._fetcher(query), query, prefetch=self.prefetch, decode=decode):
                self.result.pages += 1
                if page.count:
                    self.result.rows += page.count
                    batch.append(page.table)
                    batch_rows += page.count
                    self._note(page.table, query)
                logger.info("intacct: %s page %d: %d rows (%d so far)", plan.obj.name, self.result.pages,
                            page.count, self.result.rows)
                del page
                if batch_rows >= BATCH_ROWS:
                    table = pa.concat_tables(batch)
                    batch, batch_rows = [], 0
                    yield table
                    del table
                    pa.default_memory_pool().release_unused()  # keep RSS flat on long scans
        if batch:
            yield pa.concat_tables(batch)

    def _note(self, table: pa.Table, query: KeysetQuery) -> None:
        """Track the newest cursor value and (when reconciling from what was seen) the keys."""
        plan = self.plan
        if self.collect_keys:
            self.result.seen_keys.append(table.column(0).combine_chunks().cast(pa.string()))
        if plan.cursor_field and query.pages_by_cursor:
            col = table.column(plan.column_names[plan.cursor_field])
            newest = pc.max(col).as_py()
            if newest is not None:
                text = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
                if self.result.newest is None or text > self.result.newest:
                    self.result.newest = text

    def _fetcher(self, query: KeysetQuery) -> Callable[[dict[str, Any]], Any]:
        key, cursor = query.key, query.cursor if query.pages_by_cursor else None

        def decode_body(content: bytes) -> Any:
            """Runs on the response: the compact layout comes back raw with its last row peeked (so the next
            request can go out before this page is decoded); anything else is parsed exactly here."""
            raw = peek(content, key, cursor)
            if raw is not None:
                return raw
            try:
                body = exact_page(content)
            except (orjson.JSONDecodeError, ValueError):
                return None  # cut or invalid body: the client retries it
            if not body or extract_error(body) is not None or not isinstance(body.get("ia::result"), list):
                return None  # the client raises the error (or retries a malformed answer)
            return body

        return lambda body: self.client.query(body, decode=decode_body)

    def _decoder(self, query: KeysetQuery, decoder: PageDecoder, schema: pa.Schema) -> Callable[[Any], ArrowPage]:
        table_name = self.plan.obj.name
        columns = self.plan.columns

        def decode(page: RawPage | dict[str, Any]) -> ArrowPage:
            """Runs on the prefetch thread, overlapping the next request: arrow fast path, else exact rows."""
            if isinstance(page, RawPage):
                fast = decoder(page.content)
                if fast is not None:
                    return fast
                page = exact_page(page.content)
            rows = page.get("ia::result") or []
            rows = rows if isinstance(rows, list) else []
            return ArrowPage(rows_to_table(rows, columns, schema, table_name), page.get("ia::meta") or {},
                             query.position_of(rows[-1]) if rows else None)

        return decode


def unqueryable_fields(exc: IntacctError, fields: list[str]) -> list[str]:
    """Fields named by a 400 REST-1106 ("The X field in <object> object cannot be used in query")."""
    found: list[str] = []
    entries = [{"errorId": exc.error_id, "message": exc.message}, *exc.details]
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("errorId") != UNQUERYABLE:
            continue
        m = _FIELD_IN_MESSAGE.search(str(entry.get("message") or ""))
        name = m.group(1) if m else str(entry.get("target") or "").lstrip("/")
        if name in fields and name not in found:
            found.append(name)
    return found
