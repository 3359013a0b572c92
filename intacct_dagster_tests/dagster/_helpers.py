"""Shared helpers for the Dagster-layer tests: point the project at a sandbox and run it in-process."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetKey, DagsterInstance

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent

# Every variable the project reads; tests start from none of them.
PROJECT_ENV_PREFIXES = ("INTACCT_", "DESTINATION__", "SOURCES__INTACCT", "DAGSTER_HOME")


def sandbox_env(sb: Any, duckdb_path: Path) -> dict[str, str]:
    return {
        "INTACCT_BASE_URL": sb.base_url,
        "INTACCT_CLIENT_ID": sb.client_id,
        "INTACCT_CLIENT_SECRET": sb.client_secret,
        "INTACCT_USERNAME": sb.username,
        "INTACCT_DUCKDB_PATH": str(duckdb_path),
    }


def clean_os_env() -> dict[str, str]:
    """A copy of os.environ without any project variable (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_ENV_PREFIXES)}


def build_defs():
    """Fresh Definitions reading the current env (module-level `defs` snapshots env at import)."""
    from intacct_dagster.definitions import build_definitions
    from intacct_dagster.destination import IntacctDestination
    from intacct_dagster.resources import IntacctResource

    return build_definitions(intacct=IntacctResource.from_env(), destination=IntacctDestination.from_env())


def run_config(**cfg: Any) -> dict:
    from intacct_dagster.config import run_config as rc

    return rc(**cfg) if cfg else {}


def materialize(tables: Iterable[str] | None = None, instance: DagsterInstance | None = None,
                job_name: str | None = None, raise_on_error: bool = True, **cfg: Any):
    """Run the implicit asset job (or `job_name`) in-process, optionally on a subset of tables."""
    defs = build_defs()
    job = defs.resolve_job_def(job_name) if job_name else defs.resolve_implicit_global_asset_job_def()
    selection = [AssetKey(["intacct", t]) for t in tables] if tables is not None else None
    return job.execute_in_process(
        instance=instance or DagsterInstance.ephemeral(),
        run_config=run_config(**cfg),
        asset_selection=selection,
        raise_on_error=raise_on_error,
    )


def rows_loaded(result) -> dict[str, int]:
    out = {}
    for ev in result.get_asset_materialization_events():
        mat = ev.materialization
        value = mat.metadata.get("rows_loaded")
        out[mat.asset_key.path[-1]] = int(value.value) if value is not None else 0
    return out


def checks(result) -> dict[str, bool]:
    return {f"{e.asset_key.path[-1]}:{e.check_name}": e.passed for e in result.get_asset_check_evaluations()}


def db_tables(path: Path, dataset: str = "intacct") -> dict[str, int]:
    """Data tables (no dlt bookkeeping) and their row counts."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name NOT LIKE '_dlt_%'",
            [dataset]).fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{dataset}"."{n}"').fetchone()[0] for n in names}
    finally:
        con.close()


def event_log_text(instance: DagsterInstance, run_id: str) -> str:
    """Every stored event of a run (messages, metadata, errors) as one string."""
    out = []
    for rec in instance.all_logs(run_id):
        out.append(rec.user_message or "")
        if rec.dagster_event is not None:
            out.append(str(rec.dagster_event))
            out.append(json.dumps(str(rec.dagster_event.event_specific_data), default=str))
    return "\n".join(out)
