"""Step 2 of a table's extract: run a `Plan` against the query service, producing arrow pages.

A `TableScan` runs on its own thread and hands each decoded page to a bounded queue; the table's dlt
resource (on dlt's thread) drains it (`Collector`: batches for dlt, the newest cursor value seen, and the
keys seen when deletes are reconciled from them). Pages are keyset-paged (`keyset.py`) and decoded by the
fast path when the body has Intacct's compact layout, exactly otherwise (`rawjson.py`). When the first page
shows many more pages to come, the rest is cut into ranges read concurrently. A field the server refuses to
query (400 REST-1106) is dropped with a warning and the scan restarts.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from .client import IntacctClient
from .errors import IntacctError, extract_error
from .keyset import KeysetQuery, Page, iter_pages
from .plan import Plan
from .rawjson import ArrowPage, PageDecoder, RawPage, exact_page, peek
from .schema import arrow_schema, rows_to_table

logger = logging.getLogger("intacct_dagster.intacct")

BATCH_ROWS = 20_000  # rows per arrow table handed to dlt (5 full pages): few dlt calls, bounded memory
UNQUERYABLE = "REST-1106"
COMPLETE_CHUNK = 100  # documents per `$in` query when completing documents under a history bound
_FIELD_IN_MESSAGE = re.compile(r"The (\S+) field in \S+ object cannot be used in query")


@dataclass
class ScanPage:
    table: pa.Table
    by_cursor: bool  # from a scan ordered by the cursor (its rows move the cursor)


class Stop(Exception):
    """The consumer went away: stop scanning."""


class TableScan:
    """Runs the scans of one plan: `run(put)` calls `put(ScanPage)` for every page, in this thread plus range
    threads. `dropped_fields` lists fields the server refused."""

    def __init__(self, plan: Plan, client: IntacctClient, include_private: bool, page_size: int,
                 prefetch: int = 2, max_ranges: int | None = None) -> None:
        self.plan = plan
        self.client = client
        self.include_private = include_private
        self.page_size = page_size
        self.prefetch = prefetch
        self.max_ranges = max_ranges if max_ranges is not None else client.limiter.max_slots
        self.dropped_fields: list[str] = []
        self.pages = 0

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

    def run(self, put: Callable[[ScanPage], None]) -> None:
        """Scan everything the plan asks for; `put` may raise `Stop`."""
        while True:
            try:
                self._run(put)
                return
            except IntacctError as exc:
                bad = unqueryable_fields(exc, self.plan.fields)
                if not bad or self.pages:
                    raise
                for f in bad:
                    logger.warning("intacct: %s: the server refuses to query field %s (%s); it is skipped",
                                   self.plan.obj.name, f, exc.error_id or exc.code)
                self.dropped_fields += bad
                self.plan.columns = [c for c in self.plan.columns if c.field not in bad]

    def _run(self, put: Callable[[ScanPage], None]) -> None:
        plan = self.plan
        schema = arrow_schema(plan.columns, plan.obj.primary_key)
        decoder = PageDecoder(plan.columns, schema, plan.obj.primary_key, plan.cursor_field)
        lock = threading.Lock()

        def scan(query: KeysetQuery) -> None:
            def put_page(table: pa.Table) -> None:
                with lock:
                    self.pages += 1
                    put(ScanPage(table, query.pages_by_cursor))

            self._scan(query, self._decoder(query, decoder, schema), put_page)

        # the main scan here, the records with a null cursor (a first load) alongside it
        main, *others = self.queries()
        errors: list[BaseException] = []

        def side(query: KeysetQuery) -> None:
            try:
                scan(query)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, on the scan's thread
                errors.append(exc)

        threads = [threading.Thread(target=side, args=(q,), name=f"intacct-side-{plan.obj.name}", daemon=True)
                   for q in others]
        for t in threads:
            t.start()
        try:
            scan(main)
        finally:
            for t in threads:
                t.join()
        if errors:
            raise errors[0]

    def complete(self, parents: list[str], before: str, chunk: int | None = None) -> Iterator[pa.Table]:
        """The lines of documents `parents` last modified before `before` (the history bound): the siblings a
        bounded load never read. `chunk` documents per `$in` query, paged by key; the queries run concurrently
        within the request limiter's slots (a few in flight at a time, so memory stays bounded) and their
        pages are yielded on the caller's thread."""
        plan = self.plan
        assert plan.obj.parent and plan.cursor_field
        schema = arrow_schema(plan.columns, plan.obj.primary_key)
        decoder = PageDecoder(plan.columns, schema, plan.obj.primary_key, None)

        def read(keys: list[str]) -> list[pa.Table]:
            query = KeysetQuery(object_path=plan.obj.path, fields=plan.fields, key=plan.obj.primary_key,
                                page_size=self.page_size, include_private=self.include_private,
                                extra_filters=[{"$in": {plan.obj.parent: keys}},
                                               {"$lt": {plan.cursor_field: before}}])
            return [page.table for page in iter_pages(self._fetcher(query), query, prefetch=0,
                                                      decode=self._decoder(query, decoder, schema),
                                                      speculate=False)]

        chunk = chunk or COMPLETE_CHUNK
        chunks = [parents[i:i + chunk] for i in range(0, len(parents), chunk)]
        width = max(1, min(self.max_ranges, len(chunks)))
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="intacct-complete") as pool:
            pending = [pool.submit(read, c) for c in chunks[:width * 2]]
            queued = len(pending)
            while pending:
                tables = pending.pop(0).result()
                if queued < len(chunks):
                    pending.append(pool.submit(read, chunks[queued]))
                    queued += 1
                yield from tables

    def _scan(self, query: KeysetQuery, decode: Callable[[Any], ArrowPage],
              put: Callable[[pa.Table], None]) -> None:
        """One query's pages. When the first page shows that many more pages follow, the rest of the key
        space is cut into ranges at positions the server itself orders (so its collation of `key` does not
        matter), and the ranges are read concurrently, each keyset-paged."""
        pages = iter_pages(self._fetcher(query), query, prefetch=self.prefetch, decode=decode)
        try:
            first = next(pages, None)
            if first is None:
                return
            put(first.table)
            edges = self._range_edges(query, first) if first.more else []
            if not edges:
                for page in pages:
                    put(page.table)
                return
        finally:
            pages.close()
        ranges = [dataclasses.replace(query, after=lo, upto=hi)
                  for lo, hi in zip([first.last, *edges], [*edges, None], strict=True)]
        logger.info("intacct: %s: %d more rows; reading them as %d concurrent ranges", self.plan.obj.name,
                    (first.total or 0) - first.count, len(ranges))
        self._concurrent(ranges, decode, put)

    def _range_edges(self, query: KeysetQuery, first: Page) -> list[tuple[Any, str]]:
        """Positions that cut what follows the first page into about equal ranges (one round of sampling
        calls, made concurrently, pays for itself from three more pages on)."""
        remaining = (first.total or 0) - first.count
        pages = -(-remaining // max(1, query.page_size))
        n = min(self.max_ranges, pages)
        if pages < 3 or n < 2 or first.last is None:
            return []
        step = remaining // n
        bodies = [query.sample_body(step * i, after=first.last) for i in range(1, n)]
        with ThreadPoolExecutor(max_workers=len(bodies), thread_name_prefix="intacct-edges") as pool:
            answers = list(pool.map(self.client.query, bodies))
        edges: list[tuple[Any, str]] = []
        for answer in answers:
            rows = answer.get("ia::result") if isinstance(answer, dict) else None
            if not rows:
                break  # fewer rows than counted (deleted meanwhile): fewer ranges
            edge = query.position_of(rows[0])
            if not edges or edge != edges[-1]:
                edges.append(edge)
        return edges

    def _concurrent(self, ranges: list[KeysetQuery], decode: Callable[[Any], ArrowPage],
                    put: Callable[[pa.Table], None]) -> None:
        """Read the ranges on their own threads; their pages reach `put` (serialised) as they arrive."""
        lock = threading.Lock()
        stop = threading.Event()
        errors: list[BaseException] = []

        def work(rq: KeysetQuery) -> None:
            try:
                # no speculative next request: the ranges already keep the request slots busy, and each
                # speculative page would hold another multi-megabyte body in memory
                for page in iter_pages(self._fetcher(rq), rq, prefetch=0, decode=decode, speculate=False):
                    if stop.is_set():
                        return
                    with lock:
                        put(page.table)
            except BaseException as exc:  # noqa: BLE001 - re-raised below, on the scan's thread
                errors.append(exc)
                stop.set()

        threads = [threading.Thread(target=work, args=(rq,), name=f"intacct-range-{i}", daemon=True)
                   for i, rq in enumerate(ranges)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

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
            """Arrow fast path, else exact rows; runs off the consumer's thread."""
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


@dataclass
class Collector:
    """The consumer side of a scan (dlt's thread): batches pages for dlt and remembers what the cursor and
    delete reconciliation need."""

    name: str
    cursor_column: str | None
    collect_keys: bool
    rows: int = 0
    pages: int = 0
    newest: str | None = None  # newest cursor value seen, API text
    seen_keys: list[pa.Array] = field(default_factory=list)
    _batch: list[pa.Table] = field(default_factory=list)
    _batch_rows: int = 0

    def add(self, page: ScanPage) -> pa.Table | None:
        """Take one page; return a batch when one is full."""
        table = page.table
        self.pages += 1
        if table.num_rows:
            self.rows += table.num_rows
            self._batch.append(table)
            self._batch_rows += table.num_rows
            if self.collect_keys:
                self.seen_keys.append(table.column(0).combine_chunks().cast(pa.string()))
            if self.cursor_column and page.by_cursor:
                newest = pc.max(table.column(self.cursor_column)).as_py()
                if newest is not None:
                    text = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
                    if self.newest is None or text > self.newest:
                        self.newest = text
        logger.info("intacct: %s page %d: %d rows (%d so far)", self.name, self.pages, table.num_rows, self.rows)
        return self.flush() if self._batch_rows >= BATCH_ROWS else None

    def flush(self) -> pa.Table | None:
        if not self._batch:
            return None
        out = pa.concat_tables(self._batch)
        self._batch, self._batch_rows = [], 0
        return out


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


def run_in_thread(scan: TableScan, maxsize: int = 4) -> Iterator[ScanPage]:
    """Run `scan` on a producer thread; iterate its pages here (a bounded queue keeps memory flat). Closing
    the iterator stops the producer."""
    pages: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> None:
        while True:
            if stop.is_set():
                raise Stop()
            try:
                pages.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            scan.run(put)
            put(done)
        except Stop:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            try:
                put(_Failure(exc))
            except Stop:
                return

    worker = threading.Thread(target=produce, name=f"intacct-scan-{scan.plan.obj.name}", daemon=True)
    worker.start()

    def consume() -> Iterator[ScanPage]:
        try:
            while True:
                item = pages.get()
                if item is done:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            stop.set()
            worker.join(timeout=5)

    return consume()


@dataclass
class _Failure:
    exc: BaseException
