"""Fixtures for the Dagster-layer tests: a clean project env and a sandbox-backed DuckDB target.

The sandbox fixtures (`sandbox`, `sandbox_factory`) come from `intacct_dagster_tests/conftest.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intacct_dagster_tests.dagster._helpers import PROJECT_ENV_PREFIXES, sandbox_env


@pytest.fixture
def project_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No INTACCT_* / dlt destination / DAGSTER_HOME variable from the developer's shell."""
    for k in list(os.environ):
        if k.startswith(PROJECT_ENV_PREFIXES):
            monkeypatch.delenv(k, raising=False)
    return monkeypatch


@pytest.fixture
def point_at(project_env: pytest.MonkeyPatch, tmp_path: Path):
    """`point_at(sb)` sets the env so the project loads from sandbox `sb` into a DuckDB file in tmp_path."""

    def _point(sb, db: Path | None = None) -> Path:
        db = db or tmp_path / "warehouse.duckdb"
        for k, v in sandbox_env(sb, db).items():
            project_env.setenv(k, v)
        return db

    return _point
