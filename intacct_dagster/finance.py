"""Finance statements: the dbt project in `finance_dbt/` as Dagster assets downstream of the raw Intacct tables.

`build_finance_assets(...)` gives one company's dbt multi-asset (staging, general ledger, trial balance, P&L,
balance sheet, AP/AR aging) with its dbt tests as asset checks; the factory adds it to the company's definitions.
The dbt sources `source('intacct', '<table>')` map to the loader's asset keys `<prefix>/<table>`, so the lineage
reads raw -> staging -> marts. The assets run in the loader's pool, so dbt never opens the DuckDB file while a load
holds it.

Nothing here touches a database or the network when definitions load: the manifest comes from `dbt parse` run
once per project version into a cache directory (no connection, no secrets), and the dbt profile is written at run
time for the company's destination (its DuckDB file, or Postgres with dlt's credentials).
"""


import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Config, Failure
from pydantic import Field

from intacct_dagster.destination import IntacctDestination
from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.settings import SettingsReader, env_name

PROJECT_DIR = Path(__file__).resolve().parent / "finance_dbt"
PROFILE = "intacct_finance"
SUPPORTED_DESTINATIONS = ("duckdb", "postgres")
# Raw tables the marts read (the staging models of the other catalog tables tolerate a missing table).
REQUIRED_TABLES = ("gl_accounts", "journal_entries", "journal_entry_lines", "entities", "ap_bills",
                   "ap_payments", "ap_payment_details", "ar_invoices", "ar_payments", "ar_payment_details")
MARTS = ("general_ledger", "trial_balance", "trial_balance_by_department", "profit_and_loss", "balance_sheet",
         "ap_aging", "ar_aging")
_PROJECT_GLOBS = ("dbt_project.yml", "models/**/*", "macros/**/*", "tests/**/*", "seeds/**/*")


# ------------------------------------------------------------------------------------------------ dbt plumbing
def dbt_executable() -> str:
    """The `dbt` next to this interpreter (a venv not on PATH), else whatever PATH has."""
    here = Path(sys.executable).with_name("dbt")
    if here.exists():
        return str(here)
    return shutil.which("dbt") or "dbt"


def _project_digest(adapter: str) -> str:
    h = hashlib.sha256(adapter.encode())
    for pattern in _PROJECT_GLOBS:
        for path in sorted(PROJECT_DIR.glob(pattern)):
            if path.is_file():
                h.update(str(path.relative_to(PROJECT_DIR)).encode())
                h.update(path.read_bytes())
    try:
        from dbt.version import __version__ as dbt_version
    except ImportError:  # pragma: no cover - dbt-core is a dependency
        dbt_version = "?"
    h.update(dbt_version.encode())
    return h.hexdigest()[:20]


def _parse_profile(adapter: str, where: Path) -> dict[str, Any]:
    """A profile good enough for `dbt parse` (which never connects)."""
    if adapter == "postgres":
        output = {"type": "postgres", "host": "localhost", "port": 5432, "user": "parse", "password": "parse",
                  "dbname": "parse", "schema": "intacct_finance", "threads": 1}
    else:
        output = {"type": "duckdb", "path": str(where / "parse.duckdb"), "schema": "intacct_finance", "threads": 1}
    return {PROFILE: {"target": "parse", "outputs": {"parse": output}}}


