"""Crash drill: SIGKILL a large Dagster materialization mid-load, rerun, and prove nothing is lost or doubled.

The sandbox runs as its own OS process (200k journal-entry lines); the load is the real CLI,
`dagster asset materialize -m intacct_dagster.definitions --select intacct/journal_entry_lines`.
"""

from __future__ import annotations

import glob
import os
import signal
import time
from decimal import Decimal
from pathlib import Path

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


def source_truth(sb: SandboxProcess) -> dict[str, tuple[str | None, Decimal, Decimal]]:
    """key -> (modified or None, txnAmount, baseAmount), read straight from the API (our own keyset scan,
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
    """The journal_entry_lines cursor ({"modified": "...Z"}) in the newest dlt state of a *completed* load
    (what dlt itself restores: state rows whose load id has status 0 in `_dlt_loads`)."""
    from dlt.common.versioned_state import decompress_state

    try:
        rows = duckdb_query(
            db, f'select s.state from "{DATASET}"."_dlt_pipeline_state" s join "{DATASET}"."_dlt_loads" l '
                'on s._dlt_load_id = l.load_id where s.pipeline_name = ? and l.status = 0 '
                'order by s.version desc limit 1', [PIPELINE])
    except Exception as e:  # noqa: BLE001 - no state table yet
        if "does not exist" in str(e) or "Catalog Error" in str(e):
            return None
        raise
    if not rows:
        return None
    state = decompress_state(rows[0][0])
    return state.get("sources", {}).get("intacct", {}).get("resources", {}).get(TABLE, {}).get("cursor")


def load_jobs_done(tmpdir: Path) -> int:
    """Finished load jobs of the package the (killable) run is loading right now: dlt moves each job file to
    `completed_jobs/` as it lands in the destination. The run's dlt working dir is a private temp dir."""
    return len(glob.glob(str(tmpdir / "intacct-dlt-*" / "*" / "load" / "normalized" / "*" / "completed_jobs" / "*")))


def _ts(v) -> str | None:
    return v.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(v, "strftime") else v


def assert_cursor_not_past_unloaded(db, truth: dict[str, tuple[str | None, Decimal, Decimal]]) -> dict | None:
    """Every source record modified before the committed cursor is in the destination at its current version
    (the next run reads from the cursor's second on, inclusive, so a record at the cursor itself is re-read)."""
    cur = stored_cursor(db)
    if cur is None:
        return None
    loaded = {str(r[0]): _ts(r[1]) for r in destination_rows(db)}
    behind = [k for k, (m, _, _) in truth.items() if m is not None and m < cur["modified"] and loaded.get(k) != m]
    assert not behind, (f"stored cursor {cur} is past {len(behind)} records whose current version is not in the "
                        f"destination, e.g. {behind[:5]}")
    return cur


def check_after_kill(db, truth, label: str) -> str:
    rows = destination_rows(db)
    keys = [str(r[0]) for r in rows]
    assert len(keys) == len(set(keys)), f"{label}: duplicate keys after the kill"
    assert set(keys) <= set(truth), f"{label}: keys that do not exist at the source"
    cur = assert_cursor_not_past_unloaded(db, truth)
    return f"{label}: {len(rows)} rows in the destination, committed cursor {cur}"


