"""Fixtures for the end-to-end drills (real PostgreSQL, real browser, real subprocesses).

The sandbox fixtures (`sandbox`, `sandbox_factory`) come from `intacct_dagster_tests/conftest.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from intacct_dagster_tests.e2e._harness import REPO
from intacct_dagster_tests.e2e._pg import SYSTEM_DEPS_HINT, PostgresServer, find_pg_bindir

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server on 127.0.0.1:<random port>, password auth, removed at teardown."""
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/<ver>/bin/initdb, pg_ctl, "
            f"postgres; or set PG_BINDIR): {SYSTEM_DEPS_HINT}",
            pytrace=False,
        )
    server = PostgresServer(bindir)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    return postgres_server.dsn


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
