"""Shared helpers for the Dagster-layer tests and the end-to-end drills (`e2e/_dagster.py` re-exports them):
point the project at a sandbox, build the definitions with `build_intacct_defs()` and run them in-process."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetKey, DagsterInstance, Definitions

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
NAME = "intacct"

# Every variable the project reads; tests start from none of them.
PROJECT_ENV_PREFIXES = ("INTACCT_", "DESTINATION__", "SOURCES__INTACCT", "DAGSTER_HOME")


def sandbox_env(sb: Any, duckdb_path: Path | None = None, prefix: str = "INTACCT") -> dict[str, str]:
    """The settings that point a company (settings prefix) at a sandbox (in-process `Sandbox` or
    `SandboxProcess`), and optionally at a DuckDB file."""
    env = {
        f"{prefix}_BASE_URL": sb.base_url,
        f"{prefix}_CLIENT_ID": sb.client_id,
        f"{prefix}_CLIENT_SECRET": sb.client_secret,
        f"{prefix}_USERNAME": sb.username,
    }
    if duckdb_path is not None:
        env[f"{prefix}_DUCKDB_PATH"] = str(duckdb_path)
    return env


def clean_os_env() -> dict[str, str]:
    """A copy of os.environ without any project variable (for subprocesses)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_ENV_PREFIXES)}


def build_defs(**kwargs: Any) -> Definitions:
    """The definitions of one company exactly as the code location builds them (`build_intacct_defs`).
    Resources hold only a settings prefix and read the settings when a run starts, so one build serves
    any environment."""
    from intacct_dagster.factory import build_intacct_defs

    return build_intacct_defs(**kwargs)


def intacct_keys(defs: Definitions, name: str = NAME) -> list[AssetKey]:
    """The keys of the company's Intacct tables (the one multi-asset its op `<name>_assets` materializes),
    without anything built downstream of them."""
    from intacct_dagster.config import assets_op_name

    for assets_def in defs.assets or []:
        node = getattr(assets_def, "node_def", None)
        if node is not None and node.name == assets_op_name(name):
            return sorted(assets_def.keys, key=lambda k: k.to_user_string())
    raise KeyError(f"no {assets_op_name(name)} multi-asset in the definitions")


def run_config(name: str = NAME, **cfg: Any) -> dict:
    """Run config of a company's load op; {} for none. Not validated here: Dagster checks it when the run is
    launched (a bad value must fail that run, as it would in the launchpad)."""
    from intacct_dagster.config import assets_op_name

    return {"ops": {assets_op_name(name): {"config": dict(cfg)}}} if cfg else {}


def materialize(tables: Iterable[str] | None = None, instance: DagsterInstance | None = None,
                job_name: str | None = None, raise_on_error: bool = True, name: str = NAME,
                defs: Definitions | None = None, **cfg: Any):
    """Run the implicit asset job (or `job_name`) in-process on `tables` (default: every Intacct table of the
    company, nothing downstream of them) with run config `cfg` (mode, start_date/end_date, full_resync,
    objects, exclude)."""
    defs = defs or build_defs()
    job = defs.resolve_job_def(job_name) if job_name else defs.resolve_implicit_global_asset_job_def()
    selection = ([AssetKey([name, t]) for t in tables] if tables is not None else intacct_keys(defs, name))
    return job.execute_in_process(
        instance=instance or DagsterInstance.ephemeral(),
        run_config=run_config(name, **cfg),
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
    """Every stored event of a run (level, messages, event data, metadata, errors) as one string."""
    out = []
    for rec in instance.all_logs(run_id):
        out.append(f"[{rec.level}] {rec.user_message or ''}")
        ev = rec.dagster_event
        if ev is not None:
            data = ev.event_specific_data
            try:
                out.append(json.dumps(data._asdict() if hasattr(data, "_asdict") else str(data), default=str))
            except Exception:  # noqa: BLE001 - best effort; str() below covers the rest
                out.append(str(data))
            out.append(str(ev))
    return "\n".join(out)


def failure_text(result) -> str:
    """Failure descriptions and error messages (with causes) of a failed in-process run."""
    parts = []
    for ev in result.all_events:
        if ev.is_failure or ev.event_type_value in ("STEP_FAILURE", "RUN_FAILURE", "ASSET_CHECK_EVALUATION"):
            parts.append(ev.message or "")
            data = ev.event_specific_data
            err = getattr(data, "error", None)
            if err is not None:
                parts.append(err.to_string() if hasattr(err, "to_string") else str(err))
            ufd = getattr(data, "user_failure_data", None)
            if ufd is not None:
                parts.append(str(getattr(ufd, "description", "") or ""))
    return "\n".join(p for p in parts if p)


def step_failures(result) -> tuple[str, int]:
    """(text of every STEP_FAILURE: description and error, number of STEP_UP_FOR_RETRY events)."""
    texts, retries = [], 0
    for e in result.all_events:
        if e.event_type_value == "STEP_FAILURE":
            data = e.step_failure_data
            texts.append((data.user_failure_data.description if data.user_failure_data else "") or "")
            texts.append(data.error.to_string() if data.error else "")
        retries += e.event_type_value == "STEP_UP_FOR_RETRY"
    return "\n".join(texts), retries