def kill_when(sb, proc, out, pred, what: str) -> None:
    try:
        wait_until(lambda: proc.poll() is not None or pred(), timeout=180, interval=0.02, what=what)
    except Exception:
        kill_tree(proc)
        raise AssertionError(f"never reached {what}:\n" + out.text[-5000:]) from None
    assert proc.poll() is None, f"the materialization finished before {what}:\n" + out.text[-5000:]
    kill_tree(proc, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL, proc.returncode


def test_sigkill_mid_load_then_rerun(tmp_path):
    db = tmp_path / "crash.duckdb"
    run_tmp = tmp_path / "tmp"
    run_tmp.mkdir()
    (tmp_path / "dagster_home").mkdir()
    notes: list[str] = []
    t0 = time.monotonic()

    def note(text: str) -> None:
        notes.append(f"[{time.monotonic() - t0:5.1f}s] {text}")

    with SandboxProcess(lines=LINES) as sb:
        env = {
            **os.environ, **sandbox_env(sb), "TMPDIR": str(run_tmp),
            "INTACCT_DUCKDB_PATH": str(db), "INTACCT_DESTINATION": "duckdb", "INTACCT_DATASET": DATASET,
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        }
        for k in ("INTACCT_DLT_PIPELINES_DIR", "INTACCT_ACCESS_TOKEN", "INTACCT_REFRESH_TOKEN"):
            env.pop(k, None)
        note(f"sandbox up: {LINES} lines")
        truth = source_truth(sb)
        note("source truth read")
        assert len(truth) > 0.9 * LINES  # records of private entities are hidden, as for any top-level token
        pages = len(truth) // 4000 + 1

        # 1. SIGKILL while extracting: 12 of ~48 pages fetched
        sb.reset_request_count()
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        kill_when(sb, proc, out, lambda: sb.request_count(QUERY_OF_LINES) >= 12, "12 pages fetched")
        note(check_after_kill(db, truth, f"killed during extract ({sb.request_count(QUERY_OF_LINES)}/{pages} pages)"))

        # 2. SIGKILL while loading into the destination: some load jobs done, others not
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        kill_when(sb, proc, out, lambda: load_jobs_done(run_tmp) >= 1, "the load phase")
        note(check_after_kill(db, truth, f"killed during load ({load_jobs_done(run_tmp)} load jobs done)"))

        # life goes on while the loader is down: edits at the source
        sb.modify(OBJECT, 150)

        # 3. rerun to completion
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        rc = proc.wait(timeout=240)
        out.join()
        assert rc == 0, "rerun failed:\n" + out.text[-6000:]
        note(check_after_kill(db, source_truth(sb), "rerun completed"))

        # 4. a big incremental (20k edited lines) SIGKILLed mid-extract: now a committed cursor exists, and
        #    it must not claim any record whose current version is not loaded
        sb.modify(OBJECT, 20_000)
        note("20k lines modified")
        truth = source_truth(sb)
        note("source truth read")
        sb.reset_request_count()
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        kill_when(sb, proc, out, lambda: sb.request_count(QUERY_OF_LINES) >= 3, "3 incremental pages fetched")
        note(check_after_kill(db, truth, "incremental killed during extract"))
        assert stored_cursor(db) is not None

        # 5. and the rerun picks everything up
        proc, out = cli_materialize(env, select=f"intacct/{TABLE}")
        rc = proc.wait(timeout=240)
        out.join()
        assert rc == 0, "rerun failed:\n" + out.text[-6000:]

        truth = source_truth(sb)
        rows = destination_rows(db)
        keys = [str(r[0]) for r in rows]
        assert len(keys) == len(set(keys)), f"{len(keys) - len(set(keys))} duplicate keys in the destination"
        assert len(rows) == len(truth), f"destination has {len(rows)} rows, source {len(truth)}"
        assert set(keys) == set(truth), "key sets differ"
        assert sum((Decimal(str(r[2])) for r in rows), Decimal(0)) == sum((t[1] for t in truth.values()), Decimal(0))
        assert sum((Decimal(str(r[3])) for r in rows), Decimal(0)) == sum((t[2] for t in truth.values()), Decimal(0))
        by_key = {str(r[0]): r for r in rows}
        stale = [k for k, (m, txn, _) in truth.items()
                 if _ts(by_key[k][1]) != m or Decimal(str(by_key[k][2] or 0)) != txn]
        assert not stale, f"{len(stale)} rows differ from the source (e.g. {stale[:5]})"
        assert any(m is None for m, _, _ in truth.values())  # migrated records without a timestamp are loaded
        final_cursor = assert_cursor_not_past_unloaded(db, truth)
        assert final_cursor is not None
        # the cursor is the newest modification seen, capped at the server's clock (records stamped in the
        # future must not hide later edits): between the newest ordinary edit and the server's clock now
        now = sb.admin("now")[:19] + "Z"
        newest_past = max(m for m, _, _ in truth.values() if m is not None and m <= now)
        assert newest_past <= final_cursor["modified"] <= now, (final_cursor, newest_past, now)
        assert any(m is not None and m > now for m, _, _ in truth.values())  # the future-stamped ones exist
        note(f"rerun: {len(rows)} rows == source, sums equal, cursor {final_cursor}")
        leftovers = glob.glob(str(run_tmp / "intacct-dlt-*"))
        note(f"{len(leftovers)} scratch dlt dirs left behind by the SIGKILLed runs (harmless; never reused)")
    print("\ncrash drill:\n  " + "\n  ".join(notes))
