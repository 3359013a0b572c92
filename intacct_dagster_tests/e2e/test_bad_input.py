"""Bad input: every mistake fails with an error naming the setting / env var; the rerun with the input fixed
repairs everything; and no secret value ever reaches a log, event, metadata or file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dagster import instance_for_test

from intacct_dagster_tests.compare import compare_with_source
from intacct_dagster_tests.e2e._dagster import event_log_text, failure_text, materialize, sandbox_env
from intacct_dagster_tests.e2e._harness import duckdb_table, free_port, scan_for_secrets

pytestmark = pytest.mark.timeout(240)

TABLES = ["journal_entry_lines", "vendors", "gl_accounts"]
INSTANCE_OVERRIDES = {
    # every library logger at DEBUG into the event log: the secret scan reads the most verbose logs possible
    "python_logs": {"managed_python_loggers": ["intacct_dagster", "dlt", "urllib3", "requests"], "python_log_level": "DEBUG"},
    "telemetry": {"enabled": False},
}
WRONG_SECRET = "wrong-secret-7f3a9c1e5b"


class Runs:
    """Runs the assets in-process against one instance and one destination, collecting everything a
    secret could leak into."""

    def __init__(self, instance, capfd):
        self.instance = instance
        self.capfd = capfd
        self.texts: dict[str, str] = {}

    def run(self, label: str, **cfg):
        result = materialize(TABLES, instance=self.instance, **cfg)
        out, err = self.capfd.readouterr()
        log = event_log_text(self.instance, result.run_id)
        fail = failure_text(result)
        self.texts[f"{label}: event log"] = log
        self.texts[f"{label}: stdout"] = out
        self.texts[f"{label}: stderr"] = err
        self.texts[f"{label}: failure"] = fail
        return result, fail + "\n" + log


def _assert_equal(sb, db: Path, label: str) -> None:
    from intacct_dagster.intacct.catalog import resolve_objects

    problems = []
    for obj in resolve_objects(TABLES):
        problems += compare_with_source(sb, obj.path, duckdb_table(db, "intacct", obj.name), f"{label}/{obj.name}")
    assert not problems, "\n".join(problems)


SEEN: list[str] = []
UNCLEAR: list[str] = []


def _expect_failure(result, text: str, pattern: str, label: str) -> None:
    """The run must fail (hard assert). Whether the error names the setting is collected and asserted at the
    end, so one unclear message does not hide the repair and secret-scan checks that follow."""
    assert not result.success, f"{label}: the run should have failed"
    m = re.search(pattern, text)
    if not m:
        causes = [ln for ln in text.splitlines() if re.match(r"\s*[\w.]+(Error|Exception|Failed|Failure)\b.*:", ln)
                  and "DagsterExecutionStepExecutionError" not in ln]
        first = causes[-1] if causes else text[:300]  # the root cause, as the operator would read it
        UNCLEAR.append(f"{label}: error does not name the setting (/{pattern}/); it says: {first.strip()[:400]}")
        return
    line = text[text.rfind("\n", 0, m.start()) + 1: (text.find("\n", m.end()) + 1 or len(text) + 1) - 1]
    SEEN.append(f"{label}: {line.strip()[:300]}")


def test_bad_input_then_repair_and_no_secret_leaks(sandbox_factory, postgres_dsn, clean_env, capfd, tmp_path):
    SEEN.clear()
    UNCLEAR.clear()
    sb = sandbox_factory(lines=1500)
    issued = _record_issued_tokens(sb)
    good = sandbox_env(sb)
    db = tmp_path / "bad_input.duckdb"
    pipelines_dir = tmp_path / "dlt_pipelines"
    token_store = tmp_path / "tokens" / "intacct-token.json"
    token_store.parent.mkdir()

    def env(**over: str | None) -> None:
        for k, v in {**good, "INTACCT_DUCKDB_PATH": str(db), "INTACCT_DLT_PIPELINES_DIR": str(pipelines_dir),
                     **over}.items():
            if v is None:
                clean_env.delenv(k, raising=False)
            else:
                clean_env.setenv(k, v)

    with instance_for_test(overrides=INSTANCE_OVERRIDES) as instance:
        runs = Runs(instance, capfd)

        # 1. no credentials at all
        env(INTACCT_CLIENT_ID=None, INTACCT_CLIENT_SECRET=None, INTACCT_USERNAME=None)
        r, text = runs.run("no credentials")
        _expect_failure(r, text, r"INTACCT_CLIENT_SECRET", "no credentials")

        # 2. only the secret missing
        env(INTACCT_CLIENT_SECRET=None)
        r, text = runs.run("missing secret")
        _expect_failure(r, text, r"INTACCT_CLIENT_SECRET", "missing secret")

        # 3. wrong secret: the token endpoint rejects it
        env(INTACCT_CLIENT_SECRET=WRONG_SECRET)
        r, text = runs.run("wrong secret")
        _expect_failure(r, text, r"INTACCT_CLIENT_SECRET|client_secret|client secret", "wrong secret")

        # 4. bad base URLs: nothing listening / not a URL
        env(INTACCT_BASE_URL=f"http://127.0.0.1:{free_port()}/ia/api/v1")
        r, text = runs.run("unreachable base url")
        _expect_failure(r, text, r"INTACCT_BASE_URL|base_url", "unreachable base url")
        env(INTACCT_BASE_URL="not a url")
        r, text = runs.run("malformed base url")
        _expect_failure(r, text, r"INTACCT_BASE_URL|base_url", "malformed base url")

        # 5. unknown object name in run config
        env()
        r, text = runs.run("unknown object", objects=["no_such_table"])
        _expect_failure(r, text, r"no_such_table", "unknown object")

        # 6. bad start date in run config
        r, text = runs.run("bad start date", start_date="last tuesday")
        _expect_failure(r, text, r"start_date", "bad start date")

        # 7. unreachable destination (a warehouse that is down)
        env(INTACCT_DESTINATION="postgres",
            DESTINATION__POSTGRES__CREDENTIALS=f"postgresql://loader:pg-dest-secret-91@127.0.0.1:{free_port()}/nowhere")
        r, text = runs.run("unreachable destination")
        # the operator must learn *which setting* points at the dead warehouse, not only "connection refused"
        _expect_failure(r, text, r"DESTINATION__POSTGRES__CREDENTIALS|INTACCT_DESTINATION|destination\.postgres\.credentials",
                        "unreachable destination")

        # repair: the same DuckDB destination, good input -> complete and equal
        env(INTACCT_DESTINATION=None, DESTINATION__POSTGRES__CREDENTIALS=None)
        r, text = runs.run("repaired")
        assert r.success, f"repair run failed:\n{text[-5000:]}"
        _assert_equal(sb, db, "repaired")

        # and the once-unreachable destination works when it is reachable
        env(INTACCT_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=postgres_dsn,
            INTACCT_DATASET="intacct_bad_input")
        r, text = runs.run("postgres repaired")
        assert r.success, f"postgres repair run failed:\n{text[-5000:]}"

        # a refresh-token run, so refresh tokens exist to leak
        refresh = sb.issue_refresh_token()
        env(INTACCT_DESTINATION=None, DESTINATION__POSTGRES__CREDENTIALS=None, INTACCT_DATASET=None,
            INTACCT_USERNAME=None, INTACCT_REFRESH_TOKEN=refresh, INTACCT_TOKEN_STORE=str(token_store))
        sb.modify("general-ledger/journal-entry-line", 10)
        r, text = runs.run("refresh token")
        assert r.success, f"refresh-token run failed:\n{text[-5000:]}"
        _assert_equal(sb, db, "refresh token")

        secrets = {"client secret": sb.client_secret, "wrong client secret": WRONG_SECRET,
                   "initial refresh token": refresh, "postgres password": postgres_dsn.split(":")[2].split("@")[0],
                   "unreachable-destination password": "pg-dest-secret-91"}
        for i, tok in enumerate(dict.fromkeys(issued + _token_store_values(token_store))):
            secrets[f"issued token #{i}"] = tok
        assert len(issued) >= 4, f"expected the runs to have minted tokens (saw {len(issued)})"
        hits = scan_for_secrets(
            secrets, texts=runs.texts,
            roots=[Path(instance.root_directory), pipelines_dir, db],
            exclude=lambda p: p.resolve() == token_store.resolve() or p.name.startswith(token_store.name),
        )
        assert not hits, "secret values leaked:\n" + "\n".join(hits)
        print("\nerrors shown to the operator:\n  " + "\n  ".join(SEEN + UNCLEAR))
        print(f"scanned {len(runs.texts)} log texts + files under DAGSTER_HOME, the dlt pipelines dir and the "
              f"DuckDB file for {len(secrets)} secret values and any JWT: clean")
    assert not UNCLEAR, "errors that do not name the offending setting:\n" + "\n".join(UNCLEAR)


def _record_issued_tokens(sb) -> list[str]:
    """Every access and refresh token the sandbox hands out from now on (wraps its token endpoint handler)."""
    issued: list[str] = []
    original = sb.tokens.token_request

    def recording(*args, **kwargs):
        resp = original(*args, **kwargs)
        issued.extend(v for k, v in resp.items() if k in ("access_token", "refresh_token") and v)
        return resp

    sb.tokens.token_request = recording
    return issued


def _token_store_values(token_store: Path) -> list[str]:
    if not token_store.exists():
        return []
    import json

    try:
        return [v for v in _walk_strings(json.loads(token_store.read_text())) if len(v) > 20]
    except ValueError:
        return []


def _walk_strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_strings(v)
