"""`build_intacct_defs(...)`: every Dagster definition of one Intacct company, with no module-level state.

The project's own code location is one call of it (`definitions.py`); a second company is another call,
or a `defs.yaml` of `IntacctComponent` (`component.py`). Each company gets its own asset key prefix, group,
resources, op, job, schedules, dlt pipeline and dataset, so their state and tables never mix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import (
    AssetSelection,
    Backoff,
    Definitions,
    ExecutorDefinition,
    Jitter,
    RetryPolicy,
    define_asset_job,
    in_process_executor,
)

from intacct_dagster.assets import build_intacct_assets
from intacct_dagster.checks import build_checks
from intacct_dagster.destination import IntacctDestination, destination_kind
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.settings import DEFAULT_PREFIX, SettingsReader
from intacct_dagster.resources import IntacctResource
from intacct_dagster.schedules import build_schedules, freshness_policy
from intacct_dagster.translator import IntacctTranslator

# Retrying is safe: tables merge on `key` and cursors are restored from the destination before each attempt.
RETRY_POLICY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)
DEFAULT_NAME = "intacct"
logger = logging.getLogger("intacct_dagster")


def build_intacct_defs(
    name: str = DEFAULT_NAME,
    key_prefix: str | Sequence[str] | None = None,
    settings_prefix: str | None = None,
    objects: Sequence[str] | None = None,
    pool: str = "intacct",
    schedules: bool = True,
    destination: Mapping[str, Any] | None = None,
    executor: ExecutorDefinition | None = None,
    settings: Mapping[str, Any] | None = None,
    finance: bool = True,
) -> Definitions:
    """Definitions of one Intacct company.

    - `name`: names the group, op (`<name>_assets`), job (`<name>_job`), schedules, resource keys
      (`<name>`, `<name>_destination`), dlt pipeline and default dataset.
    - `key_prefix`: asset key prefix (default `name`): `intacct/vendors`.
    - `settings_prefix`: env var prefix (default `INTACCT` for the default name, else `INTACCT_<NAME>`), also
      the TOML section `[sources.<prefix lower-cased>]`.
    - `objects`: tables to define (default: the `objects` setting, else the whole catalog + `extra_objects`).
    - `pool`: Dagster concurrency pool of the load and its checks (Intacct's per-company request limit and
      DuckDB's single writer). Companies loading into one DuckDB file should share it.
    - `destination`, `settings`: non-secret setting defaults (`{"destination": "postgres"}`, `{"entity_id": "E1"}`);
      environment variables and `.dlt/` files still win over them.
    - `executor`: the executor of the job and of ad-hoc materializations (default in-process: one op loads
      everything, and its checks must not open the DuckDB file from several processes at once).
    - `finance`: also define the finance statements (dbt, `intacct_dagster/finance.py`) downstream of the raw
      tables, in the same pool, and build them in `<name>_job` after the load. Skipped (logged) when the objects
      lack a table the statements need or the destination is neither DuckDB nor Postgres.
    """
    prefix = settings_prefix or (DEFAULT_PREFIX if name == DEFAULT_NAME else f"{DEFAULT_PREFIX}_{name.upper()}")
    keys = tuple([key_prefix] if isinstance(key_prefix, str) else key_prefix or [name])
    defaults = {"dataset": name, **dict(settings or {}), **dict(destination or {})}
    reader = SettingsReader(prefix, defaults)  # non-secret settings only; nothing is fetched
    resolved = resolve_objects(list(objects) if objects is not None else reader.get("objects"),
                               reader.get("extra_objects"))
    if not resolved:
        raise IntacctConfigError(f"{name}: no Intacct objects to define")
    connection_key, destination_key = name, f"{name}_destination"
    translator = IntacctTranslator(
        destination_kind=destination_kind(prefix, defaults),
        objects={o.name: o for o in resolved},
        owners=[o.strip() for o in str(reader.get("asset_owners")).split(",") if o.strip()],
        freshness_policy=freshness_policy(reader),
        key_prefix=keys,
        group=name,
    )
    assets = build_intacct_assets(name, resolved, translator, pool, connection_key, destination_key, name)
    # --- finance statements (dbt) wiring: intacct_dagster/finance.py ---
    finance_assets = []
    if finance:
        from intacct_dagster.finance import build_finance_assets, finance_available

        why_not = finance_available([o.name for o in resolved], destination_kind(prefix, defaults))
        if why_not:
            logger.info(f"{name}: finance statements not defined: {why_not}")
        else:
            finance_assets = [build_finance_assets(name, keys, prefix, defaults, pool, destination_key)]
    # --- end finance wiring ---
    job = define_asset_job(
        name=f"{name}_job",
        selection=AssetSelection.assets(assets, *finance_assets),
        description=f"Load every Sage Intacct table of {name} (incremental by default; see run config `mode`) "
                    "and check it" + (", then build and test the finance statements (dbt)." if finance_assets else "."),
        op_retry_policy=RETRY_POLICY,
        executor_def=executor or in_process_executor,
        tags={"intacct/pipeline": name},
    )
    return Definitions(
        assets=[assets, *finance_assets],
        asset_checks=build_checks([o.name for o in resolved], keys, destination_key, pool),
        jobs=[job],
        executor=executor or in_process_executor,
        schedules=build_schedules(job, name, reader) if schedules else [],
        resources={
            connection_key: IntacctResource(settings_prefix=prefix, defaults=dict(settings or {})),
            destination_key: IntacctDestination(settings_prefix=prefix, defaults=defaults, pipeline_name=name),
        },
    )
