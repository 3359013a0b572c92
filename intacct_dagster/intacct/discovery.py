"""Discovery: every object the company exposes, from the model service called without a name.

For each object: how many loadable fields its model has, whether it loads incrementally
(`audit.modifiedDateTime`), and on request its row count (one `count:key` query) - which also shows whether
this user may read it at all. `add_to_config` writes the chosen objects into `.dlt/config.toml` as
`extra_objects`, which the definitions read, so they become assets on reload with no code.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import AUDIT_CURSOR, DEFAULT_OBJECTS, IntacctObject, object_from_config
from .client import IntacctClient
from .errors import IntacctAuthError, IntacctConfigError, IntacctError, IntacctTransientError
from .schema import model_fields
from .settings import section_name

logger = logging.getLogger("intacct_dagster.intacct")


@dataclass
class DiscoveredObject:
    path: str
    kind: str  # rootObject | ownedObject
    fields: int | None = None
    incremental: bool | None = None
    rows: int | None = None
    error: str | None = None  # why it cannot be read (permission, not subscribed, ...)
    table: str | None = None  # table name it is (or would be) loaded as

    @property
    def readable(self) -> bool:
        return self.error is None


def list_objects(client: IntacctClient) -> list[tuple[str, str]]:
    """(path, type) of every object resource: `GET /services/core/model` without a name."""
    out = []
    for item in client.model(None):
        api_object = str(item.get("apiObject") or "") if isinstance(item, Mapping) else ""
        if api_object.startswith("objects/"):
            out.append((api_object[len("objects/"):], str(item.get("type") or "")))
    return sorted(set(out))


def inspect_object(client: IntacctClient, path: str, kind: str, count: bool) -> DiscoveredObject:
    """Model (and optionally a row count) of one object; an object this user cannot read records the error."""
    found = DiscoveredObject(path, kind)
    try:
        model = client.model(path)
        names = [f for f, _ in model_fields(model)]
        found.fields = len(names)
        found.incremental = AUDIT_CURSOR in names
        if count:
            body = client.query({"object": path, "fields": ["count:key"]})
            rows = body.get("ia::result") or []
            found.rows = int(rows[0].get("count:key") or 0) if rows else 0
    except (IntacctAuthError, IntacctTransientError, IntacctConfigError):
        raise  # not about this object
    except IntacctError as exc:
        found.error = exc.message or str(exc)
    return found


def discover(client: IntacctClient, count: bool = False) -> list[DiscoveredObject]:
    found = [inspect_object(client, path, kind, count) for path, kind in list_objects(client)]
    configured = {o.path: o.name for o in DEFAULT_OBJECTS}
    for obj in found:
        obj.table = configured.get(obj.path)
    return found


def table_name(path: str, taken: Iterable[str]) -> str:
    """`cash-management/savings-account` -> `savings_account` (`cash_management_savings_account` if taken)."""
    app, _, name = path.partition("/")
    clean = lambda s: re.sub(r"[^a-z0-9]+", "_", s.lower().replace("nsp::", "nsp_")).strip("_")  # noqa: E731
    base = clean(name) or "object"
    if base[0].isdigit():
        base = f"t_{base}"
    taken = set(taken)
    if base not in taken:
        return base
    longer = f"{clean(app)}_{base}"
    n = 2
    candidate = longer
    while candidate in taken:
        candidate, n = f"{longer}_{n}", n + 1
    return candidate


def add_to_config(config_file: Path, prefix: str, paths: Iterable[str]) -> dict[str, str]:
    """Add objects to `[sources.<prefix>.extra_objects]` of a TOML file (created if missing). Re-running is
    safe: objects already loaded (by the catalog or any extra_objects entry) are left alone, and entries the
    user wrote by hand are never removed or changed. Returns the entries added."""
    import tomlkit

    doc = tomlkit.parse(config_file.read_text()) if config_file.is_file() else tomlkit.document()
    sources = doc.setdefault("sources", tomlkit.table(is_super_table=True))
    section = sources.setdefault(section_name(prefix), tomlkit.table())
    extra = section.setdefault("extra_objects", tomlkit.table())
    existing: dict[str, IntacctObject] = {}
    for name, spec in extra.items():
        try:
            existing[name] = object_from_config(name, spec.unwrap() if hasattr(spec, "unwrap") else spec)
        except IntacctConfigError as exc:
            raise IntacctConfigError(f"{config_file}: {exc}") from None
    loaded_paths = {o.path for o in DEFAULT_OBJECTS} | {o.path for o in existing.values()}
    taken = {o.name for o in DEFAULT_OBJECTS} | set(existing)
    added: dict[str, str] = {}
    for path in paths:
        if path in loaded_paths:
            continue
        name = table_name(path, taken)
        extra[name] = path
        taken.add(name)
        loaded_paths.add(path)
        added[name] = path
    if added:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(tomlkit.dumps(doc))
    return added


def render(found: list[DiscoveredObject], counts: bool) -> str:
    """A plain text table for the terminal."""
    headers = ["object", "type", "fields", "incremental", *(["rows"] if counts else []), "table"]
    rows = []
    for o in found:
        table = o.table or "-"
        if o.error:
            rows.append([o.path, o.kind, "-", "-", *(["-"] if counts else []), f"cannot read: {o.error}"])
            continue
        rows.append([o.path, o.kind, str(o.fields), "yes" if o.incremental else "no (full every run)",
                     *([str(o.rows)] if counts else []), table])
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def configured_tables(reader: Any) -> dict[str, str]:
    """path -> table name for everything the definitions load now (catalog + extra_objects)."""
    from .catalog import resolve_objects

    return {o.path: o.name for o in resolve_objects(None, reader.get("extra_objects"))}
