"""Where one company's data lands: a DuckDB file by default, any dlt destination by name.

A separate resource from the Intacct connection because checks and queries need the destination but never
Intacct credentials. Its settings (`destination`, `duckdb_path`, `dataset`, ...) come from the one settings
reader at run time; non-DuckDB destinations take their credentials the dlt way (`.dlt/secrets.toml`
`[destination.postgres.credentials]` or `DESTINATION__POSTGRES__CREDENTIALS`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dlt
from dagster import ConfigurableResource, Failure
from pydantic import Field, PrivateAttr

from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.settings import DEFAULT_PREFIX, SettingsReader, env_name

PIPELINE_NAME = "intacct"


class IntacctDestination(ConfigurableResource):
    """dlt destination, dataset and pipeline of one company."""

    settings_prefix: str = Field(default=DEFAULT_PREFIX, description="env var prefix of this company's settings")
    defaults: dict[str, Any] = Field(default_factory=dict, description="non-secret setting defaults")
    pipeline_name: str = Field(default=PIPELINE_NAME, description="dlt pipeline (its state lives in the dataset)")

    _shared: Any = PrivateAttr(default=None)

    def values(self) -> dict[str, Any]:
        """Destination settings read now (env, .dlt files, defaults)."""
        try:
            values = SettingsReader(self.settings_prefix, self.defaults).group("destination")
        except IntacctConfigError as exc:
            raise Failure(description=f"Invalid destination settings: {exc}", allow_retries=False) from exc
        values["dataset"] = values.get("dataset") or self.pipeline_name
        return values

    @property
    def destination(self) -> str:
        return str(self.values()["destination"])

    @property
    def dataset(self) -> str:
        return str(self.values()["dataset"])

    @property
    def is_duckdb(self) -> bool:
        return self.destination == "duckdb"

    def duckdb_file(self) -> Path:
        return Path(self.values()["duckdb_path"]).expanduser().resolve()

    def dlt_destination(self):
        """dlt destination object; DuckDB gets the file path, others resolve dlt config themselves."""
        values = self.values()
        if values["destination"] != "duckdb":
            return values["destination"]
        path = Path(values["duckdb_path"]).expanduser().resolve()
        if path.name.split(".")[0] == values["dataset"]:
            raise Failure(
                description=(
                    f"DuckDB file {path.name} has the same name as the dataset {values['dataset']!r}: DuckDB would "
                    f"not know whether `{values['dataset']}.<table>` means the catalog or the schema. Rename the file "
                    f"({env_name('duckdb_path', self.settings_prefix)}) or the dataset "
                    f"({env_name('dataset', self.settings_prefix)})."),
                allow_retries=False,
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

        credentials = DuckDbCredentials(
            str(path), global_config={"memory_limit": values["duckdb_memory_limit"], "preserve_insertion_order": False,
                          "threads": int(values["duckdb_threads"])}
        )
        return dlt.destinations.duckdb(credentials=credentials)

    def pipeline(self, pipelines_dir: str | None = None) -> dlt.Pipeline:
        """A dlt pipeline bound to this destination. Its working dir is scratch: dagster-dlt drops local
        state before each run and dlt restores state (cursors) and schemas from the destination."""
        values = self.values()
        return dlt.pipeline(
            pipeline_name=self.pipeline_name,
            destination=self.dlt_destination(),
            dataset_name=values["dataset"],
            pipelines_dir=pipelines_dir or values["pipelines_dir"],
        )

    @contextmanager
    def run_pipeline(self) -> Iterator[dlt.Pipeline]:
        """Pipeline with a private working dir for one run (unless the pipelines_dir setting is set): concurrent
        runs never share dlt's local files, and nothing is lost because the durable state is in the destination."""
        if self.values()["pipelines_dir"]:
            yield self.pipeline()
            return
        scratch = tempfile.mkdtemp(prefix="intacct-dlt-")
        try:
            yield self.pipeline(pipelines_dir=scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @contextmanager
    def sql_client(self):
        """SQL client on the dataset (asset checks, the demo); works for any SQL destination."""
        with self.run_pipeline() as pipeline, pipeline.sql_client() as client:
            yield client

    def shared_sql_client(self):
        """One SQL client for all checks of a run (opening a pipeline and a connection costs ~0.3 s each);
        opened on first use, closed in `teardown_after_execution`."""
        if self._shared is None:
            stack = ExitStack()
            try:
                pipeline = stack.enter_context(self.run_pipeline())
                client = stack.enter_context(pipeline.sql_client())
            except BaseException:
                stack.close()
                raise
            self._shared = (stack, client)
        return self._shared[1]

    def teardown_after_execution(self, context) -> None:
        if self._shared is not None:
            stack, self._shared = self._shared[0], None
            stack.close()


def destination_kind(settings_prefix: str = DEFAULT_PREFIX, defaults: dict[str, Any] | None = None) -> str:
    """Destination *name* for asset kinds at definition time (config, never a secret)."""
    try:
        return str(SettingsReader(settings_prefix, defaults).get("destination") or "duckdb")
    except IntacctConfigError:
        return "duckdb"
