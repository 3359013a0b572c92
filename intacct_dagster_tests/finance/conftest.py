"""Fixtures for the finance-statement tests: a clean project environment (no INTACCT_*, dlt destination or
DAGSTER_HOME variable from the developer's shell). Sandbox and PostgreSQL fixtures come from the root conftest."""

from __future__ import annotations

import os

import pytest

from intacct_dagster_tests.dagster._helpers import PROJECT_ENV_PREFIXES

# the Dagster tests' project variables, and dlt's own (the finance runs build dlt pipelines' credentials)
FINANCE_ENV_PREFIXES = (*PROJECT_ENV_PREFIXES, "DLT_")


@pytest.fixture
def finance_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for k in list(os.environ):
        if k.startswith(FINANCE_ENV_PREFIXES):
            monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    return monkeypatch
