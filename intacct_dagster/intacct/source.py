"""The `intacct` dlt source: one resource per Intacct object, yielding pyarrow tables.

Each table's extract runs in three steps that can be read alone: plan (`plan.py`: what to scan, from the
model, the saved state and the run's options), scan (`scan.py`: keyset pages -> arrow tables), save
(`state.py`: the cursor rules). Calling `intacct_source(...)` does no I/O and needs no credentials; settings
are read, and the token, model and pages fetched, when the resources are iterated.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.extract.source import DltSource

from .auth import TokenProvider
from .catalog import IntacctObject, resolve_objects
from .client import IntacctClient
from .connection import Connection
from .errors import (
    IntacctAuthError,
    IntacctConfigError,
    IntacctDataError,
    IntacctError,
    IntacctTransientError,
)
from .keyset import MAX_PAGE_SIZE
from .memory import release_heap, tune_allocator
from .plan import CREATED, MODES, Plan, RunOptions, make_plan
from .reconcile import delete_markers, destination_keys, source_keys, tables_with_rows
from .scan import Collector, ScanPage, TableScan, run_in_thread
from .schema import DELETED_COLUMN, arrow_schema, dlt_columns
from .settings import IntacctSettings, SettingsReader
from .state import TableState, check_scope, next_cursor, parse_time, save, to_api_time

logger = logging.getLogger("intacct_dagster.intacct")

MERGE = {"disposition": "merge", "strategy": "delete-insert"}


def run_options(reader: SettingsReader | None = None, mode: str = "incremental",
                full_resync: bool | Sequence[str] = False, window: tuple[Any, Any] | None = None,
                **overrides: Any) -> RunOptions:
    """This run's options: `start_date`, `lookback_seconds` and `page_size` come from the settings (env,
    .dlt files, defaults) unless given here."""
    if mode not in MODES:
        raise IntacctConfigError(f"mode must be one of {MODES}, got {mode!r}")
    reader = reader or SettingsReader()

    def pick(name: str) -> Any:
        return overrides[name] if overrides.get(name) is not None else reader.get(name)

    page_size = int(pick("page_size"))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise IntacctConfigError(f"Intacct setting 'page_size' must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    lookback = int(pick("lookback_seconds"))
    if lookback < 0:
        raise IntacctConfigError(f"Intacct setting 'lookback_seconds' must be >= 0, got {lookback}")
    try:
        start_date = to_api_time(pick("start_date"))
        bounds = None if window is None else (to_api_time(window[0]), to_api_time(window[1]))
    except ValueError as exc:
        raise IntacctConfigError(f"start_date/end_date: {exc} (use an ISO date such as 2024-01-01)") from None
    resync = full_resync if isinstance(full_resync, bool) else frozenset(full_resync)
    return RunOptions(mode=mode, full_resync=resync, start_date=start_date, window=bounds,
                      lookback=timedelta(seconds=lookback), page_size=page_size)


def intacct_source(
    objects: Sequence[str | IntacctObject] | None = None,
    *,
    settings: IntacctSettings | None = None,
    auth: TokenProvider | None = None,
    client: IntacctClient | None = None,
    connection: Connection | None = None,
    options: RunOptions | None = None,
    reader: SettingsReader | None = None,
    mode: str = "incremental",
    full_resync: bool | Sequence[str] = False,
    window: tuple[Any, Any] | None = None,
    start_date: Any = None,
    lookback_seconds: int | None = None,
    page_size: int | None = None,
    extra_objects: Mapping[str, Any] | None = None,
    report: RunReport | None = None,
) -> DltSource:
    """Build the `intacct` dlt source (no network, no secrets needed until it runs).

    `objects`: table names from the catalog (or `IntacctObject`s); default: the settings' `objects`, else the
    whole catalog plus `extra_objects`. `mode`: "incremental" (default), "full" (re-read everything, then
    remove rows deleted at the source) or "reconcile_deletes" (incremental, then remove rows whose keys
    vanished). `full_resync`: True or table names to re-read in full (deleted rows are removed too).
    `window=(start, end)`: load records modified in [start, end) and leave every cursor where it was.
    Pass `auth` to share one `TokenProvider`, `client` to share one `IntacctClient`, or a `Connection`.
    With a `report`, a table that fails on its own (permission denied, module not subscribed, another 4xx, a
    value that does not fit) is recorded there and the other tables still load; without one it fails the run."""
    reader = reader or SettingsReader()
    connection = connection or Connection(settings, auth, client, reader)
    if options is None:
        options = run_options(reader, mode, full_resync, window, start_date=start_date,
                              lookback_seconds=lookback_seconds, page_size=page_size)
    resolved = _resolve(objects, extra_objects, reader)
    return _intacct(_Run(connection, options, resolved, report))


def _resolve(objects: Sequence[str | IntacctObject] | None, extra: Mapping[str, Any] | None,
             reader: SettingsReader) -> list[IntacctObject]:
    if objects is not None and all(isinstance(o, IntacctObject) for o in objects):
        return list(objects)  # type: ignore[arg-type]
    extra = extra if extra is not None else reader.get("extra_objects")
    names = list(objects) if objects is not None else reader.get("objects")
    return resolve_objects(names, extra)


class RunReport:
    """What happened to each table of a run: its plan, and the error of each table that failed alone."""

    def __init__(self) -> None:
        self.plans: dict[str, Plan] = {}
        self.failures: dict[str, BaseException] = {}
        self.rows: dict[str, int] = {}  # rows read per table (before de-duplication by the merge)
        self.pages: dict[str, int] = {}


def fails_alone(exc: BaseException) -> bool:
    """Errors that concern one object only (no permission, module not subscribed, another persistent 4xx,
    a value that does not fit): the other tables still load. Credentials, configuration and transient
    errors fail the whole run (transient ones are retried by the caller)."""
    if isinstance(exc, IntacctDataError):
        return True
    return (isinstance(exc, IntacctError) and not isinstance(exc, (IntacctAuthError, IntacctTransientError))
            and exc.status is not None and 400 <= exc.status < 500)


class _Run:
    """Everything the resources need, passed to the dlt source as one argument so that dlt's config
    injection never supplies a setting (settings have exactly one way in: `settings.py`).

    It also schedules the tables: dlt calls each selected resource's function (registering its object)
    before it iterates any of them; the first resource to be iterated then fetches every registered model
    concurrently, plans every table and starts every scan on its own thread. The resources (on dlt's thread)
    drain their scans' queues, so objects load side by side within the request limiter's slots."""

    def __init__(self, connection: Connection, options: RunOptions, objects: list[IntacctObject],
                 report: RunReport | None) -> None:
        self.connection = connection
        self.options = options
        self.objects = objects
        self.isolate = report is not None
        self.report = report or RunReport()
        self.registered: list[IntacctObject] = []
        self.jobs: dict[str, Future[_Job]] = {}
        self._started = False

    def __repr__(self) -> str:
        return f"_Run(objects={[o.name for o in self.objects]}, mode={self.options.mode!r})"

    def register(self, obj: IntacctObject) -> None:
        if obj not in self.registered:
            self.registered.append(obj)

    def start(self) -> None:
        """On dlt's thread, once: scope check, saved states, which tables the destination already has (one
        connection); then, on worker threads, each table's model, plan and scan, so a table starts scanning
        as soon as its own model has arrived."""
        if self._started:
            return
        self._started = True
        tune_allocator()
        conn = self.connection
        client = conn.client()
        pipeline = _active_pipeline()
        source_state = dlt.current.source_state()
        check_scope(source_state, conn.scope(), repr(pipeline.dataset_name) if pipeline else "", conn.settings.prefix)
        resources = source_state.get("resources") or {}
        objs = list(self.registered)
        filled = tables_with_rows(pipeline, [o.name for o in objs])
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(objs), client.limiter.max_slots)),
                                  thread_name_prefix="intacct-plan")
        for obj in objs:
            saved = TableState.read(resources.get(obj.name) or {})
            self.jobs[obj.name] = pool.submit(self._prepare, obj, saved, obj.name in filled)
        pool.shutdown(wait=False)

    def _prepare(self, obj: IntacctObject, saved: TableState, has_rows: bool) -> _Job:
        """Model -> plan -> scan started (on a worker thread). An error is kept for the table's resource."""
        conn = self.connection
        try:
            model, server_start = conn.model(obj.path)
        except Exception as exc:  # noqa: BLE001 - raised by that table's resource, on dlt's thread
            return _Job(saved, error=exc)
        plan = make_plan(obj, model, saved, self.options, server_start)
        if plan.deletes != "none" and not has_rows:
            plan.deletes = "none"  # a first load: nothing can have been deleted from an empty table
        self.report.plans[obj.name] = plan
        logger.info("intacct: %s", plan.describe())
        scan = TableScan(plan, conn.client(), conn.settings.include_private, self.options.page_size)
        return _Job(saved, plan, scan, run_in_thread(scan))


