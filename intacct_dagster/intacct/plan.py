"""Step 1 of a table's extract: decide what to scan, from the model, the saved state and the run's options.

Nothing here talks to the network; a plan is plain data that `scan.py` executes and `source.py` saves.

| situation                                    | scan                                  | deletes            | cursor   |
|----------------------------------------------|---------------------------------------|--------------------|----------|
| first load, `full_resync`, mode `full`       | all (from `start_date`), + null-cursor| keys not seen      | advances |
| the model gained fields since the last run   | same as a full re-sync (fills them)   | keys not seen      | advances |
| incremental                                  | cursor >= saved - lookback            | -                  | advances |
| mode `reconcile_deletes`                     | incremental                           | key-only scan      | advances |
| a window (`start_date`/`end_date` in the run)| start <= cursor < end                 | -                  | kept     |
| the object has no `audit.modifiedDateTime`   | all, by key                           | keys not seen      | -        |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .catalog import IntacctObject
from .schema import Column, build_columns
from .state import TableState, format_time, parse_time

MODES = ("incremental", "full", "reconcile_deletes")
CREATED = "audit.createdDateTime"


@dataclass
class RunOptions:
    """How this run treats every table (from settings and the run's config)."""

    mode: str = "incremental"
    full_resync: bool | frozenset[str] = False
    start_date: str | None = None  # setting: lower bound of a first load (or full re-sync)
    window: tuple[str | None, str | None] | None = None  # run config: load [start, end) and keep the cursor
    lookback: timedelta = timedelta(hours=1)
    page_size: int = 4000

    def resyncs(self, table: str) -> bool:
        return (self.mode == "full" or self.full_resync is True
                or (isinstance(self.full_resync, frozenset) and table in self.full_resync))


@dataclass
class Plan:
    """What one table's extract does this run."""

    obj: IntacctObject
    columns: list[Column]
    cursor_field: str | None  # None: the object has no audit timestamp
    kind: str  # full | incremental | window
    lower: str | None = None  # cursor >= lower
    upper: str | None = None  # cursor < upper
    include_null_cursor: bool = False  # also scan records whose cursor is null (migrated records)
    deletes: str = "none"  # none | unseen (keys the scan did not see) | key_scan (a separate key-only scan)
    save_cursor: bool = False
    server_start: datetime | None = None  # the server's clock before the scan (caps the cursor)
    new_fields: list[str] = field(default_factory=list)
    reason: str = ""
    # the history bound (`start_date`) when lines of documents created before it must be completed: such a
    # line, loaded because it was edited, brings the document's other lines (never loaded: older than the bound)
    complete_before: str | None = None

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.columns]

    @property
    def column_names(self) -> dict[str, str]:
        return {c.field: c.name for c in self.columns}

    def describe(self) -> str:
        what = {"full": "full scan", "incremental": "incremental scan", "window": "window scan"}[self.kind]
        span = (f"{self.cursor_field} >= {self.lower}" if self.lower else "from the beginning")
        if self.upper:
            span += f", < {self.upper}"
        extra = []
        if self.include_null_cursor:
            extra.append(f"plus records with a null {self.cursor_field}")
        if self.complete_before:
            extra.append(f"plus the other lines of any {self.obj.document} created before "
                         f"{self.complete_before} that has an edited line")
        if self.deletes != "none":
            extra.append("then remove rows deleted at the source")
        if not self.save_cursor and self.kind == "window":
            extra.append("cursor unchanged")
        return f"{self.obj.name} ({self.obj.path}): {what} {span}" + (f" ({'; '.join(extra)})" if extra else "") + (
            f" [{self.reason}]" if self.reason else "")


def make_plan(obj: IntacctObject, model: Mapping[str, Any], saved: TableState, options: RunOptions,
              server_start: datetime | None) -> Plan:
    """The plan for one table. `saved.columns` keeps column names stable; fields the model gained since the
    last run force a full re-read so that they are filled for every row, not only for rows modified since."""
    columns = [c for c in build_columns(model, obj.primary_key, known=saved.columns)
               if c.field not in saved.unqueryable]
    fields = {c.field for c in columns}
    cursor_field = obj.cursor if obj.cursor and obj.cursor in fields else None
    new_fields = sorted(fields - set(saved.columns)) if saved.columns else []
    complete = (options.start_date if obj.parent and cursor_field and options.start_date
                and {obj.parent, CREATED} <= fields else None)
    base = dict(obj=obj, columns=columns, cursor_field=cursor_field, server_start=server_start,
                new_fields=new_fields, complete_before=complete)

    if cursor_field is None:
        return Plan(**base, kind="full", deletes="unseen",
                    reason=f"no {obj.cursor} in the model: every run reads all records" if obj.cursor else "")
    if options.window is not None:
        start, end = options.window
        return Plan(**base, kind="window", lower=start, upper=end, save_cursor=False,
                    deletes="none", reason="bounded run")
    if saved.cursor is None or options.resyncs(obj.name) or new_fields:
        reason = ("first load" if saved.cursor is None else "full re-sync" if options.resyncs(obj.name)
                  else f"the model gained {', '.join(new_fields)}: re-reading every row to fill them")
        lower = options.start_date
        return Plan(**base, kind="full", lower=lower, include_null_cursor=True, save_cursor=True,
                    deletes="key_scan" if lower else "unseen", reason=reason)
    lower = format_time(parse_time(saved.cursor) - options.lookback)
    return Plan(**base, kind="incremental", lower=lower, save_cursor=True,
                deletes="key_scan" if options.mode == "reconcile_deletes" else "none")
