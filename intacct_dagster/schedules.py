"""Nightly incremental load, weekly delete reconciliation, and the freshness they promise.

Cron, timezone and whether schedules start switched on are settings (`<PREFIX>_SCHEDULE_CRON`, ...), read
when definitions load (plain config, no secrets). The timezone is always explicit so a daylight-saving change
or a server in another zone never shifts the load window silently.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dagster import DefaultScheduleStatus, FreshnessPolicy, ScheduleDefinition

from intacct_dagster.config import run_config
from intacct_dagster.intacct.settings import SettingsReader


def freshness_policy(reader: SettingsReader) -> FreshnessPolicy:
    """Warn when a table is more than a day old, fail after the grace period (default 2 h)."""
    grace = float(reader.get("freshness_grace_hours"))
    return FreshnessPolicy.time_window(fail_window=timedelta(hours=24 + grace), warn_window=timedelta(hours=24))


def build_schedules(job: Any, name: str,
                    reader: SettingsReader) -> list[ScheduleDefinition]:
    """`<name>_nightly` (incremental) and `<name>_weekly_reconcile_deletes` for one company's job."""
    tz = reader.get("schedule_timezone")
    status = DefaultScheduleStatus.RUNNING if reader.get("schedules_running") else DefaultScheduleStatus.STOPPED
    nightly = ScheduleDefinition(
        name=f"{name}_nightly",
        job=job,
        cron_schedule=reader.get("schedule_cron"),
        execution_timezone=tz,
        run_config=run_config(name, mode="incremental"),
        tags={"intacct/mode": "incremental"},
        default_status=status,
        description="Incremental load of every Intacct table (records modified since the last run).",
    )
    weekly = ScheduleDefinition(
        name=f"{name}_weekly_reconcile_deletes",
        job=job,
        cron_schedule=reader.get("reconcile_cron"),
        execution_timezone=tz,
        run_config=run_config(name, mode="reconcile_deletes"),
        tags={"intacct/mode": "reconcile_deletes"},
        default_status=status,
        description="Incremental load plus a key-only scan that removes rows deleted in Intacct.",
    )
    return [nightly, weekly]
