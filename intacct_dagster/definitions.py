"""The Dagster code location: `dagster dev -m intacct_dagster.definitions` / `dg check defs`.

Loading it needs no credentials and makes no network calls: resources hold only env var *names*
(see resources.py) and the Intacct source is built at run time.
"""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster_dlt import DagsterDltResource

from intacct_dagster.assets import TABLES, intacct_assets
from intacct_dagster.checks import build_checks
from intacct_dagster.destination import IntacctDestination
from intacct_dagster.jobs import intacct_job
from intacct_dagster.resources import IntacctResource
from intacct_dagster.schedules import build_schedules


def build_definitions(
    intacct: IntacctResource | None = None, destination: IntacctDestination | None = None
) -> Definitions:
    """Definitions with resources from env vars by default; tests and the demo may pass their own."""
    return Definitions(
        assets=[intacct_assets],
        asset_checks=build_checks(TABLES),
        # One op does all the loading, so separate step processes buy nothing; one process also avoids
        # re-importing per check and DuckDB's one-process-per-file lock between check steps.
        executor=in_process_executor,
        jobs=[intacct_job],
        schedules=build_schedules(),
        resources={
            "dlt": DagsterDltResource(),
            "intacct": intacct or IntacctResource.from_env(),
            "intacct_destination": destination or IntacctDestination.from_env(),
        },
    )


defs = build_definitions()
