"""Schedule ticks produce the right run requests; cron, timezone and default status come from the settings
(env > .dlt files > code defaults), per company."""

from __future__ import annotations

import datetime as dt

from dagster import DagsterInstance, DefaultScheduleStatus, build_schedule_context
from dagster._config import process_config

from intacct_dagster.config import ASSETS_OP_NAME, assets_op_name
from intacct_dagster_tests.dagster._helpers import build_defs


def _tick(schedule, when: dt.datetime):
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance, scheduled_execution_time=when)
        return schedule.evaluate_tick(context)


def _schedules(**kwargs):
    """The schedules of freshly built definitions (cron and timezone are read when definitions load)."""
    return {s.name: s for s in build_defs(**kwargs).schedules}


def test_defaults_nightly_incremental_and_weekly_reconcile(project_env, tmp_path):
    project_env.chdir(tmp_path)  # no .dlt/ files
    schedules = _schedules()
    assert set(schedules) == {"intacct_nightly", "intacct_weekly_reconcile_deletes"}
    nightly, weekly = schedules["intacct_nightly"], schedules["intacct_weekly_reconcile_deletes"]
    assert nightly.cron_schedule == "0 2 * * *" and nightly.execution_timezone == "UTC"
    assert weekly.cron_schedule == "0 3 * * 0" and weekly.execution_timezone == "UTC"
    assert nightly.job_name == weekly.job_name == "intacct_job"
    assert nightly.default_status == weekly.default_status == DefaultScheduleStatus.STOPPED

    when = dt.datetime(2026, 1, 4, 2, 0, tzinfo=dt.timezone.utc)
    [req] = _tick(nightly, when).run_requests
    assert req.run_config["ops"][ASSETS_OP_NAME]["config"]["mode"] == "incremental"
    assert req.tags["intacct/mode"] == "incremental"
    [req] = _tick(weekly, when).run_requests
    assert req.run_config["ops"][ASSETS_OP_NAME]["config"]["mode"] == "reconcile_deletes"
    assert req.tags["intacct/mode"] == "reconcile_deletes"


def test_cron_and_timezone_from_env(project_env, tmp_path):
    project_env.chdir(tmp_path)
    project_env.setenv("INTACCT_SCHEDULE_CRON", "30 5 * * 1-5")
    project_env.setenv("INTACCT_RECONCILE_CRON", "0 6 * * 6")
    project_env.setenv("INTACCT_SCHEDULE_TIMEZONE", "America/New_York")
    project_env.setenv("INTACCT_SCHEDULES_RUNNING", "true")
    schedules = _schedules()
    assert schedules["intacct_nightly"].cron_schedule == "30 5 * * 1-5"
    assert schedules["intacct_weekly_reconcile_deletes"].cron_schedule == "0 6 * * 6"
    assert {s.execution_timezone for s in schedules.values()} == {"America/New_York"}
    assert {s.default_status for s in schedules.values()} == {DefaultScheduleStatus.RUNNING}


def test_settings_precedence_for_schedules(project_env, tmp_path):
    """.dlt/config.toml beats the defaults given in code, the environment beats both."""
    project_env.chdir(tmp_path)
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "config.toml").write_text(
        '[sources.intacct]\nschedule_cron = "15 1 * * *"\n')
    defaults = {"schedule_cron": "0 4 * * *", "reconcile_cron": "0 5 * * 1", "schedule_timezone": "Europe/Paris"}
    schedules = _schedules(settings=defaults)
    assert schedules["intacct_nightly"].cron_schedule == "15 1 * * *"  # config.toml over code
    assert schedules["intacct_weekly_reconcile_deletes"].cron_schedule == "0 5 * * 1"  # code default
    assert schedules["intacct_nightly"].execution_timezone == "Europe/Paris"
    project_env.setenv("INTACCT_SCHEDULE_CRON", "45 23 * * *")
    assert _schedules(settings=defaults)["intacct_nightly"].cron_schedule == "45 23 * * *"  # env over both


def test_second_company_has_its_own_schedules(project_env, tmp_path):
    project_env.chdir(tmp_path)
    project_env.setenv("INTACCT_SCHEDULE_CRON", "1 1 * * *")  # the default company's: not read for acme
    project_env.setenv("INTACCT_ACME_SCHEDULE_CRON", "0 22 * * *")
    schedules = _schedules(name="acme")
    assert set(schedules) == {"acme_nightly", "acme_weekly_reconcile_deletes"}
    assert schedules["acme_nightly"].cron_schedule == "0 22 * * *"
    assert schedules["acme_nightly"].job_name == "acme_job"
    [req] = _tick(schedules["acme_nightly"], dt.datetime(2026, 1, 4, 22, 0, tzinfo=dt.timezone.utc)).run_requests
    assert req.run_config["ops"][assets_op_name("acme")]["config"]["mode"] == "incremental"


def test_schedule_run_config_is_valid_for_the_job(project_env, tmp_path):
    """The run config a tick produces validates against the real job's config schema."""
    project_env.chdir(tmp_path)
    defs = build_defs()
    job = defs.resolve_job_def("intacct_job")
    for schedule in defs.schedules:
        [req] = _tick(schedule, dt.datetime(2026, 1, 4, 3, 0, tzinfo=dt.timezone.utc)).run_requests
        assert process_config(job.run_config_schema.config_type, req.run_config).success
    bad = {"ops": {ASSETS_OP_NAME: {"config": {"mode": "sometimes"}}}}
    assert not process_config(job.run_config_schema.config_type, bad).success
    window = {"ops": {ASSETS_OP_NAME: {"config": {"mode": "full", "start_date": "2024-01-01",
                                                  "end_date": "2024-02-01"}}}}
    assert process_config(job.run_config_schema.config_type, window).success
