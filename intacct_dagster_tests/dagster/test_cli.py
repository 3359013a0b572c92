"""`dagster asset materialize -m intacct_dagster.definitions --select ...` as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from intacct_dagster_tests.dagster._helpers import BIN, REPO, clean_os_env, db_tables, sandbox_env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "dagster"), "asset", "materialize", "-m", "intacct_dagster.definitions", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)


def test_cli_materialize_selected_assets_against_sandbox(sandbox, tmp_path: Path):
    db = tmp_path / "warehouse.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**clean_os_env(), **sandbox_env(sandbox, db), "DAGSTER_HOME": str(home)}

    proc = _cli(env, "--select", "intacct/vendors")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert set(db_tables(db)) == {"vendors"}
    assert db_tables(db)["vendors"] == len(sandbox.rows("accounts-payable/vendor"))
    assert sandbox.request_count("journal-entry") == 0

    # run config from the command line: selection + per-run options
    config = {"ops": {"intacct_assets": {"config": {"full_resync": ["vendors"], "exclude": ["gl_accounts"]}}}}
    proc = _cli(env, "--select", "intacct/vendors,intacct/gl_accounts", "--config-json", json.dumps(config))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert set(db_tables(db)) == {"vendors"}
    assert "full re-sync of vendors" in proc.stdout + proc.stderr
