"""One Dagster asset per Intacct object of one company, all materialized by a single dlt run.

`@dlt_assets` only needs a source to *describe* the assets, so at definition time the source is built with
no settings (no secrets, no network). The real source, with credentials, the shared token provider and this
run's config, is built inside the op at run time and handed to `DagsterDltResource.run`, which subsets it to
the selected assets.
"""

from __future__ import annotations

import inspect
import logging
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
from dagster import (
    AssetExecutionContext,
    AssetObservation,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
)
from dagster_dlt import DagsterDltResource, dlt_assets

from intacct_dagster.config import IntacctRunConfig, assets_op_name
from intacct_dagster.destination import IntacctDestination
from intacct_dagster.failures import explain
from intacct_dagster.intacct.catalog import IntacctObject
from intacct_dagster.intacct.connection import Connection
from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.plan import RunOptions
from intacct_dagster.intacct.source import RunReport, intacct_source, month_to_date_calls, run_options
from intacct_dagster.log_bridge import extraction_logs_to
from intacct_dagster.resources import IntacctResource
from intacct_dagster.translator import IntacctTranslator, table_of

logger = logging.getLogger("intacct_dagster")


def _spec_pipeline(pipeline_name: str) -> dlt.Pipeline:
    """Pipeline used only to describe assets; lives in a temp dir and has no destination."""
    return dlt.pipeline(pipeline_name=pipeline_name,
                        pipelines_dir=str(Path(tempfile.gettempdir()) / "intacct-dagster-specs"))