@dataclasses.dataclass
class _Job:
    saved: TableState
    plan: Plan | None = None
    scan: TableScan | None = None
    pages: Iterator[ScanPage] | None = None
    error: BaseException | None = None


@dlt.source(name="intacct", max_table_nesting=0)
def _intacct(run: _Run) -> list[Any]:
    return [_make_resource(obj, run) for obj in run.objects]


def _make_resource(obj: IntacctObject, run: _Run) -> Any:
    static_columns = {
        obj.primary_key: {"name": obj.primary_key, "data_type": "text", "nullable": False, "primary_key": True},
        DELETED_COLUMN: {"name": DELETED_COLUMN, "data_type": "bool", "nullable": True, "hard_delete": True},
    }

    def extract() -> Iterator[Any]:
        run.register(obj)  # dlt calls this for every selected resource before iterating any of them
        return _isolated(obj, run)

    return dlt.resource(
        extract, name=obj.name, table_name=obj.name, write_disposition=MERGE,
        primary_key=obj.primary_key, columns=static_columns, max_table_nesting=0,
    )()


def _isolated(obj: IntacctObject, run: _Run) -> Iterator[Any]:
    try:
        yield from _extract(obj, run)
    except Exception as exc:
        if not (run.isolate and fails_alone(exc)):
            raise
        run.report.failures[obj.name] = exc
        logger.error("intacct: %s (%s) failed, the other tables go on: %s", obj.name, obj.path, exc)


