"""Destination == source, row for row: every loadable field of every record the sandbox serves.

The field -> column mapping comes from the object's model (the same `build_columns` the loader uses, which
keeps names stable once saved), so a column that lost or changed its meaning shows up as a mismatch.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import requests

from intacct_dagster.intacct.schema import Column, build_columns


def model(sb: Any, path: str) -> dict:
    """The object model as the sandbox's model service serves it."""
    token = requests.post(sb.token_url, data={"grant_type": "client_credentials", "client_id": sb.client_id,
                                             "client_secret": sb.client_secret, "username": sb.username},
                          timeout=30).json()["access_token"]
    body = requests.get(f"{sb.base_url}/services/core/model", params={"name": path},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    return body["ia::result"]


def columns(sb: Any, path: str) -> list[Column]:
    return build_columns(model(sb, path))


def canonical(value: Any, col: Column) -> Any:
    """Source (API text) and destination (typed) values in one comparable form."""
    if value is None or value == "":
        return None
    if col.kind in ("decimal", "number"):
        return Decimal(str(value)).normalize()
    if col.kind == "bigint":
        return int(Decimal(str(value)))
    if col.kind == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    if col.kind == "timestamp":
        if isinstance(value, dt.datetime):
            stamp = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        else:
            stamp = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return stamp.astimezone(dt.timezone.utc).replace(microsecond=0)
    if col.kind == "bool":
        return bool(value)
    return value


def differences(source_rows: list[dict], dest_rows: list[dict], cols: list[Column], label: str = "",
                limit: int = 8) -> list[str]:
    """Human-readable differences (empty == equal): missing/extra/duplicate keys, then field mismatches."""
    key = cols[0]
    problems: list[str] = []
    dest: dict[str, dict] = {}
    for row in dest_rows:
        k = str(row[key.name])
        if k in dest:
            problems.append(f"{label}: duplicate key {k} in the destination")
        dest[k] = row
    src = {str(r[key.field]): r for r in source_rows}
    missing, extra = sorted(src.keys() - dest.keys()), sorted(dest.keys() - src.keys())
    if missing:
        problems.append(f"{label}: {len(missing)} source keys missing in the destination, e.g. {missing[:5]}")
    if extra:
        problems.append(f"{label}: {len(extra)} destination keys not at the source, e.g. {extra[:5]}")
    present = set(next(iter(dest.values())).keys()) if dest else set()
    mismatches = 0
    for k in sorted(src.keys() & dest.keys()):
        s, d = src[k], dest[k]
        for col in cols:
            if col.name not in present:
                if s.get(col.field) not in (None, ""):
                    mismatches += 1
                    if mismatches <= limit:
                        problems.append(f"{label}: key {k}: no column {col.name} for {col.field}={s.get(col.field)!r}")
                continue
            a, b = canonical(s.get(col.field), col), canonical(d.get(col.name), col)
            if a != b:
                mismatches += 1
                if mismatches <= limit:
                    problems.append(f"{label}: key {k} field {col.field} ({col.name}): source {s.get(col.field)!r}"
                                    f" != destination {d.get(col.name)!r}")
    if mismatches > limit:
        problems.append(f"{label}: {mismatches} field mismatches in total")
    return problems


def duckdb_rows(db_path: Any, dataset: str, table: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        cur = con.execute(f'select * from "{dataset}"."{table}"')
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def compare_with_source(sb: Any, path: str, dest_rows: list[dict], label: str = "", entity_id: str | None = None,
                        include_private: bool = False) -> list[str]:
    """Destination rows (any destination) against the sandbox's records of `path`, row for row and field for
    field. Returns human-readable differences (empty == equal)."""
    src = sb.rows(path, entity_id=entity_id, include_private=include_private, exact_numbers=True)
    return differences(src, dest_rows, columns(sb, path), label=label)


def check_table(sb: Any, db_path: Any, dataset: str, table: str, path: str, entity_id: str | None = None,
                include_private: bool = False) -> list[str]:
    """Differences between one DuckDB table and the sandbox's records of `path`."""
    return compare_with_source(sb, path, duckdb_rows(db_path, dataset, table), table, entity_id, include_private)
