"""What a table remembers between runs (dlt resource state, stored in the destination), and the rules that
keep it safe.

- `cursor`: an ISO UTC date-time; every record modified before it has been loaded. It never moves backwards
  and never past the server's clock at the start of the scan that produced it (a record stamped in the
  future must not make the next run skip ordinary edits made in between).
- `columns`: field -> column name, so a column keeps its meaning when new fields appear in the model.
- The source-level `scope` ({company, entity}): state and delete reconciliation belong to the company and
  entity they describe. A run for another company or entity into the same dataset is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .errors import IntacctScopeError
from .settings import DEFAULT_PREFIX, env_name


def parse_time(text: str) -> datetime:
    """ISO date-time (`Z`, offset or naive = UTC) or date -> aware UTC datetime."""
    text = text.strip()
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def format_time(value: datetime) -> str:
    """The API's `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, rounded down: a bound never moves later)."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_api_time(value: Any) -> str | None:
    """Normalise a user-given bound (str, date or datetime; naive = UTC) to the API's format."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return format_time(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    if not isinstance(value, str):  # a date
        return format_time(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    return format_time(parse_time(value))


@dataclass
class TableState:
    """A table's saved state, read from (and written back to) its dlt resource state."""

    cursor: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    unqueryable: list[str] = field(default_factory=list)  # fields the server refused (400 REST-1106)

    @classmethod
    def read(cls, state: Mapping[str, Any]) -> TableState:
        raw = state.get("cursor")
        cursor = raw.get("modified") if isinstance(raw, Mapping) else raw  # older runs saved {modified, key}
        columns = state.get("columns")
        skipped = state.get("unqueryable")
        return cls(cursor=str(cursor) if cursor else None,
                   columns=dict(columns) if isinstance(columns, Mapping) else {},
                   unqueryable=[str(f) for f in skipped] if isinstance(skipped, list) else [])


def next_cursor(saved: str | None, seen: str | None, server_start: datetime | None) -> str | None:
    """The cursor after a scan: the newest modification seen, but never past the server's clock when the
    scan started, and never earlier than the saved cursor."""
    candidates = []
    if seen:
        new = parse_time(seen)
        if server_start is not None and new > server_start:
            new = server_start
        candidates.append(new)
    if saved:
        candidates.append(parse_time(saved))
    return format_time(max(candidates)) if candidates else None


def save(state: MutableMapping[str, Any], cursor: str | None, columns: Mapping[str, str],
         unqueryable: list[str]) -> None:
    if cursor:
        state["cursor"] = {"modified": cursor}
    state["columns"] = dict(columns)
    state["unqueryable"] = sorted(set(unqueryable))


def check_scope(source_state: MutableMapping[str, Any], scope: Mapping[str, str], dataset_hint: str,
                prefix: str = DEFAULT_PREFIX) -> None:
    """Refuse to mix companies or entities in one dataset; record the scope on first use."""
    dataset_var, entity_var = env_name("dataset", prefix), env_name("entity_id", prefix)
    saved = source_state.get("scope")
    if not isinstance(saved, Mapping):
        source_state["scope"] = dict(scope)
        return
    if saved.get("company") and scope.get("company") and saved["company"] != scope["company"]:
        raise IntacctScopeError(
            f"The destination dataset {dataset_hint} holds Intacct company {saved['company']!r}; this run "
            f"reads company {scope['company']!r}. Load each company into its own dataset: set {dataset_var} "
            "(or define a second company with its own settings prefix, see README 'Several companies').")
    if (saved.get("entity") or "") != (scope.get("entity") or ""):
        def name(e: Any) -> str:
            return f"entity {e!r}" if e else "the top level (all entities)"

        raise IntacctScopeError(
            f"The destination dataset {dataset_hint} holds {name(saved.get('entity'))} of company "
            f"{saved.get('company')!r}; this run is configured for {name(scope.get('entity'))} "
            f"({entity_var} / the username's |ENTITY part). Its cursors and delete reconciliation belong to "
            "the entity they describe, so loading here would skip the new entity's rows and later delete the "
            f"old one's. Use a dataset per entity ({dataset_var}), or restore {entity_var}.")