def _extract(obj: IntacctObject, run: _Run) -> Iterator[Any]:
    """Drain one table's scan, then reconcile deletes and save its state (all on dlt's thread). Every table
    merges on its key; deletes are hard-delete markers."""
    run.register(obj)
    run.start()
    job = run.jobs[obj.name].result()
    if job.error is not None:
        raise job.error
    plan, scan, conn = job.plan, job.scan, run.connection
    assert plan is not None and scan is not None and job.pages is not None
    collector = Collector(obj.name, plan.column_names.get(plan.cursor_field) if plan.cursor_field else None,
                          collect_keys=plan.deletes == "unseen")
    hinted = False
    for page in _with_siblings(job.pages, scan):
        batch = collector.add(page)
        if batch is not None:
            yield batch if hinted else _with_hints(batch, plan)
            hinted = True
            del batch
    batch = collector.flush()
    if batch is not None or not hinted:  # no rows at all: still create the table with its columns
        batch = batch if batch is not None else arrow_schema(plan.columns, obj.primary_key).empty_table()
        yield batch if hinted else _with_hints(batch, plan)
    del batch
    if plan.deletes != "none":
        pipeline = _active_pipeline()
        dest = destination_keys(pipeline, obj.name, plan.columns[0].name)
        if dest is not None and len(dest):
            if plan.deletes == "unseen":
                seen = pa.concat_arrays(collector.seen_keys) if collector.seen_keys else pa.array([], pa.string())
            else:
                seen = source_keys(conn.client().query, obj.path, obj.primary_key, run.options.page_size,
                                   conn.settings.include_private)
            markers = delete_markers(dest, seen, plan.columns[0].name)
            if markers.num_rows:
                logger.info("intacct: %s: %d rows deleted at the source", obj.name, markers.num_rows)
                yield markers
    saved = job.saved
    cursor = next_cursor(saved.cursor, collector.newest, plan.server_start) if plan.save_cursor else saved.cursor
    save(dlt.current.resource_state(), cursor, plan.column_names, saved.unqueryable + scan.dropped_fields)
    record_api_calls(dlt.current.source_state(), plan.server_start, conn.client().meter.for_object(obj.path)["total"])
    run.report.rows[obj.name], run.report.pages[obj.name] = collector.rows, collector.pages
    logger.info("intacct: %s done: %d rows in %d pages%s", obj.name, collector.rows, collector.pages,
                f"; cursor {cursor}" if plan.cursor_field else "")
    release_heap()


