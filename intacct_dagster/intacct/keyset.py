"""Keyset paging over the query service: order by (cursor, key), continue strictly after the last row.

Offset paging (`start=`) skips or repeats rows when records change during a scan; keyset paging cannot skip
one: an edited record moves to a later cursor value and is read again further on (merge keeps the newest).
Whether the server compares `key` as a number or as text is not documented; keyset paging is right under
either, because the next page starts after the last row *the server* ordered, and this module never
compares keys itself. Keys are sent as the strings the API returns.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .rawjson import RawPage

logger = logging.getLogger("intacct_dagster.intacct")

MAX_PAGE_SIZE = 4000


@dataclass
class KeysetQuery:
    """Everything that stays the same across the pages of one scan."""

    object_path: str
    fields: list[str]
    key: str = "key"
    cursor: str | None = None  # None: page by key alone (objects without audit fields, key-only scans)
    lower: str | None = None  # cursor >= lower (inclusive: a same-second edit is never skipped)
    upper: str | None = None  # cursor < upper (a bounded window)
    null_cursor: bool = False  # only records whose cursor is null (migrated records), paged by key
    after: tuple[Any, str] | None = None  # start strictly after this (cursor, key) position (a range's edge)
    upto: tuple[Any, str] | None = None  # stop at this (cursor, key) position, inclusive (a range's edge)
    page_size: int = MAX_PAGE_SIZE
    include_private: bool = False
    extra_filters: list[dict[str, Any]] = field(default_factory=list)

    def body(self, last: tuple[Any, str] | None = None) -> dict[str, Any]:
        """Request body for the page after `last` = (cursor value, key) of the previous page's last row."""
        filters: list[dict[str, Any]] = []
        terms: list[str] = []

        def add(f: dict[str, Any]) -> str:
            filters.append(f)
            return str(len(filters))

        position = last if last is not None else self.after
        if self.cursor and self.null_cursor:
            terms.append(add({"$eq": {self.cursor: None}}))
            if position is not None:
                terms.append(add({"$gt": {self.key: position[1]}}))
            if self.upto is not None:
                terms.append(add({"$lte": {self.key: self.upto[1]}}))
            order = [{self.key: "asc"}]
        elif self.cursor:
            if position is not None:
                t, k = position
                gt, eq, kgt = add({"$gt": {self.cursor: t}}), add({"$eq": {self.cursor: t}}), add({"$gt": {self.key: k}})
                terms.append(f"({gt} or ({eq} and {kgt}))")
            elif self.lower:
                terms.append(add({"$gte": {self.cursor: self.lower}}))
            else:  # records with a null cursor cannot be keyset-paged by it: they have a scan of their own
                terms.append(add({"$ne": {self.cursor: None}}))
            if self.upto is not None:
                t, k = self.upto
                lt, eq, kle = add({"$lt": {self.cursor: t}}), add({"$eq": {self.cursor: t}}), add({"$lte": {self.key: k}})
                terms.append(f"({lt} or ({eq} and {kle}))")
            if self.upper:
                terms.append(add({"$lt": {self.cursor: self.upper}}))
            order = [{self.cursor: "asc"}, {self.key: "asc"}]
        else:
            if position is not None:
                terms.append(add({"$gt": {self.key: position[1]}}))
            if self.upto is not None:
                terms.append(add({"$lte": {self.key: self.upto[1]}}))
            order = [{self.key: "asc"}]
        for f in self.extra_filters:
            terms.append(add(f))
        body: dict[str, Any] = {"object": self.object_path, "fields": list(self.fields)}
        if filters:
            body["filters"] = filters
            if len(terms) > 1 or any(" " in t for t in terms):
                body["filterExpression"] = " and ".join(terms)
        if self.include_private:
            body["filterParameters"] = {"includePrivate": True}
        body["orderBy"] = order
        body["start"] = 1
        body["size"] = min(self.page_size, MAX_PAGE_SIZE)
        return body

    def sample_body(self, offset: int, after: tuple[Any, str] | None = None) -> dict[str, Any]:
        """The one row at 1-based `offset` of this scan (resumed after `after`), with only its position
        fields: offset paging is fine for sampling range edges, never for reading data."""
        body = self.body(after)
        body["fields"] = [self.cursor, self.key] if self.pages_by_cursor else [self.key]
        body["start"], body["size"] = offset, 1
        return body

    def position_of(self, row: dict[str, Any]) -> tuple[Any, str]:
        return (row.get(self.cursor) if self.cursor and not self.null_cursor else None, str(row.get(self.key)))

    @property
    def pages_by_cursor(self) -> bool:
        return bool(self.cursor) and not self.null_cursor


