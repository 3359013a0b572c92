"""Where the data lands: a DuckDB file by default, any dlt destination by name.

A separate resource from the Intacct connection because checks and queries need the destination
but never Intacct credentials. Non-DuckDB destinations take their credentials from dlt's own
config (`.dlt/secrets.toml` `[destination.postgres.credentials]` or `DESTINATION__POSTGRES__CREDENTIALS`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dlt
from dagster import ConfigurableResource, Failure
from pydantic import PrivateAttr

PIPELINE_NAME = "intacct"
DEFAULT_DUCKDB_PATH = "data/warehouse.duckdb"

DESTINATION_ENV_VARS: dict[str, str] = {
    "destination": "INTACCT_DESTINATION",
    "duckdb_path": "INTACCT_DUCKDB_PATH",
    "dataset": "INTACCT_DATASET",
    "pipelines_dir": "INTACCT_DLT_PIPELINES_DIR",
    "duckdb_memory_limit": "INTACCT_DUCKDB_MEMORY_LIMIT",
}


def configured_destination_name() -> str:
    """Destination *name* for asset kinds at load time (config, not a secret)."""
    return os.environ.get("INTACCT_DESTINATION") or "duckdb"


class IntacctDestination(ConfigurableResource):
    """dlt destination + dataset for the Intacct pipeline."""

    destination: str = "duckdb"
    # Not `intacct.duckdb`: DuckDB names the catalog after the file, and a catalog named like the
    # dataset (`intacct`) makes `intacct.vendors` ambiguous for dlt's DDL and for users' SQL.
    duckdb_path: str = DEFAULT_DUCKDB_PATH
    dataset: str = "intacct"
    pipelines_dir: str | None = None
    # DuckDB's buffer pool defaults to 80% of RAM; a merge of 1M rows then holds ~500 MB. Capped, it
    # spills to disk instead and a 1M-line load stays under 400 MB (benchmarks/bench_source_load.py).
    duckdb_memory_limit: str = "256MB"

    _shared: Any = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> IntacctDestination:
        from intacct_dagster.resources import env_fields

        return cls(**env_fields(DESTINATION_ENV_VARS))

    @classmethod
    def from_env_values(cls) -> IntacctDestination:
        """Same as `from_env` but with values read now: for use outside a Dagster run (demo, scripts)."""
        return cls(**{f: os.environ[v] for f, v in DESTINATION_ENV_VARS.items() if os.environ.get(v)})

    @property
    def is_duckdb(self) -> bool:
        return self.destination == "duckdb"

    def duckdb_file(self) -> Path:
        return Path(self.duckdb_path).expanduser().resolve()

    def dlt_destination(self):
        """dlt destination object; DuckDB gets the file path, others resolve dlt config themselves."""
        if self.is_duckdb:
            path = self.duckdb_file()
            if path.name.split(".")[0] == self.dataset:
                raise Failure(
                    description=(
                        f"DuckDB file {path.name} has the same name as the dataset {self.dataset!r}: DuckDB "
                        "would not know whether `{0}.<table>` means the catalog or the schema. Rename the "
                        "file (INTACCT_DUCKDB_PATH) or the dataset (INTACCT_DATASET)."
                    ).replace("{0}", self.dataset),
                    allow_retries=False,
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

            credentials = DuckDbCredentials(
                str(path), global_config={"memory_limit": self.duckdb_memory_limit, "preserve_insertion_order": False}
            )
            return dlt.destinations.duckdb(credentials=credentials)
        return self.destination

    def pipeline(self, pipelines_dir: str | None = None) -> dlt.Pipeline:
        """A dlt pipeline bound to this destination.

        Its working dir is scratch: dagster-dlt drops local state before each run and dlt restores
        state (incremental cursors) and schemas from the destination's `_dlt_pipeline_state`.
        """
        return dlt.pipeline(
            pipeline_name=PIPELINE_NAME,
            destination=self.dlt_destination(),
            dataset_name=self.dataset,
            pipelines_dir=pipelines_dir or self.pipelines_dir,
        )

    @contextmanager
    def run_pipeline(self) -> Iterator[dlt.Pipeline]:
        """Pipeline with a private working dir for one run (unless INTACCT_DLT_PIPELINES_DIR is set).

        A private dir means concurrent runs never share dlt's local files; nothing is lost because
        the durable state lives in the destination.
        """
        if self.pipelines_dir:
            yield self.pipeline()
            return
        scratch = tempfile.mkdtemp(prefix="intacct-dlt-")
        try:
            yield self.pipeline(pipelines_dir=scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @contextmanager
    def sql_client(self):
        """SQL client on the dataset (used by asset checks and the demo); works for any SQL destination."""
        with self.run_pipeline() as pipeline, pipeline.sql_client() as client:
            yield client

    def shared_sql_client(self):
        """One SQL client for all checks of a run (the in-process executor shares this resource).

        Opening a dlt pipeline and a connection costs ~0.3 s; with 21 checks per run that adds up.
        Opened on first use (after the load), closed in `teardown_after_execution`.
        """
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
