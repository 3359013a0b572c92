"""Crash drill: SIGKILL a large Dagster materialization mid-load, rerun, and prove nothing is lost or doubled.

The sandbox runs as its own OS process (200k journal-entry lines); the load is the real CLI,
`dagster asset materialize -m intacct_dagster.definitions --select intacct/journal_entry_lines`.
"""

from __future__ import annotations

import os
import signal
from decimal import Decimal

import orjson
import pytest
import requests

from intacct_dagster_tests.e2e._dagster import cli_materialize, sandbox_env
from intacct_dagster_tests.e2e._harness import SandboxProcess, duckdb_query, kill_tree, wait_until

pytestmark = pytest.mark.timeout(300)

LINES = 200_000
OBJECT = "general-ledger/journal-entry-line"
TABLE = "journal_entry_lines"
DATASET = "intacct"
PIPELINE = "intacct"
QUERY_OF_LINES = f"object={OBJECT}"  # the sandbox's request descriptor for a query of that object


def source_truth(sb: SandboxProcess) -> dict[str, tuple[str, Decimal, Decimal]]:
    """key -> (modified, txnAmount, baseAmount), read straight from the API (our own keyset scan,
    independent of the project's client)."""
    s = requests.Session()
    tok = sb.token()
    out: dict[str, tuple[str, Decimal, Decimal]] = {}
    last = None
    while True:
        body: dict = {"object": OBJECT, "fields": ["key", "audit.modifiedDateTime", "txnAmount", "baseAmount"],
                      "orderBy": [{"key": "asc"}], "start": 1, "size": 4000}
        if last is not None:
            body["filters"] = [{"$gt": {"key": last}}]
        r = s.post(f"{sb.base_url}/services/core/query", data=orjson.dumps(body),
                   headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}, timeout=60)
        r.raise_for_status()
        rows = orjson.loads(r.content)["ia::result"]
        for row in rows:
            out[str(row["key"])] = (row["audit.modifiedDateTime"], Decimal(str(row["txnAmount"] or 0)),
                                    Decimal(str(row["baseAmount"] or 0)))
        if len(rows) < 4000:
            return out
        last = rows[-1]["key"]


def destination_rows(db) -> list[tuple]:
    try:
        return duckdb_query(db, f'select key, audit_modified_date_time, txn_amount, base_amount from "{DATASET}"."{TABLE}"')
    except Exception as e:  # noqa: BLE001 - table not created yet (killed before the first load)
        if "does not exist" in str(e) or "Catalog Error" in str(e) or "No such file" in str(e):
            return []
        raise


def stored_cursor(db) -> dict | None:
    """The journal_entry_lines cursor in the newest dlt state committed to the destination."""
    from dlt.common.versioned_state import decompress_state

    try:
        rows = duckdb_query(db, f'select state from "{DATASET}"."_dlt_pipeline_state" where pipeline_name = ? '
                                'order by version desc limit 1', [PIPELINE])
    except Exception:  # noqa: BLE001 - no state table yet
        return None
    if not rows:
        return None
    state = decompress_state(rows[0][0])
    return state.get("sources", {}).get("intacct", {}).get("resources", {}).get(TABLE, {}).get("cursor")


def _ts(v) -> str:
    return v.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(v, "strftime") else str(v)


def assert_cursor_not_past_unloaded(db, truth: dict[str, tuple[str, Decimal, Decimal]]) -> dict | None:
    """Every source record at or below the committed cursor position is in the destination."""
    cur = stored_cursor(db)
    if cur is None:
        return None
    loaded = {str(r[0]) for r in destination_rows(db)}
    pos = (cur["modified"], int(cur["key"]))
    behind = [k for k, (m, _, _) in truth.items() if (m, int(k)) <= pos and k not in loaded]
    assert not behind, f"stored cursor {cur} is past {len(behind)} unloaded records, e.g. {behind[:5]}"
    return cur


def test_sigkill_mid_load_then_rerun(tmp_path):
    db = tmp_path / "crash.duckdb"
    with SandboxProcess(lines=LINES) as sb:
        env = {
            **os.environ, **sandbox_env(sb),
            "INTACCT_DUCKDB_PATH": str(db), "INTACCT_DESTINATION": "duckdb", "INTACCT_DATASET": DATASET,
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        }
        (tmp_path / "dagster_home").mkdir()
        # slow each query page a little so "mid-load" is a wide window, not a race
        sb.inject_fault("slow", times=10_000, path_contains="journal-entry-line", delay_s=0.2)
        sb.reset_request_count()
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        pages_before_kill = 12  # 12 x 4000 = 48k of 200k rows extracted
        try:
            wait_until(lambda: sb.request_count(QUERY_OF_LINES) >= pages_before_kill, timeout=120, interval=0.05,
                       what="the load to fetch some pages")
        except Exception:
            kill_tree(proc)
            raise AssertionError("load never got going:\n" + out.text) from None
        assert proc.poll() is None, "materialization finished before it could be killed:\n" + out.text
        kill_tree(proc, signal.SIGKILL)
        killed_at = sb.request_count(QUERY_OF_LINES)
        assert proc.returncode == -signal.SIGKILL or proc.returncode != 0

        # the killed run left no cursor past data it did not load
        truth = source_truth(sb)
        assert len(truth) > 0.9 * LINES  # records of private entities are hidden, as for any top-level token
        cursor_after_kill = assert_cursor_not_past_unloaded(db, truth)
        partial = len(destination_rows(db))

        # life goes on while the loader is down: edits and new entries at the source
        sb.modify(OBJECT, 150)
        sb.clear_faults()

        proc2, out2 = cli_materialize(env, select=f"intacct/{TABLE}")
        rc = proc2.wait(timeout=240)
        out2.join()
        assert rc == 0, "rerun failed:\n" + out2.text[-6000:]

        truth = source_truth(sb)
        rows = destination_rows(db)
        keys = [str(r[0]) for r in rows]
        assert len(keys) == len(set(keys)), f"{len(keys) - len(set(keys))} duplicate keys in the destination"
        assert len(rows) == len(truth), f"destination has {len(rows)} rows, source {len(truth)}"
        assert set(keys) == set(truth), "key sets differ"
        dest_txn = sum((Decimal(str(r[2])) for r in rows), Decimal(0))
        dest_base = sum((Decimal(str(r[3])) for r in rows), Decimal(0))
        assert dest_txn == sum((t[1] for t in truth.values()), Decimal(0))
        assert dest_base == sum((t[2] for t in truth.values()), Decimal(0))
        by_key = {str(r[0]): r for r in rows}
        stale = [k for k, (m, txn, _) in truth.items() if _ts(by_key[k][1]) != m or Decimal(str(by_key[k][2])) != txn]
        assert not stale, f"{len(stale)} rows differ from the source (e.g. {stale[:5]})"
        final_cursor = assert_cursor_not_past_unloaded(db, truth)
        assert final_cursor is not None
        newest = max((m, int(k)) for k, (m, _, _) in truth.items())
        assert (final_cursor["modified"], int(final_cursor["key"])) == newest

        print(f"crash drill: killed after {killed_at} query pages; {partial} rows committed before the kill "
              f"(cursor {cursor_after_kill}); rerun loaded {len(rows)} rows; cursor {final_cursor}")
