"""Incremental merge and delete reconciliation on PostgreSQL (identifier quoting, `key` column, schemas).
Uses the shared throwaway PostgreSQL server fixture (`postgres_dsn`)."""

from __future__ import annotations

import dlt
import pytest

from intacct_dagster.intacct import DEFAULT_OBJECTS, intacct_source
from intacct_dagster_tests.compare import compare_with_source
from intacct_dagster_tests.e2e._harness import postgres_table

from ._helpers import settings_for

pytestmark = pytest.mark.timeout(180)
PATHS = {o.name: o.path for o in DEFAULT_OBJECTS}


def test_postgres_incremental_and_reconcile(sandbox_factory, postgres_dsn, tmp_path):
    sb = sandbox_factory(lines=800)
    names = ["journal_entry_lines", "vendors", "ap_terms"]
    pipeline = dlt.pipeline(pipeline_name="intacct_pg", destination=dlt.destinations.postgres(postgres_dsn),
                            dataset_name="intacct_pg", pipelines_dir=str(tmp_path / "pipelines"))

    def run(**kw):
        pipeline.run(intacct_source(objects=names, settings=settings_for(sb), lookback_seconds=0, **kw))

    def check():
        problems = []
        for name in names:
            problems += compare_with_source(sb, PATHS[name], postgres_table(postgres_dsn, "intacct_pg", name), name)
        assert not problems, "\n".join(problems[:20])

    run()
    check()
    sb.modify(PATHS["journal_entry_lines"], 5)
    sb.delete(PATHS["vendors"], 2)
    sb.delete(PATHS["journal_entry_lines"], 3)
    run(mode="reconcile_deletes")
    check()
