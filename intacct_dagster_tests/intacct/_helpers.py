"""Shared helpers for the extraction-layer tests: settings for a sandbox, a DuckDB pipeline in tmp_path, and the
destination == source comparison of `intacct_dagster_tests/compare.py` (fields mapped to columns the way the
loader maps them; href and other non-loaded fields ignored; JSON numbers compared as exact decimals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt
import duckdb

from intacct_dagster.intacct import IntacctSettings
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster_tests.compare import compare_with_source

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


def assert_equal(sb: Any, db: str | Path, names: list[str] | None = None, entity_id: str | None = None,
                 include_private: bool = False, extra: dict | None = None) -> dict[str, int]:
    """Every table of `names` in the DuckDB file equals the source, row for row and field for field."""
    problems: list[str] = []
    counts = {}
    for obj in resolve_objects(names, extra):
        dest = table_rows(db, obj.name)
        counts[obj.name] = len(dest)
        problems += compare_with_source(sb, obj.path, dest, obj.name, entity_id, include_private)
    assert not problems, "\n".join(problems[:40])
    return counts
