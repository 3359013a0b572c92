"""Shared pytest fixtures: a running Intacct sandbox (``sandbox``) and a factory for custom ones.

Each test folder may add its own conftest.py on top of these.
"""

from __future__ import annotations

import os

import pytest

# Tests talk only to 127.0.0.1: keep dlt's usage telemetry off however pytest is started.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from intacct_dagster.sandbox import Sandbox
from intacct_dagster_tests.e2e._pg import SYSTEM_DEPS_HINT, PostgresServer, find_pg_bindir

SLOW_FILES = {"test_demo.py", "test_cli.py"}
SLOW_TESTS = {"test_definitions_load_with_no_credentials_and_no_network"}


def pytest_collection_modifyitems(config, items):
    """Markers from where a test lives and what it uses, so lanes can be chosen with `-m` (see README)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        path = str(item.fspath)
        if fixtures & {"sandbox", "sandbox_factory"}:
            item.add_marker(pytest.mark.sandbox)
        if fixtures & {"postgres_server", "postgres_dsn"}:
            item.add_marker(pytest.mark.postgres)
        if "test_web_ui" in path:
            item.add_marker(pytest.mark.browser)
        if "/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
        # whole Dagster runs, dbt builds, subprocess CLIs: seconds each
        if ("point_at" in fixtures or "/finance/" in path or item.fspath.basename in SLOW_FILES
                or item.name in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def sandbox():
    """A started sandbox with small data (600 journal-entry lines); stopped after the test."""
    sb = Sandbox(lines=600, seed=7)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def sandbox_factory():
    """Call with ``Sandbox`` kwargs (e.g. ``sandbox_factory(lines=5000, token_lifetime_s=5)``); returns a
    started sandbox. All are stopped at teardown."""
    made: list[Sandbox] = []

    def make(**kwargs) -> Sandbox:
        kwargs.setdefault("lines", 600)
        sb = Sandbox(**kwargs)
        sb.start()
        made.append(sb)
        return sb

    try:
        yield make
    finally:
        for sb in made:
            sb.stop()


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