def _with_siblings(pages: Iterator[ScanPage], scan: TableScan) -> Iterator[ScanPage]:
    """The scan's pages, then (when the plan completes documents) the lines older than the history bound of
    the documents created before it that those pages touched: they never move the cursor."""
    plan = scan.plan
    if not plan.complete_before:
        yield from pages
        return
    parent, created = plan.column_names[plan.obj.parent], plan.column_names[CREATED]
    bound = parse_time(plan.complete_before)
    documents: set[str] = set()
    for page in pages:
        documents |= _documents_created_before(page.table, parent, created, bound)
        yield page
    if not documents:
        return
    logger.info("intacct: %s: %d %s(s) created before %s have edited lines; reading their other lines",
                plan.obj.name, len(documents), plan.obj.document, plan.complete_before)
    for table in scan.complete(sorted(documents), plan.complete_before):
        yield ScanPage(table, by_cursor=False)


def _documents_created_before(table: pa.Table, parent: str, created: str, bound: Any) -> set[str]:
    """Parent keys of the rows created before `bound` (or with no creation time)."""
    stamps = table.column(created)
    if not pa.types.is_timestamp(stamps.type):
        return set()
    old = pc.or_kleene(pc.is_null(stamps), pc.less(stamps, pa.scalar(bound, stamps.type)))
    return {str(k) for k in pc.unique(pc.filter(table.column(parent), old)).to_pylist() if k is not None}


def record_api_calls(source_state: dict, when: Any, calls: int) -> None:
    """Month-to-date API calls of this company, kept with the state in the destination (`api_calls`:
    {"YYYY-MM": n}), so a run can warn before the monthly allowance is exceeded."""
    if when is None or not calls:
        return
    usage = source_state.setdefault("api_calls", {})
    month = when.strftime("%Y-%m")
    for old in [m for m in usage if m < month][:-2]:  # keep a few months for reference
        usage.pop(old, None)
    usage[month] = int(usage.get(month, 0)) + int(calls)


def month_to_date_calls(pipeline_state: Mapping[str, Any], month: str) -> int:
    usage = ((pipeline_state.get("sources") or {}).get("intacct") or {}).get("api_calls") or {}
    return int(usage.get(month, 0))


def _with_hints(table: pa.Table, plan: Plan) -> Any:
    hints = dlt.mark.make_hints(
        columns=dlt_columns(plan.columns, plan.obj.primary_key, plan.cursor_field, deletes=True),
        file_format=_arrow_file_format())
    return dlt.mark.with_hints(table, hints)


def _active_pipeline() -> Any:
    """The pipeline running this source, or None when the resources are iterated outside one (tests,
    scripts). `dlt.current.pipeline()` would create a default pipeline instead."""
    from dlt.common.configuration.container import Container
    from dlt.common.pipeline import PipelineContext

    context = Container()[PipelineContext]
    return context.pipeline() if context.is_active() else None


def _arrow_file_format() -> str | None:
    """Parquet for DuckDB: arrow tables go straight into parquet files that DuckDB copies in. Its default,
    insert_values, measured ~1k rows/s and several GB of RSS for 100k wide rows. Other destinations keep
    their own preference (e.g. Postgres without ADBC cannot load parquet)."""
    pipeline = _active_pipeline()
    if pipeline is None:
        return None
    kind = str(getattr(pipeline.destination, "destination_type", "") or "").rsplit(".", 1)[-1]
    return "parquet" if kind in ("duckdb", "motherduck") else None
