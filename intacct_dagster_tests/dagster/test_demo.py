"""`python -m intacct_dagster.demo`: sandbox when nothing is configured, never when credentials are."""

from __future__ import annotations

import subprocess
from pathlib import Path

from intacct_dagster_tests.dagster._helpers import PY, clean_os_env, db_tables


def _demo(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run the demo from an empty directory (as a user would from a fresh clone, minus the clone)."""
    return subprocess.run([PY, "-m", "intacct_dagster.demo", *args], cwd=tmp_path,
                          env={**clean_os_env(), **env}, capture_output=True, text=True, timeout=240)


def test_help_is_clear(tmp_path: Path):
    proc = _demo(tmp_path, "--help")
    assert proc.returncode == 0
    for word in ("sandbox", "--ui", "INTACCT_CLIENT_ID", "data/sandbox.duckdb", "--lines"):
        assert word in proc.stdout


def test_without_credentials_loads_from_sandbox_and_prints_tables(tmp_path: Path):
    proc = _demo(tmp_path, "--lines", "300", "--no-incremental")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert "USING THE BUILT-IN INTACCT SANDBOX" in proc.stdout
    assert "All data checks passed" in proc.stdout
    tables = db_tables(tmp_path / "data" / "sandbox.duckdb")
    assert tables["journal_entry_lines"] > 0 and tables["vendors"] > 0
    for name, rows in tables.items():  # the printed table matches the destination
        assert any(line.split()[:1] == [name] and line.split()[-1] == str(rows) for line in proc.stdout.splitlines())
    assert (tmp_path / ".dagster_home" / "dagster.yaml").exists()


def test_with_credentials_never_falls_back_to_the_sandbox(tmp_path: Path):
    """A half-configured environment fails loudly naming what is missing; no sandbox, no network."""
    proc = _demo(tmp_path, "--no-incremental", INTACCT_CLIENT_ID="my-client",
                 INTACCT_BASE_URL="http://127.0.0.1:9/ia/api/v1")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "SANDBOX" not in proc.stdout and "REAL Sage Intacct credentials" in proc.stdout
    assert "INTACCT_CLIENT_SECRET" in out
