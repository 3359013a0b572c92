"""Progress and throttle waits reach the Dagster event log on a plain instance (no python_logs config)."""

from __future__ import annotations

from dagster import DagsterInstance

from intacct_dagster_tests.dagster._helpers import event_log_text, materialize


def test_pages_and_throttle_waits_show_in_the_run_log(sandbox, point_at):
    point_at(sandbox)
    instance = DagsterInstance.ephemeral()  # default python_logs: extraction loggers are not managed
    sandbox.inject_fault("throttle", times=1, path_contains="journal-entry-line", retry_after=1)

    result = materialize(["journal_entry_lines"], instance=instance)

    log = event_log_text(instance, result.run_id)
    assert "journal_entry_lines page 1:" in log
    assert "throttled (HTTP 429 GW-0010)" in log
    assert "waiting" in log
