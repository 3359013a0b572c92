"""Run the project's Definitions against a sandbox and read the statements back from the destination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from dagster import AssetKey, DagsterInstance

from intacct_dagster.finance import finance_op_name
from intacct_dagster_tests.dagster._helpers import NAME, sandbox_env

FINANCE_OP = finance_op_name(NAME)


def point_at(env, sb, *, duckdb_path: Path | None = None, postgres_dsn: str | None = None,
             dataset: str | None = None, fiscal_start: int | None = None) -> None:
    for k, v in sandbox_env(sb, None if postgres_dsn else duckdb_path).items():
        env.setenv(k, v)
    if postgres_dsn:
        env.setenv("INTACCT_DESTINATION", "postgres")
        env.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn)
    if dataset:
        env.setenv("INTACCT_DATASET", dataset)
    if fiscal_start:
        env.setenv("INTACCT_FISCAL_YEAR_START_MONTH", str(fiscal_start))


def finance_keys(defs) -> list[AssetKey]:
    return [k for k in defs.resolve_asset_graph().get_all_asset_keys() if len(k.path) == 3
            and k.path[1] in ("staging", "finance")]


def run_job(as_of: dt.date, only_finance: bool = False, instance: DagsterInstance | None = None,
            dbt_vars: dict | None = None):
    """`intacct_job` (load + checks + finance) in-process; `only_finance` selects just the dbt assets."""
    from intacct_dagster.factory import build_intacct_defs

    defs = build_intacct_defs(schedules=False)
    job = defs.resolve_job_def("intacct_job")
    config: dict[str, Any] = {"as_of_date": as_of.isoformat()}
    if dbt_vars:
        config["dbt_vars"] = dbt_vars
    return job.execute_in_process(
        instance=instance or DagsterInstance.ephemeral(),
        run_config={"ops": {FINANCE_OP: {"config": config}}},
        asset_selection=finance_keys(defs) if only_finance else None,
        raise_on_error=False,
    )


def failure_text(result) -> str:
    out = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data
            out.append((data.user_failure_data.description if data.user_failure_data else None)
                       or (data.error.message if data.error else "?"))
    return "\n".join(out)


class Warehouse:
    """Read-only queries on the DuckDB file or the Postgres database the statements were built in."""

    def __init__(self, duckdb_path: Path | None = None, postgres_dsn: str | None = None,
                 schema: str = "intacct_finance") -> None:
        self.duckdb_path, self.postgres_dsn, self.schema = duckdb_path, postgres_dsn, schema

    def rows(self, sql: str) -> list[dict]:
        sql = sql.replace("{s}", self.schema)
        if self.postgres_dsn:
            import psycopg2

            con = psycopg2.connect(self.postgres_dsn)
        else:
            import duckdb

            con = duckdb.connect(str(self.duckdb_path), read_only=True)
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                names = [d[0] for d in cur.description]
                return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()


def cents(value) -> Decimal:
    return Decimal("0.00") if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def as_dict(rows: Iterable[dict], key: tuple[str, ...], values: tuple[str, ...]) -> dict:
    out = {}
    for r in rows:
        k = tuple(_norm(r[c]) for c in key)
        assert k not in out, f"duplicate {k}"
        out[k] = tuple(cents(r[c]) for c in values)
    return out


def _norm(v):
    if isinstance(v, dt.datetime):
        return v.date()
    return v


def diff(expected: dict, actual: dict, label: str, limit: int = 8) -> list[str]:
    """Human-readable differences between two {key: figures} maps (empty when they are equal)."""
    problems = []
    for k in sorted(set(expected) | set(actual), key=str):
        e, a = expected.get(k), actual.get(k)
        if e != a:
            problems.append(f"{label} {k}: expected {e}, statement has {a}")
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems
