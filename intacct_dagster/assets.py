"""One Dagster asset per Intacct object, all materialized by a single dlt run.

The `@dlt_assets` decorator only needs a source to *describe* the assets, so at import we build
the source with no settings (no secrets, no network). The real source, with credentials, the
shared TokenProvider and this run's config, is built inside the op at run time and handed to
`DagsterDltResource.run`, which subsets it to the selected assets.
"""


import tempfile
from collections.abc import Iterator
from pathlib import Path

import dlt
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from dagster_dlt import DagsterDltResource, dlt_assets

from intacct_dagster.config import ASSETS_OP_NAME, IntacctRunConfig
from intacct_dagster.destination import PIPELINE_NAME, IntacctDestination, configured_destination_name
from intacct_dagster.failures import explain
from intacct_dagster.intacct.catalog import resolve_objects
from intacct_dagster.intacct.source import intacct_source
from intacct_dagster.log_bridge import extraction_logs_to
from intacct_dagster.resources import IntacctResource
from intacct_dagster.schedules import nightly_freshness_policy
from intacct_dagster.translator import IntacctTranslator, table_of

# Concurrency pool: Intacct limits concurrent API requests per company and DuckDB has one writer.
# `dagster instance concurrency set intacct 1` (or dagster.yaml) turns it into a real limit.
POOL = "intacct"


def _spec_pipeline() -> dlt.Pipeline:
    """Pipeline used only to describe assets; lives in a temp dir and has no destination."""
    return dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(Path(tempfile.gettempdir()) / "intacct-dagster-specs"),
    )


def _configured_extra_objects() -> dict | None:
    """`[sources.intacct.extra_objects]` from dlt config, only to describe those assets."""
    try:
        extra = dlt.config.get("sources.intacct.extra_objects")
        return dict(extra) if extra else None
    except Exception:
        return None


SPEC_SOURCE = intacct_source()
TABLES: list[str] = list(SPEC_SOURCE.selected_resources.keys())
TRANSLATOR = IntacctTranslator(
    destination_kind=configured_destination_name(),
    objects={o.name: o for o in resolve_objects(extra=_configured_extra_objects())},
    freshness_policy=nightly_freshness_policy(),
)


@dlt_assets(
    dlt_source=SPEC_SOURCE,
    dlt_pipeline=_spec_pipeline(),
    name=ASSETS_OP_NAME,
    dagster_dlt_translator=TRANSLATOR,
    pool=POOL,
)
def intacct_assets(
    context: AssetExecutionContext,
    config: IntacctRunConfig,
    dlt: DagsterDltResource,
    intacct: IntacctResource,
    intacct_destination: IntacctDestination,
) -> Iterator[MaterializeResult]:
    """Extract the selected Intacct objects and merge them into the destination."""
    selected = {table_of(k) for k in context.selected_asset_keys}
    tables = config.tables_to_load([t for t in TABLES if t in selected])
    if not tables:
        context.log.warning("Run config leaves no Intacct table to load; nothing to do.")
        return
    settings = intacct.settings()  # raises a clear, non-retried Failure if credentials are missing
    auth = intacct.token_provider()  # one token for every table in this run
    resync = config.resync_tables(tables)
    context.log.info(
        f"Loading {len(tables)} Intacct table(s) in {config.mode} mode: {', '.join(tables)}"
        + (f"; full re-sync of {', '.join(resync)}" if resync else "")
    )
    source = intacct_source(
        objects=tables, settings=settings, auth=auth, start_date=config.start_date,
        mode=config.mode, full_resync=resync,
    )
    with intacct_destination.run_pipeline() as pipeline, extraction_logs_to(context.log):
        try:
            results = list(
                dlt.run(context=context, dlt_source=source, dlt_pipeline=pipeline, dagster_dlt_translator=TRANSLATOR)
            )
        except Exception as exc:
            failure = explain(exc, settings.base_url, intacct_destination.destination)
            if failure is None:
                raise
            raise failure from exc
        row_counts = _row_counts(pipeline, [table_of(r.asset_key) for r in results])
    for result in results:
        table = table_of(result.asset_key)
        extra = {
            "intacct/mode": "full_resync" if table in resync else config.mode,
            "rows_loaded": result.metadata.get("rows_loaded", MetadataValue.int(0)),
        }
        if config.start_date:
            extra["intacct/start_date"] = config.start_date
        if table in row_counts:
            extra["dagster/row_count"] = MetadataValue.int(row_counts[table])
        yield result._replace(metadata={**result.metadata, **extra})


def _row_counts(pipeline: dlt.Pipeline, tables: list[str]) -> dict[str, int]:
    """Total rows per table after the load (shown as `dagster/row_count`); missing tables are skipped."""
    counts: dict[str, int] = {}
    try:
        with pipeline.sql_client() as client:
            for table in tables:
                try:
                    rows = client.execute_sql(f"SELECT count(*) FROM {client.make_qualified_table_name(table)}")
                    counts[table] = int(rows[0][0])
                except Exception:  # table not created yet (object had no records)
                    continue
    except Exception:  # destination without SQL (e.g. filesystem): no row counts
        return counts
    return counts
