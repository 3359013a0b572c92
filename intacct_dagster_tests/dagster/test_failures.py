"""Credential and URL mistakes fail with a message naming what to fix, and are not retried."""

from __future__ import annotations

import pytest

from intacct_dagster.failures import explain
from intacct_dagster.intacct.errors import (
    IntacctAuthError,
    IntacctConfigError,
    IntacctDataError,
    IntacctError,
    IntacctPermissionError,
    IntacctRetryError,
    IntacctScopeError,
    IntacctTransientError,
)
from intacct_dagster_tests.dagster._helpers import materialize
from intacct_dagster_tests.dagster._helpers import step_failures as _failure


def test_wrong_secret_names_the_env_vars_and_is_not_retried(sandbox, point_at, project_env):
    point_at(sandbox)
    project_env.setenv("INTACCT_CLIENT_SECRET", "not-the-secret")
    result = materialize(["vendors"], job_name="intacct_job", raise_on_error=False)
    text, retries = _failure(result)
    assert not result.success and retries == 0
    assert "Intacct rejected the credentials" in text and "INTACCT_CLIENT_SECRET" in text
    assert "not-the-secret" not in text


def test_unreachable_base_url_names_it(sandbox, point_at, project_env):
    point_at(sandbox)
    project_env.setenv("INTACCT_BASE_URL", "http://127.0.0.1:9/ia/api/v1")
    result = materialize(["vendors"], raise_on_error=False)  # implicit job: no retry policy
    text, _ = _failure(result)
    assert not result.success and "INTACCT_BASE_URL=http://127.0.0.1:9/ia/api/v1" in text


def test_malformed_base_url_fails_before_any_request(sandbox, point_at, project_env):
    point_at(sandbox)
    project_env.setenv("INTACCT_BASE_URL", "api.intacct.com")
    result = materialize(["vendors"], job_name="intacct_job", raise_on_error=False)
    text, retries = _failure(result)
    assert not result.success and retries == 0 and "INTACCT_BASE_URL" in text
    assert sandbox.request_count() == 0


def _wrapped(exc: BaseException) -> BaseException:
    """As dlt hands it over: the Intacct error two wrappers deep."""
    try:
        try:
            raise exc
        except Exception as inner:
            raise RuntimeError("resource raised") from inner
    except RuntimeError as middle:
        try:
            raise ValueError("pipeline step failed") from middle
        except ValueError as outer:
            return outer


@pytest.mark.parametrize("exc, retry, says", [
    (IntacctTransientError(503, message="permission denied by the gateway"), True, "kept failing after retries"),
    (IntacctRetryError(429, message="throttled"), True, "kept failing after retries"),
    (IntacctPermissionError(403, message="temporarily unavailable, retry later"), False, "denied access"),
    (IntacctAuthError(401, message="invalid_client"), False, "rejected the credentials"),
    (IntacctDataError("table vendors, column credit_limit, key 7: value does not fit"), False, "does not fit"),
    (IntacctScopeError("The destination dataset holds company 'ACME'"), False, "Invalid Intacct configuration"),
    (IntacctConfigError("Intacct setting 'page_size' must be between 1 and 4000"), False, "Invalid Intacct configuration"),
    (IntacctError(400, code="invalidRequest", message="retry with another query"), False, "refused a request"),
])
def test_errors_map_to_failures_by_type_never_by_message(exc, retry, says):
    failure = explain(_wrapped(exc), "http://127.0.0.1:9/ia/api/v1", "duckdb")
    assert failure is not None and failure.allow_retries is retry
    assert says in failure.description and str(exc) in failure.description
    if isinstance(exc, IntacctAuthError):
        assert "INTACCT_CLIENT_SECRET" in failure.description
    assert explain(RuntimeError("not an Intacct error"), None) is None  # anything else passes through
