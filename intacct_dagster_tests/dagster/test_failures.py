"""Credential and URL mistakes fail with a message naming what to fix, and are not retried."""

from __future__ import annotations

from intacct_dagster_tests.dagster._helpers import materialize


def _failure(result) -> tuple[str, int]:
    texts, retries = [], 0
    for e in result.all_events:
        if e.event_type_value == "STEP_FAILURE":
            data = e.step_failure_data
            texts.append((data.user_failure_data.description if data.user_failure_data else "") or "")
            texts.append(data.error.to_string() if data.error else "")
        retries += e.event_type_value == "STEP_UP_FOR_RETRY"
    return "\n".join(texts), retries


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
