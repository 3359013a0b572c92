"""Incremental merge and delete reconciliation on PostgreSQL (identifier quoting, `key` column, schemas).
Uses the throwaway server helper of the e2e suite; skipped when PostgreSQL binaries are absent."""

from __future__ import annotations

import dlt
import pytest

from intacct_dagster.intacct import DEFAULT_OBJECTS, intacct_source

from ._helpers import compare, settings_for

pytestmark = pytest.mark.timeout(180)
PATHS = {o.name: o.path for o in DEFAULT_OBJECTS}


@pytest.fixture(scope="module")
def pg_dsn():
    from intacct_dagster_tests.e2e._pg import PostgresServer, find_pg_bindir

    bindir = find_pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed")
    server = PostgresServer(bindir)
    try:
        yield server.start()
    finally:
        server.stop()


def _rows(dsn: str, table: str) -> list[dict]:
    import psycopg2
    import psycopg2.extras

    con = psycopg2.connect(dsn)
    try:
        with con.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(f'select * from "intacct_pg"."{table}"')
            return [dict(r) for r in cur.fetchall()]
    finally:
        con.close()


def test_postgres_incremental_and_reconcile(sandbox_factory, pg_dsn, tmp_path):
    sb = sandbox_factory(lines=800)
    names = ["journal_entry_lines", "vendors", "ap_terms"]
    pipeline = dlt.pipeline(pipeline_name="intacct_pg", destination=dlt.destinations.postgres(pg_dsn),
                            dataset_name="intacct_pg", pipelines_dir=str(tmp_path / "pipelines"))

    def run(**kw):
        pipeline.run(intacct_source(objects=names, settings=settings_for(sb), lookback_seconds=0, **kw))

    def check():
        problems = []
        for name in names:
            problems += compare(sb.rows(PATHS[name]), _rows(pg_dsn, name), name)
        assert not problems, "\n".join(problems[:20])

    run()
    check()
    sb.modify(PATHS["journal_entry_lines"], 5)
    sb.delete(PATHS["vendors"], 2)
    sb.delete(PATHS["journal_entry_lines"], 3)
    run(mode="reconcile_deletes")
    check()