def build_intacct_assets(name: str, objects: Sequence[IntacctObject], translator: IntacctTranslator, pool: str,
                         connection_key: str, destination_key: str, pipeline_name: str) -> AssetsDefinition:
    """The multi-asset of one company: one op (`<name>_assets`), one dlt run, one token per run."""
    tables = [o.name for o in objects]
    spec_source = intacct_source(list(objects), options=RunOptions())  # describes assets; reads nothing

    def load(context: AssetExecutionContext, config: IntacctRunConfig, **resources: Any) -> Iterator[MaterializeResult]:
        intacct: IntacctResource = resources[connection_key]
        destination: IntacctDestination = resources[destination_key]
        selected = {table_of(k) for k in context.selected_asset_keys}
        try:
            chosen = config.tables_to_load([t for t in tables if t in selected])
            resync = config.resync_tables(chosen)
        except ValueError as exc:
            raise Failure(description=f"Invalid run config: {exc}", allow_retries=False) from None
        if not chosen:
            context.log.warning("Run config leaves no Intacct table to load; nothing to do.")
            return
        settings = intacct.settings()  # a clear, non-retried Failure if credentials are missing
        reader = intacct.reader()
        try:
            options = run_options(reader, config.mode, resync, config.window)
        except IntacctConfigError as exc:
            raise Failure(description=f"Invalid Intacct configuration: {exc}", allow_retries=False) from exc
        connection = Connection(settings, intacct.token_provider(), reader=reader)
        by_name = {o.name: o for o in objects}
        report = RunReport()
        source = intacct_source([by_name[t] for t in chosen], connection=connection, options=options, report=report)
        context.log.info(
            f"Loading {len(chosen)} Intacct table(s) of {name} in {config.mode} mode: {', '.join(chosen)}"
            + (f"; full re-sync of {', '.join(resync)}" if resync else "")
            + (f"; window {config.window[0] or '-'} .. {config.window[1] or '-'} (cursors kept)" if config.window else "")
        )
        with destination.run_pipeline() as pipeline, extraction_logs_to(context.log):
            try:
                results = list(DagsterDltResource().run(context=context, dlt_source=source, dlt_pipeline=pipeline,
                                                        dagster_dlt_translator=translator))
            except Exception as exc:
                failure = explain(exc, settings.base_url, destination.destination, intacct.settings_prefix)
                if failure is None:
                    raise
                raise failure from exc
            row_counts = _row_counts(pipeline, [table_of(r.asset_key) for r in results])
            month_calls = _month_calls(pipeline, connection)
        meter = connection.client().meter
        context.log.info(f"Intacct API calls this run: {meter.total} ({meter.summary()}); "
                         f"throttle/backoff waits {meter.wait_s:.1f}s; peak concurrent requests "
                         f"{connection.client().limiter.peak}")
        budget = reader.get("monthly_api_budget")
        if budget and month_calls is not None and month_calls[1] > budget:
            context.log.warning(
                f"Intacct API calls in {month_calls[0]} reached {month_calls[1]} (this run: {meter.total}), over the "
                f"monthly budget of {budget} ({intacct.settings_prefix}_MONTHLY_API_BUDGET); Intacct bills overage. "
                "Consider a less frequent schedule or fewer tables.")
        for result in results:
            table = table_of(result.asset_key)
            calls = meter.for_object(by_name[table].path)
            if table in report.failures:
                error = str(report.failures[table])
                yield AssetObservation(asset_key=result.asset_key, metadata={
                    "intacct/error": MetadataValue.text(error), "intacct/api_calls": MetadataValue.int(calls["total"])})
                continue
            extra = {
                "intacct/mode": "full_resync" if table in resync else config.mode,
                "rows_loaded": result.metadata.get("rows_loaded", MetadataValue.int(0)),
                "intacct/api_calls": MetadataValue.int(calls["total"]),
                "intacct/api_retries": MetadataValue.int(calls["retries"]),
            }
            if month_calls is not None:
                extra["intacct/api_calls_month_to_date"] = MetadataValue.int(month_calls[1])
            if config.window:
                extra["intacct/window"] = f"{config.window[0] or ''}..{config.window[1] or ''}"
            if table in row_counts:
                extra["dagster/row_count"] = MetadataValue.int(row_counts[table])
            yield result._replace(metadata={**result.metadata, **extra})
        if report.failures:
            summary = "\n".join(f"- {t} ({by_name[t].path}): {e}" for t, e in report.failures.items())
            loaded = [t for t in chosen if t not in report.failures]
            raise Failure(
                description=f"{len(report.failures)} of {len(chosen)} Intacct table(s) failed; the other "
                            f"{len(loaded)} loaded and were recorded.\n{summary}",
                metadata={"failed_tables": MetadataValue.json({t: str(e) for t, e in report.failures.items()}),
                          "loaded_tables": MetadataValue.json(loaded)},
                allow_retries=False,  # these errors concern single objects and do not pass by themselves
            )

    # Resource parameters are named by this company's resource keys (`intacct`, `intacct_destination`, or
    # `acme`, `acme_destination`...), so several companies live side by side in one code location.
    load.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=AssetExecutionContext),
        inspect.Parameter("config", inspect.Parameter.KEYWORD_ONLY, annotation=IntacctRunConfig),
        inspect.Parameter(connection_key, inspect.Parameter.KEYWORD_ONLY, annotation=IntacctResource),
        inspect.Parameter(destination_key, inspect.Parameter.KEYWORD_ONLY, annotation=IntacctDestination),
    ])
    load.__name__ = assets_op_name(name)
    return dlt_assets(dlt_source=spec_source, dlt_pipeline=_spec_pipeline(pipeline_name), name=assets_op_name(name),
                      dagster_dlt_translator=translator, pool=pool)(load)


def _month_calls(pipeline: dlt.Pipeline, connection: Connection) -> tuple[str, int] | None:
    """(month, API calls this month so far, this run included), from the state saved with the data."""
    when = connection.client().latest_server_time
    if when is None:
        return None
    month = when.strftime("%Y-%m")
    return month, month_to_date_calls(pipeline.state, month)


def _row_counts(pipeline: dlt.Pipeline, tables: list[str]) -> dict[str, int]:
    """Total rows per table after the load (shown as `dagster/row_count`); missing tables are skipped."""
    from dlt.common.destination.exceptions import SqlClientNotAvailable
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    counts: dict[str, int] = {}
    try:
        with pipeline.sql_client() as client:
            for table in tables:
                try:
                    rows = client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(table)}")
                except DatabaseUndefinedRelation:  # table not created (no rows and no schema yet)
                    continue
                counts[table] = int(rows[0][0])
    except SqlClientNotAvailable:  # destination without SQL (e.g. filesystem): no row counts
        return counts
    return counts
