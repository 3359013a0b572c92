"""Running the project's Dagster definitions from the drills: in-process (the Dagster-layer tests' helpers,
`dagster/_helpers.py`), as the CLI, or as `dagster dev`."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import requests

from intacct_dagster_tests.dagster._helpers import (  # noqa: F401 - the drills import them from here
    event_log_text,
    failure_text,
    sandbox_env,
)
from intacct_dagster_tests.dagster._helpers import materialize as _materialize
from intacct_dagster_tests.e2e._harness import PY, REPO, OutputPump, free_port, spawn, stop_tree, wait_until

DAGSTER = str(Path(PY).with_name("dagster"))


def materialize(tables: Iterable[str] | None = None, instance=None, raise_on_error: bool = False, **cfg: Any):
    """Materialize Intacct assets in-process through the definitions' implicit asset job (the assets, their
    checks and the resources exactly as `build_intacct_defs()` defines them; no op retry policy, so what is
    tested is the client's own retry handling). Unlike the Dagster-layer tests' helper, a failed run is
    returned, not raised."""
    return _materialize(tables, instance=instance, raise_on_error=raise_on_error, **cfg)


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
