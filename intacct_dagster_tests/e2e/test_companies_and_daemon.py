"""Definitions as a factory and a component: two companies side by side from YAML, and the nightly schedule
run by the real `dagster-daemon`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from intacct_dagster_tests.compare import check_table
from intacct_dagster_tests.e2e._harness import PY, REPO, spawn, stop_tree, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.sandbox]
BIN = Path(PY).parent
TABLES = {"vendors": "accounts-payable/vendor", "gl_accounts": "general-ledger/account",
          "journal_entry_lines": "general-ledger/journal-entry-line"}


def project_copy(tmp_path: Path) -> Path:
    """The repository's tracked files (plus uncommitted edits) in a temp dir: a clone a user would have."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    dest = tmp_path / "project"
    for f in files:
        src = REPO / f
        if src.is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
    return dest


def company_env(sb, prefix: str) -> dict[str, str]:
    return {f"{prefix}_BASE_URL": sb.base_url, f"{prefix}_CLIENT_ID": sb.client_id,
            f"{prefix}_CLIENT_SECRET": sb.client_secret, f"{prefix}_USERNAME": sb.username}


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INTACCT_", "DESTINATION__", "SOURCES__", "DLT_", "DAGSTER_HOME"))}
    env.update(RUNTIME__DLTHUB_TELEMETRY="false", DAGSTER_DISABLE_TELEMETRY="1", PYTHONPATH="", **extra)
    return env


def test_two_companies_side_by_side_from_yaml(sandbox_factory, tmp_path):
    acme, globex = sandbox_factory(lines=800, seed=3, company_id="ACME"), sandbox_factory(lines=500, seed=9,
                                                                                          company_id="GLOBEX")
    project = project_copy(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    env = clean_env(INTACCT_DUCKDB_PATH=str(db), INTACCT_GLOBEX_DUCKDB_PATH=str(db),
                    INTACCT_OBJECTS=",".join(TABLES), INTACCT_GLOBEX_OBJECTS=",".join(TABLES),
                    **company_env(acme, "INTACCT"), **company_env(globex, "INTACCT_GLOBEX"))

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / args[0]), *args[1:]], cwd=project, env=env, capture_output=True,
                              text=True, timeout=timeout)
        assert proc.returncode == 0, f"{args}: {proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    run("dg", "scaffold", "defs", "intacct_dagster.component.IntacctComponent", "globex")
    yaml_text = (project / "intacct_dagster" / "defs" / "globex" / "defs.yaml").read_text()
    assert "name: globex" in yaml_text and "settings_prefix: INTACCT_GLOBEX" in yaml_text
    run("dg", "check", "defs")
    listed = json.loads(run("dg", "list", "defs", "--json").stdout)
    keys = {a["asset_key"] for a in listed["assets"]}
    assert {f"intacct/{t}" for t in TABLES} <= keys and {f"globex/{t}" for t in TABLES} <= keys
    assert {"intacct_job", "globex_job"} <= {j["name"] for j in listed["jobs"]}
    for job in ("intacct_job", "globex_job"):
        run("dagster", "job", "execute", "-m", "intacct_dagster.definitions", "-j", job)
    for table, path in TABLES.items():
        assert not check_table(acme, db, "intacct", table, path)
        assert not check_table(globex, db, "globex", table, path)
    # separate state: an incremental run of one company reads only its own changes
    acme.modify("accounts-payable/vendor", 2)
    globex.reset_request_count()
    run("dagster", "job", "execute", "-m", "intacct_dagster.definitions", "-j", "intacct_job")
    assert globex.request_count() == 0
    assert not check_table(acme, db, "intacct", "vendors", "accounts-payable/vendor")


def test_nightly_schedule_runs_under_the_real_daemon(sandbox_factory, tmp_path):
    sb = sandbox_factory(lines=600)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    db = tmp_path / "warehouse.duckdb"
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - python_module:\n      module_name: intacct_dagster.definitions\n"
                         f"      working_directory: {REPO}\n      location_name: intacct_dagster\n")
    env = clean_env(DAGSTER_HOME=str(home), INTACCT_DUCKDB_PATH=str(db), INTACCT_SCHEDULE_CRON="* * * * *",
                    INTACCT_SCHEDULES_RUNNING="1", INTACCT_OBJECTS=",".join(TABLES), **company_env(sb, "INTACCT"))
    proc, out = spawn([str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], env=env, cwd=tmp_path)
    try:
        from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

        os.environ["DAGSTER_HOME"] = str(home)
        try:
            instance = DagsterInstance.get()

            def finished_run():
                runs = instance.get_runs(RunsFilter(tags={"dagster/schedule_name": "intacct_nightly"}))
                done = [r for r in runs if r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)]
                return done[0] if done else None

            started = time.monotonic()
            run = wait_until(finished_run, timeout=240, interval=2, what="a finished intacct_nightly run")
        finally:
            os.environ.pop("DAGSTER_HOME", None)
        assert run.status == DagsterRunStatus.SUCCESS, out.text()[-4000:]
        assert time.monotonic() - started < 240
    finally:
        stop_tree(proc)
    for table, path in TABLES.items():
        assert not check_table(sb, db, "intacct", table, path)
