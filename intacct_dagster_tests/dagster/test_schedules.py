"""Schedule ticks produce the right run requests; cron and timezone come from env vars."""

from __future__ import annotations

import datetime as dt

from dagster import DagsterInstance, build_schedule_context
from dagster._config import process_config

from intacct_dagster.config import ASSETS_OP_NAME
from intacct_dagster.schedules import build_schedules
from intacct_dagster_tests.dagster._helpers import build_defs


def _tick(schedule, when: dt.datetime):
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=when)
        return schedule.evaluate_tick(context)


def _by_name(schedules):
    return {s.name: s for s in schedules}


def test_defaults_nightly_incremental_and_weekly_reconcile(project_env):
    schedules = _by_name(build_schedules())
    nightly, weekly = schedules["intacct_nightly"], schedules["intacct_weekly_reconcile_deletes"]
    assert nightly.cron_schedule == "0 2 * * *" and nightly.execution_timezone == "UTC"
    assert weekly.cron_schedule == "0 3 * * 0" and weekly.execution_timezone == "UTC"
    assert nightly.job_name == weekly.job_name == "intacct_job"

    when = dt.datetime(2026, 1, 4, 2, 0, tzinfo=dt.timezone.utc)
    [req] = _tick(nightly, when).run_requests
    assert req.run_config["ops"][ASSETS_OP_NAME]["config"]["mode"] == "incremental"
    assert req.tags["intacct/mode"] == "incremental"
    [req] = _tick(weekly, when).run_requests
    assert req.run_config["ops"][ASSETS_OP_NAME]["config"]["mode"] == "reconcile_deletes"


def test_cron_and_timezone_from_env(project_env):
    project_env.setenv("INTACCT_SCHEDULE_CRON", "30 5 * * 1-5")
    project_env.setenv("INTACCT_RECONCILE_CRON", "0 6 * * 6")
    project_env.setenv("INTACCT_SCHEDULE_TIMEZONE", "America/New_York")
    schedules = _by_name(build_schedules())
    assert schedules["intacct_nightly"].cron_schedule == "30 5 * * 1-5"
    assert schedules["intacct_weekly_reconcile_deletes"].cron_schedule == "0 6 * * 6"
    assert {s.execution_timezone for s in schedules.values()} == {"America/New_York"}


def test_schedule_run_config_is_valid_for_the_job(project_env):
    """The run config a tick produces validates against the real job's config schema."""
    job = build_defs().resolve_job_def("intacct_job")
    for schedule in build_schedules():
        [req] = _tick(schedule, dt.datetime(2026, 1, 4, 3, 0, tzinfo=dt.timezone.utc)).run_requests
        assert process_config(job.run_config_schema.config_type, req.run_config).success
    bad = {"ops": {ASSETS_OP_NAME: {"config": {"mode": "sometimes"}}}}
    assert not process_config(job.run_config_schema.config_type, bad).success
