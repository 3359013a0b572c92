"""Nightly incremental load, weekly delete reconciliation, and the freshness they promise.

Cron and timezone come from env vars read when definitions load (plain config, no secrets); the
timezone is always explicit so a daylight-saving change or a server in another zone never
shifts the load window silently.
"""

from __future__ import annotations

import os
from datetime import timedelta

from dagster import DefaultScheduleStatus, FreshnessPolicy, ScheduleDefinition

from intacct_dagster.config import run_config
from intacct_dagster.jobs import intacct_job

DEFAULT_NIGHTLY_CRON = "0 2 * * *"
DEFAULT_RECONCILE_CRON = "0 3 * * 0"  # Sundays, after that night's incremental load


def schedule_timezone() -> str:
    return os.environ.get("INTACCT_SCHEDULE_TIMEZONE") or "UTC"


def _default_status() -> DefaultScheduleStatus:
    """Schedules start stopped unless INTACCT_SCHEDULES_RUNNING=1 (turn on in the UI otherwise)."""
    on = os.environ.get("INTACCT_SCHEDULES_RUNNING", "").lower() in ("1", "true", "yes")
    return DefaultScheduleStatus.RUNNING if on else DefaultScheduleStatus.STOPPED


def nightly_freshness_policy() -> FreshnessPolicy:
    """Warn when a table is more than a day old, fail after the grace period (default 2 h)."""
    grace = float(os.environ.get("INTACCT_FRESHNESS_GRACE_HOURS") or 2)
    return FreshnessPolicy.time_window(
        fail_window=timedelta(hours=24 + grace), warn_window=timedelta(hours=24)
    )


def build_schedules() -> list[ScheduleDefinition]:
    tz = schedule_timezone()
    nightly = ScheduleDefinition(
        name="intacct_nightly",
        job=intacct_job,
        cron_schedule=os.environ.get("INTACCT_SCHEDULE_CRON") or DEFAULT_NIGHTLY_CRON,
        execution_timezone=tz,
        run_config=run_config(mode="incremental"),
        tags={"intacct/mode": "incremental"},
        default_status=_default_status(),
        description="Incremental load of every Intacct table (records modified since the last run).",
    )
    weekly = ScheduleDefinition(
        name="intacct_weekly_reconcile_deletes",
        job=intacct_job,
        cron_schedule=os.environ.get("INTACCT_RECONCILE_CRON") or DEFAULT_RECONCILE_CRON,
        execution_timezone=tz,
        run_config=run_config(mode="reconcile_deletes"),
        tags={"intacct/mode": "reconcile_deletes"},
        default_status=_default_status(),
        description="Incremental load plus a key-only scan that removes rows deleted in Intacct.",
    )
    return [nightly, weekly]
