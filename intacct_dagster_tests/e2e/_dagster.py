"""Running the project's Dagster definitions from the drills: in-process, as the CLI, or as `dagster dev`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from intacct_dagster_tests.e2e._harness import PY, REPO, OutputPump, free_port, spawn, stop_tree, wait_until

DAGSTER = str(Path(PY).with_name("dagster"))


def sandbox_env(sb: Any) -> dict[str, str]:
    """INTACCT_* variables pointing at a sandbox (in-process `Sandbox` or `SandboxProcess`)."""
    return {
        "INTACCT_BASE_URL": sb.base_url,
        "INTACCT_CLIENT_ID": sb.client_id,
        "INTACCT_CLIENT_SECRET": sb.client_secret,
        "INTACCT_USERNAME": sb.username,
    }


def build_defs():
    """The project's Definitions with resources read from the *current* environment (the module-level `defs`
    snapshots which env vars exist at import time, so tests that change env build a fresh one)."""
    from intacct_dagster.definitions import build_definitions
    from intacct_dagster.destination import IntacctDestination
    from intacct_dagster.resources import IntacctResource

    return build_definitions(intacct=IntacctResource.from_env(), destination=IntacctDestination.from_env())


def assets_op_name() -> str:
    from intacct_dagster.config import ASSETS_OP_NAME

    return ASSETS_OP_NAME


def run_config_for(**cfg: Any) -> dict:
    return {"ops": {assets_op_name(): {"config": cfg}}} if cfg else {}


def materialize(tables: Iterable[str] | None = None, instance=None, raise_on_error: bool = False, **cfg: Any):
    """Materialize Intacct assets in-process through the Definitions' implicit asset job (the assets, their
    checks and the resources exactly as the code location defines them; no op retry policy, so what is
    tested is the client's own retry handling)."""
    from dagster import AssetKey, DagsterInstance

    defs = build_defs()
    job = defs.resolve_implicit_global_asset_job_def()
    selection = [AssetKey(["intacct", t]) for t in tables] if tables else None
    return job.execute_in_process(
        instance=instance or DagsterInstance.ephemeral(),
        run_config=run_config_for(**cfg),
        asset_selection=selection,
        raise_on_error=raise_on_error,
    )


def event_log_text(instance, run_id: str) -> str:
    """Every event-log record of a run as text: user/system messages, error infos, materialization metadata."""
    out = []
    for rec in instance.all_logs(run_id):
        out.append(f"[{rec.level}] {rec.user_message}")
        ev = rec.dagster_event
        if ev is not None:
            try:
                out.append(json.dumps(ev.event_specific_data._asdict() if hasattr(ev.event_specific_data, "_asdict") else str(ev.event_specific_data), default=str))
            except Exception:  # noqa: BLE001 - best effort; str() below covers the rest
                pass
            out.append(str(ev))
    return "\n".join(out)


def failure_text(result) -> str:
    """Failure descriptions and error messages of a failed in-process run."""
    parts = []
    for ev in result.all_events:
        if ev.is_failure or ev.event_type_value in ("STEP_FAILURE", "RUN_FAILURE", "ASSET_CHECK_EVALUATION"):
            parts.append(ev.message or "")
            data = ev.event_specific_data
            err = getattr(data, "error", None)
            if err is not None:
                parts.append(err.to_string() if hasattr(err, "to_string") else str(err))
            for fld in ("user_failure_data",):
                ufd = getattr(data, fld, None)
                if ufd is not None:
                    parts.append(str(getattr(ufd, "description", "")))
    return "\n".join(p for p in parts if p)


def cli_materialize(env: dict[str, str], select: str = "intacct/*", extra: Iterable[str] = ()) -> tuple[subprocess.Popen, OutputPump]:
    """`dagster asset materialize -m intacct_dagster.definitions --select ...` as a subprocess."""
    return spawn([DAGSTER, "asset", "materialize", "-m", "intacct_dagster.definitions", "--select", select, *extra], env=env)


class DagsterDev:
    """`dagster dev -m intacct_dagster.definitions` on a random port, with a temp DAGSTER_HOME."""

    def __init__(self, env: dict[str, str], dagster_home: Path):
        self.env = env
        self.home = dagster_home
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.out: OutputPump | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> str:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text(
            "telemetry:\n  enabled: false\n"
            "python_logs:\n  managed_python_loggers: [intacct_dagster.intacct, intacct_dagster]\n  python_log_level: INFO\n"
        )
        env = {**self.env, "DAGSTER_HOME": str(self.home)}
        self.proc, self.out = spawn(
            [DAGSTER, "dev", "-m", "intacct_dagster.definitions", "-h", "127.0.0.1", "-p", str(self.port)],
            env=env, cwd=REPO,
        )

        def up() -> bool:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError("dagster dev exited:\n" + (self.out.text if self.out else ""))
            r = requests.get(f"{self.url}/server_info", timeout=2)
            if r.status_code != 200:
                return False
            # the code location must be loaded too
            data = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
                                "locationOrLoadError { __typename ... on PythonError { message } } } } } }")
            entries = data["workspaceOrError"]["locationEntries"]
            for e in entries:
                if e["locationOrLoadError"] and e["locationOrLoadError"]["__typename"] == "PythonError":
                    raise RuntimeError("code location failed to load: " + e["locationOrLoadError"]["message"])
            return bool(entries) and all(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries)

        try:
            wait_until(up, timeout, interval=0.5, what=f"dagster dev on {self.url}")
        except Exception as e:
            raise RuntimeError(f"{e}\n--- dagster dev output ---\n{self.out.text if self.out else ''}") from e
        return self.url

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        r = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=30)
        r.raise_for_status()
        body = r.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def location_name(self) -> str:
        data = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
        return data["workspaceOrError"]["locationEntries"][0]["name"]

    def runs(self) -> list[dict]:
        data = self.graphql("{ runsOrError { ... on Runs { results { runId status jobName } } } }")
        return data["runsOrError"]["results"]

    def stop(self) -> None:
        stop_tree(self.proc, timeout=20)
