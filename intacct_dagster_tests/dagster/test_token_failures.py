"""Token-endpoint trouble seen through the Dagster job: transient, retryable, never blamed on credentials."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance


def test_token_throttling_through_dagster_is_a_retryable_failure(sandbox, point_at):
    """Through the Dagster job: the run fails as transient (the job's retry policy may retry it), and the
    message does not blame the credentials."""
    from intacct_dagster.factory import build_intacct_defs

    point_at(sandbox)
    sandbox.inject_fault("throttle", times=100, path_contains="oauth2/token", retry_after=0)
    job = build_intacct_defs().resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False,
                                    asset_selection=[AssetKey(["intacct", "vendors"])])
    assert not result.success
    failure = next(e.step_failure_data for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    text = failure.error.to_string() + str(failure.user_failure_data)
    assert "rejected the credentials" not in text
    assert "kept failing after retries" in text
    assert failure.user_failure_data is not None
