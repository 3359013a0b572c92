"""Shared helpers for the extraction-layer tests: settings for a sandbox, a DuckDB pipeline in tmp_path, and a
strict typed comparison of destination rows with the sandbox's rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import duckdb

from intacct_dagster.intacct import IntacctSettings, column_name
from intacct_dagster.intacct.catalog import resolve_objects

DATASET = "intacct"


def settings_for(sb: Any, **kw: Any) -> IntacctSettings:
    return IntacctSettings(base_url=sb.base_url, client_id=sb.client_id, client_secret=sb.client_secret,
                           username=sb.username, **kw)


def make_pipeline(tmp_path: Path, name: str = "intacct_test", db: str = "load.duckdb"):
    return dlt.pipeline(pipeline_name=name, destination=dlt.destinations.duckdb(str(tmp_path / db)),
                        dataset_name=DATASET, pipelines_dir=str(tmp_path / "pipelines"))


def table_rows(db: str | Path, table: str) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        exists = con.execute("select count(*) from information_schema.tables where table_schema = ? and "
                             "table_name = ?", [DATASET, table]).fetchone()[0]
        if not exists:
            return []
        cur = con.execute(f'select * from "{DATASET}"."{table}"')
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def column_types(db: str | Path, table: str) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0]: r[1] for r in con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and "
            "table_name = ?", [DATASET, table]).fetchall()}
    finally:
        con.close()


def _expected(value: Any, dest: Any) -> Any:
    """The API value in the type the destination must hold (strict: money must be Decimal, not float)."""
    if value is None or value == "":
        return None
    if isinstance(dest, Decimal):
        return Decimal(str(value))
    if isinstance(dest, dt.datetime):
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if isinstance(dest, dt.date):
        return dt.date.fromisoformat(str(value))
    return value


def _actual(dest: Any) -> Any:
    if isinstance(dest, dt.datetime):
        return dest.astimezone(dt.timezone.utc)
    return dest


def compare(src_rows: list[dict], dest_rows: list[dict], label: str, key: str = "key") -> list[str]:
    """Row-for-row, field-for-field. Returns differences (empty == equal)."""
    problems: list[str] = []
    dest_by_key: dict[str, dict] = {}
    for r in dest_rows:
        if str(r[key]) in dest_by_key:
            problems.append(f"{label}: duplicate key {r[key]} in destination")
        dest_by_key[str(r[key])] = r
    src_by_key = {str(r[key]): r for r in src_rows}
    missing, extra = src_by_key.keys() - dest_by_key.keys(), dest_by_key.keys() - src_by_key.keys()
    if missing:
        problems.append(f"{label}: {len(missing)} keys missing in destination, e.g. {sorted(missing)[:5]}")
    if extra:
        problems.append(f"{label}: {len(extra)} keys in destination not at source, e.g. {sorted(extra)[:5]}")
    bad = 0
    for k in src_by_key.keys() & dest_by_key.keys():
        s, d = src_by_key[k], dest_by_key[k]
        for field, value in s.items():
            col = column_name(field)
            if col not in d:
                if value is not None:
                    problems.append(f"{label}: no column {col} for {field}")
                    return problems
                continue
            if _expected(value, d[col]) != _actual(d[col]):
                bad += 1
                if bad <= 5:
                    problems.append(f"{label}: key {k} {field}: source {value!r} != destination {d[col]!r}")
    if bad > 5:
        problems.append(f"{label}: {bad} mismatching values in total")
    return problems


def assert_equal(sb: Any, db: str | Path, names: list[str] | None = None, entity_id: str | None = None,
                 include_private: bool = False, extra: dict | None = None) -> dict[str, int]:
    problems: list[str] = []
    counts = {}
    for obj in resolve_objects(names, extra):
        src = sb.rows(obj.path, entity_id=entity_id, include_private=include_private)
        dest = table_rows(db, obj.name)
        counts[obj.name] = len(dest)
        problems += compare(src, dest, obj.name, obj.primary_key)
    assert not problems, "\n".join(problems[:40])
    return counts
