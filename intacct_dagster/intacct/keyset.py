"""Keyset paging over the query service: order by (cursor, key), continue strictly after the last row.

Offset paging (`start=`) skips or repeats rows when records change during a scan; keyset paging cannot skip
one: an edited record moves to a later cursor value and is read again further on (merge keeps the newest).
`key` compares as an integer on the server; values are sent as the digit strings the API returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("intacct_dagster.intacct")

MAX_PAGE_SIZE = 4000


@dataclass
class KeysetQuery:
    """Everything that stays the same across the pages of one scan."""

    object_path: str
    fields: list[str]
    key: str = "key"
    cursor: str | None = None  # None: page by key alone (objects without audit fields, key-only scans)
    lower: str | None = None  # cursor >= lower on the first page
    after: tuple[str, str] | None = None  # start strictly after (cursor value, key) instead of `lower`
    upper: str | None = None  # cursor < upper (bounded re-sync)
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
        if self.cursor:
            if position is not None:
                t, k = position
                gt, eq, kgt = add({"$gt": {self.cursor: t}}), add({"$eq": {self.cursor: t}}), add({"$gt": {self.key: k}})
                terms.append(f"({gt} or ({eq} and {kgt}))")
            elif self.lower:
                terms.append(add({"$gte": {self.cursor: self.lower}}))
            if self.upper:
                terms.append(add({"$lt": {self.cursor: self.upper}}))
            order = [{self.cursor: "asc"}, {self.key: "asc"}]
        else:
            if position is not None:
                terms.append(add({"$gt": {self.key: position[1]}}))
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

    def position_of(self, row: dict[str, Any]) -> tuple[Any, str]:
        return (row.get(self.cursor) if self.cursor else None, str(row.get(self.key)))


def iter_pages(fetch: Callable[[dict[str, Any]], dict[str, Any]], query: KeysetQuery,
               prefetch: bool = True) -> Iterator[list[dict[str, Any]]]:
    """Yield lists of rows until a short/last page. With `prefetch`, the next page is requested while the
    caller converts the current one (its filter only needs the current page's last row)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intacct-prefetch") if prefetch else None

    def get(last: tuple[Any, str] | None) -> tuple[list[dict[str, Any]], bool]:
        body = query.body(last)
        page = fetch(body)
        rows = page.get("ia::result") or []
        if not isinstance(rows, list):
            rows = []
        meta = page.get("ia::meta") or {}
        more = len(rows) >= body["size"] if "next" not in meta else (meta.get("next") is not None and bool(rows))
        return rows, more

    pending: Future | None = None
    try:
        rows, more = get(None)
        while True:
            if more and rows:
                last = query.position_of(rows[-1])
                if query.cursor and last[0] is None:
                    raise ValueError(f"{query.object_path}: a row has no {query.cursor}; cannot page by keyset")
                if executor is not None:
                    pending = executor.submit(get, last)
                else:
                    yield rows
                    rows, more = get(last)
                    continue
            yield rows
            if pending is None:
                return
            rows, more = pending.result()
            pending = None
    finally:
        if pending is not None:
            pending.cancel()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
