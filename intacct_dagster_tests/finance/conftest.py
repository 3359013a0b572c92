"""Fixtures for the finance-statement tests: a clean project environment (no INTACCT_*, dlt destination or
DAGSTER_HOME variable from the developer's shell). Sandbox and PostgreSQL fixtures come from the root conftest."""

from __future__ import annotations

import os

import pytest

PROJECT_ENV_PREFIXES = ("INTACCT_", "DESTINATION__", "SOURCES__INTACCT", "DLT_", "DAGSTER_HOME")


@pytest.fixture
def finance_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for k in list(os.environ):
        if k.startswith(PROJECT_ENV_PREFIXES):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return monkeypatch