def _write_profiles(directory: Path, profile: Mapping[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "profiles.yml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # may hold a password
    with os.fdopen(fd, "w") as f:
        json.dump(profile, f, indent=1)  # JSON is YAML


def _dbt_env(target: Path, profiles_dir: Path) -> dict[str, str]:
    return {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET_PATH": str(target),
            "DBT_LOG_PATH": str(target), "DBT_PROFILES_DIR": str(profiles_dir), "DBT_PROJECT_DIR": str(PROJECT_DIR)}


def cache_dir() -> Path:
    """Where parsed manifests are kept (`$TMPDIR/intacct-dagster-dbt`)."""
    return Path(tempfile.gettempdir()) / "intacct-dagster-dbt"


def finance_manifest(adapter: str = "duckdb") -> Path:
    """`manifest.json` of the dbt project, parsed once per project version and adapter into the cache dir.

    `dbt parse` needs no database and no secrets; the result is reused by every later definitions load (and by
    concurrent ones: a file lock serializes the first parse)."""
    from filelock import FileLock

    adapter = adapter if adapter in SUPPORTED_DESTINATIONS else "duckdb"
    root = cache_dir() / f"{adapter}-{_project_digest(adapter)}"
    manifest = root / "target" / "manifest.json"
    if manifest.is_file():
        return manifest
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock", timeout=300):
        if manifest.is_file():
            return manifest
        scratch = Path(tempfile.mkdtemp(prefix="parse-", dir=root))
        try:
            _write_profiles(scratch / "profiles", _parse_profile(adapter, scratch))
            proc = subprocess.run(
                [dbt_executable(), "parse", "--quiet", "--no-partial-parse", "--project-dir", str(PROJECT_DIR),
                 "--profiles-dir", str(scratch / "profiles")],
                env=_dbt_env(scratch / "target", scratch / "profiles"), capture_output=True, text=True, timeout=300,
                cwd=str(scratch))
            built = scratch / "target" / "manifest.json"
            if proc.returncode != 0 or not built.is_file():
                raise IntacctConfigError(
                    f"dbt parse of {PROJECT_DIR} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            (root / "target").mkdir(exist_ok=True)
            os.replace(built, manifest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return manifest


# ------------------------------------------------------------------------------------------------ profile
def dbt_profile(destination: IntacctDestination, values: Mapping[str, Any] | None = None,
                threads: int = 4) -> dict[str, Any]:
    """The dbt profile for a company's destination: its DuckDB file, or Postgres with the credentials dlt
    resolves (`DESTINATION__POSTGRES__CREDENTIALS` or `.dlt/secrets.toml`). Marts go to schema `<dataset>_finance`."""
    values = dict(values or destination.values())
    kind, schema = values["destination"], f"{values['dataset']}_finance"
    if kind == "duckdb":
        output: dict[str, Any] = {"type": "duckdb", "path": str(destination.duckdb_file()), "schema": schema,
                                  "threads": threads, "settings": {"preserve_insertion_order": False}}
        limit = dbt_memory_limit(values.get("duckdb_memory_limit"))
        if limit:
            output["settings"]["memory_limit"] = limit
    elif kind == "postgres":
        with destination.run_pipeline() as pipeline:
            creds = pipeline.destination_client().config.credentials
        output = {"type": "postgres", "host": creds.host, "port": int(creds.port or 5432), "user": creds.username,
                  "password": creds.password or "", "dbname": creds.database, "schema": schema, "threads": threads}
        query = dict(getattr(creds, "query", None) or {})
        if query.get("sslmode"):
            output["sslmode"] = query["sslmode"]
        if getattr(creds, "connect_timeout", None):
            output["connect_timeout"] = int(creds.connect_timeout)
    else:
        raise Failure(description=f"Finance statements support DuckDB and Postgres destinations, not {kind!r}.",
                      allow_retries=False)
    return {PROFILE: {"target": "main", "outputs": {"main": output}}}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b)?\s*$", re.I)
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
DBT_MIN_MEMORY = "1GB"


def dbt_memory_limit(setting: Any) -> str | None:
    """DuckDB memory limit of the dbt build: the `duckdb_memory_limit` setting (sized for loads, which stream),
    but at least 1GB: the ledger joins a million lines to their entries, accounts and dimensions at once."""
    if not setting:
        return None
    m = _SIZE.match(str(setting))
    if not m:
        return str(setting)
    size = float(m.group(1)) * _UNITS[(m.group(2) or "").lower()]
    return str(setting).strip() if size >= _UNITS["gb"] else DBT_MIN_MEMORY


@contextmanager
def profiles_dir(profile: Mapping[str, Any]) -> Iterator[Path]:
    """A private directory holding `profiles.yml` (0600) for one dbt invocation; removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="intacct-dbt-"))
    try:
        _write_profiles(root / "profiles", profile)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------------------------------ Dagster
class FinanceRunConfig(Config):
    """Run config of the finance (dbt) step."""

    as_of_date: str | None = Field(
        default=None, description="Aging date (YYYY-MM-DD); default: today in the schedule timezone, at run time.")
    dbt_vars: dict[str, Any] = Field(
        default_factory=dict,
        description="More dbt vars (e.g. {\"account_sections\": {\"4900\": \"other_income\"}}); see docs/finance.md.")


def finance_op_name(name: str) -> str:
    return f"{name}_finance"


def _translator(key_prefix: Sequence[str], name: str, owners: Sequence[str], kind: str):
    from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

    def is_staging(props: Mapping[str, Any]) -> bool:
        """A model under `models/staging/` (its fqn is project, folders..., name)."""
        return "staging" in props.get("fqn", [])[1:-1]

    class FinanceTranslator(DagsterDbtTranslator):
        """`source('intacct', t)` -> `<prefix>/<t>` (the loader's asset); models -> `<prefix>/staging/<model>` or
        `<prefix>/finance/<model>`, in groups `<name>_staging` and `<name>_finance`."""

        def get_asset_key(self, props: Mapping[str, Any]) -> AssetKey:
            if props["resource_type"] == "source":
                return AssetKey([*key_prefix, props["name"]])
            layer = "staging" if is_staging(props) else "finance"
            return AssetKey([*key_prefix, layer, props["name"]])

        def get_group_name(self, props: Mapping[str, Any]) -> str | None:
            if props["resource_type"] == "source":
                return name
            return f"{name}_staging" if is_staging(props) else f"{name}_finance"

        def get_owners(self, props: Mapping[str, Any]) -> Sequence[str] | None:
            return list(owners) or None

        def get_asset_spec(self, manifest, unique_id, project):
            spec = super().get_asset_spec(manifest, unique_id, project)
            if unique_id.startswith("source."):
                return spec
            return spec.replace_attributes(kinds={"dbt", kind})

    return FinanceTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True,
                                                                   enable_source_metadata=False))


def build_finance_assets(name: str, key_prefix: Sequence[str], settings_prefix: str, defaults: Mapping[str, Any],
                         pool: str, destination_key: str) -> AssetsDefinition:
    """The dbt multi-asset of one company (op `<name>_finance`)."""
    from dagster_dbt import DbtCliResource, dbt_assets

    reader = SettingsReader(settings_prefix, defaults)
    kind = str(reader.get("destination") or "duckdb")
    owners = [o.strip() for o in str(reader.get("asset_owners")).split(",") if o.strip()]
    translator = _translator(tuple(key_prefix), name, owners, kind)
    manifest = finance_manifest(kind)

    @dbt_assets(manifest=manifest, dagster_dbt_translator=translator, name=finance_op_name(name), pool=pool,
                required_resource_keys={destination_key}, op_tags={"intacct/pipeline": name})
    def _finance(context: AssetExecutionContext, config: FinanceRunConfig):
        destination: IntacctDestination = getattr(context.resources, destination_key)
        run_reader = SettingsReader(settings_prefix, defaults)  # read now: env and .dlt files may have changed
        try:
            start = run_reader.get("fiscal_year_start_month")  # an int setting
            tz = run_reader.get("schedule_timezone") or "UTC"
        except IntacctConfigError as exc:
            raise Failure(description=f"Invalid finance settings: {exc}", allow_retries=False) from exc
        if not 1 <= start <= 12:
            raise Failure(description=f"{env_name('fiscal_year_start_month', settings_prefix)} must be 1..12, "
                                      f"got {start}", allow_retries=False)
        values = destination.values()
        as_of = config.as_of_date or _today(tz)
        try:
            as_of = date.fromisoformat(as_of).isoformat()
        except ValueError:
            raise Failure(description=f"as_of_date must be YYYY-MM-DD, got {as_of!r}", allow_retries=False) from None
        dbt_vars = {"intacct_schema": values["dataset"], "fiscal_year_start_month": start, "as_of_date": as_of,
                    **config.dbt_vars}
        context.log.info(f"dbt build of {name}'s finance statements into {values['destination']} schema "
                         f"{values['dataset']}_finance (fiscal year starts in month {start}; aging as of {as_of})")
        # The load's checks keep one connection open for the run; DuckDB allows one writer process, so release it
        # before dbt opens the file (a later check reopens it).
        destination.teardown_after_execution(context)
        with profiles_dir(dbt_profile(destination, values)) as root:
            dbt = DbtCliResource(project_dir=str(PROJECT_DIR), profiles_dir=str(root / "profiles"),
                                 dbt_executable=dbt_executable())
            invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context,
                                 target_path=root / "target", raise_on_error=False)
            yield from invocation.stream()
            failure = _failure(invocation)
        if failure is not None:
            raise failure

    return _finance


def _failure(invocation) -> Failure | None:
    """A Failure naming what went wrong in a dbt build: models that did not build (retried: a database may be
    briefly unavailable) or tests that failed (not retried: the data will not change by itself)."""
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except (OSError, ValueError):  # no (readable) artifact: dbt itself failed before running anything
        results = None
    if results is None:
        if invocation.is_successful():
            return None
        return Failure(description=f"dbt build failed: {invocation.get_error()}")
    errors = [r for r in results if r.get("status") in ("error", "runtime error")
              and not r.get("unique_id", "").startswith("test.")]
    failed_tests = [r for r in results if r.get("unique_id", "").startswith("test.")
                    and r.get("status") in ("fail", "error")]
    if not errors and not failed_tests and invocation.is_successful():
        return None
    lines = [f"- {r['unique_id']}: {(r.get('message') or r.get('status'))}" for r in errors + failed_tests][:30]
    what = (f"{len(errors)} dbt model(s) failed to build" if errors else
            f"{len(failed_tests)} finance check(s) (dbt tests) failed")
    out_of_memory = any("out of memory" in str(r.get("message") or "").lower() for r in errors)
    if out_of_memory:
        what += " (DuckDB ran out of memory: raise the duckdb_memory_limit setting)"
    return Failure(description=f"{what}:\n" + "\n".join(lines), allow_retries=bool(errors) and not out_of_memory)


def _today(tz: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return datetime.now(ZoneInfo(tz)).date().isoformat()
    except (ZoneInfoNotFoundError, ValueError):  # an unknown zone falls back to UTC
        return datetime.now(ZoneInfo("UTC")).date().isoformat()


def finance_available(tables: Sequence[str], destination: str) -> str | None:
    """Why finance statements cannot be defined for a company (None when they can)."""
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        return f"the loaded objects lack {', '.join(missing)}"
    if destination not in SUPPORTED_DESTINATIONS:
        return f"destination {destination!r} is not one of {', '.join(SUPPORTED_DESTINATIONS)}"
    if importlib.util.find_spec(f"dbt.adapters.{destination}") is None:
        return f"the dbt-{destination} adapter is not installed (pip install 'intacct-dagster[postgres]')"
    return None