@dataclass
class Page:
    """One fetched page: parsed `rows` (slow path) and/or a ready arrow `table` (fast path)."""

    count: int
    last: tuple[Any, str] | None
    more: bool
    rows: list[dict[str, Any]] | None = None
    table: Any = None
    total: int | None = None  # ia::meta.totalCount: rows matching this page's query (from its position on)


def iter_pages(fetch: Callable[[dict[str, Any]], Any], query: KeysetQuery, prefetch: int = 3,
               decode: Callable[[Any], Any] | None = None, speculate: bool = True) -> Iterator[Page]:
    """Yield pages until a short/last page. `fetch(body)` returns the parsed body (a dict), an object with
    `table`, `meta` and `last` (see `rawjson.ArrowPage`), or a `rawjson.RawPage`; `decode`, when given,
    turns every fetched page (raw or dict) into an `ArrowPage`.

    With `prefetch > 0` a worker thread runs ahead, fetching and decoding up to that many pages while the
    caller (dlt) writes earlier ones. For a `RawPage` the next request is sent on the peeked last row
    *before* decoding, so decoding overlaps the server's work; if the decoded last row differs from the
    peeked one, that speculative answer is discarded and the page re-requested from the true position."""
    speculator = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="intacct-next")
                  if decode and speculate else None)

    def to_page(body: dict[str, Any], result: Any) -> Page:
        if isinstance(result, dict):
            rows = result.get("ia::result") or []
            rows = rows if isinstance(rows, list) else []
            meta = result.get("ia::meta") or {}
            page = Page(len(rows), query.position_of(rows[-1]) if rows else None, False, rows=rows)
        else:
            meta = result.meta or {}
            page = Page(result.table.num_rows, result.last, False, table=result.table)
        total = meta.get("totalCount")
        page.total = total if isinstance(total, int) and not isinstance(total, bool) else None
        if "next" in meta:
            page.more = meta.get("next") is not None and page.count > 0
        else:
            page.more = page.count >= body["size"]
        if page.more and query.pages_by_cursor and (page.last is None or page.last[0] is None):
            raise ValueError(f"{query.object_path}: the server returned a row with no {query.cursor} in a scan "
                             f"filtered on it; cannot page by keyset")
        return page

    def pages_in_order() -> Iterator[Page]:
        last: tuple[Any, str] | None = query.after
        ahead: tuple[tuple[Any, str], Future] | None = None
        while True:
            body = query.body(last)
            if ahead is not None and ahead[0] == last:
                result = ahead[1].result()
            else:
                result = fetch(body)
            ahead = None
            if decode is not None:
                if isinstance(result, RawPage) and speculator is not None and result.last is not None \
                        and result.meta.get("next") is not None:
                    ahead = (result.last, speculator.submit(fetch, query.body(result.last)))
                result = decode(result)  # raw (fast path) or exactly parsed (dict) page -> arrow page
            page = to_page(body, result)
            if ahead is not None and ahead[0] != page.last:
                ahead = None  # peeked position was wrong: never trust the speculative answer
            yield page
            if not page.more:
                return
            last = page.last

    try:
        if prefetch <= 0:
            yield from pages_in_order()
            return
        pages: queue.Queue = queue.Queue(maxsize=prefetch)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def produce() -> None:
            try:
                for page in pages_in_order():
                    if not put(page):
                        return
            except BaseException as exc:  # handed to the consumer, raised there
                put(_Failure(exc))

        worker = threading.Thread(target=produce, name=f"intacct-prefetch-{query.object_path}", daemon=True)
        worker.start()
        try:
            while True:
                item = pages.get()
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
                if not item.more:
                    return
        finally:
            stop.set()
            worker.join(timeout=5)
    finally:
        if speculator is not None:
            speculator.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Failure:
    exc: BaseException
