"""Fixtures for the end-to-end drills (real PostgreSQL, real browser, real subprocesses).

The sandbox and PostgreSQL fixtures (`sandbox`, `sandbox_factory`, `postgres_server`, `postgres_dsn`)
come from `intacct_dagster_tests/conftest.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intacct_dagster_tests.e2e._harness import REPO

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def clean_env(monkeypatch):
    """Remove every INTACCT_* / DESTINATION__* / DAGSTER_HOME variable the developer's shell may carry."""
    for k in list(os.environ):
        if k.startswith(("INTACCT_", "DESTINATION__", "SOURCES__INTACCT", "DLT_")) or k == "DAGSTER_HOME":
            monkeypatch.delenv(k, raising=False)
    return monkeypatch
