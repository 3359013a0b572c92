"""Auth and HTTP behaviour against the sandbox: token expiry and rotation, every fault kind, error mapping,
and no secret in logs, exceptions, dlt state or files."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from intacct_dagster.intacct import (
    ClientCredentialsAuth,
    IntacctAuthError,
    IntacctClient,
    IntacctError,
    IntacctSettings,
    RefreshTokenAuth,
    StaticTokenAuth,
    intacct_source,
)

from ._helpers import assert_equal, make_pipeline, settings_for

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]


def cc_auth(sb, **kw) -> ClientCredentialsAuth:
    return ClientCredentialsAuth(sb.token_url if hasattr(sb, "token_url") else sb.base_url + "/oauth2/token",
                                 sb.client_id, sb.client_secret, sb.username, **kw)


def fast_client(sb, auth=None, **kw) -> IntacctClient:
    kw.setdefault("backoff_base_s", 0.05)
    return IntacctClient(sb.base_url, auth or cc_auth(sb), **kw)


# ------------------------------------------------------------------------------------------- faults
FAULTS = [
    ("throttle", {"retry_after": 1}, "throttled"),
    ("server_error", {"status": 500}, "server error HTTP 500"),
    ("server_error", {"status": 502}, "server error HTTP 502"),
    ("server_error", {"status": 503}, "server error HTTP 503"),
    ("reset", {}, "connection"),
    ("slow", {"delay_s": 0.5}, None),
    ("truncated", {}, "truncated"),
    ("token_invalid", {}, "re-minting"),
    ("token_invalid_400", {}, "re-minting"),
    ("gw_invalid_token", {}, "re-minting"),
]


@pytest.mark.parametrize("kind,params,logged", FAULTS, ids=[f"{k}{p.get('status', '')}" for k, p, _ in FAULTS])
def test_each_fault_ends_with_destination_equal_to_source(kind, params, logged, sandbox, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="intacct_dagster.intacct")
    names = ["journal_entry_lines", "vendors"]
    sb = sandbox
    # token faults once (a fresh token rejected again is a real auth failure); others twice in a row
    times = 1 if "token" in kind else 2
    sb.inject_fault(kind, times=times, path_contains="core/query", after=1, **params)
    client = fast_client(sb)
    pipeline = make_pipeline(tmp_path)
    pipeline.run(intacct_source(objects=names, client=client, page_size=200), loader_file_format="parquet")
    sb.clear_faults()
    assert_equal(sb, tmp_path / "load.duckdb", names)
    if logged:
        assert logged in caplog.text.lower() or logged in caplog.text, caplog.text[-3000:]
    if kind == "throttle":
        waits = [r for r in caplog.records if "waiting" in r.getMessage()]
        assert waits and all(r.levelno == logging.INFO for r in waits)
        m = re.search(r"waiting ([0-9.]+)s \(attempt 1/", waits[0].getMessage())
        assert m and 1.0 <= float(m.group(1)) <= 1.2  # Retry-After: 1, plus at most 10% jitter


def test_retries_are_bounded_with_a_clear_error(sandbox):
    sandbox.inject_fault("server_error", times=50, path_contains="core/query", status=503)
    client = fast_client(sandbox, max_attempts=3)
    with pytest.raises(IntacctError, match="giving up after 3 attempts") as ei:
        client.query({"object": "accounts-payable/vendor", "fields": ["key"]})
    sandbox.clear_faults()
    assert ei.value.status == 503
    assert client.request_count == 3


# ------------------------------------------------------------------------------------------- errors
def test_4xx_error_carries_codes_and_no_secret(sandbox):
    auth = cc_auth(sandbox)
    client = fast_client(sandbox, auth)
    with pytest.raises(IntacctError) as ei:
        client.query({"object": "accounts-payable/vendor", "fields": ["key", "noSuchField"]})
    e = ei.value
    assert e.status == 400 and e.code and e.error_id and e.support_id
    assert e.error_id in str(e) and e.support_id in str(e)
    token = auth.token()
    for text in (str(e), repr(e), repr(client), repr(auth)):
        assert sandbox.client_secret not in text and token not in text
    assert client.request_count == 1  # not retried


def test_bad_credentials_raise_auth_error_without_secret(sandbox):
    auth = ClientCredentialsAuth(sandbox.base_url + "/oauth2/token", sandbox.client_id, "wrong-secret-value",
                                 sandbox.username)
    with pytest.raises(IntacctAuthError) as ei:
        auth.token()
    assert ei.value.status == 401 and ei.value.code
    assert "wrong-secret-value" not in str(ei.value) and "wrong-secret-value" not in repr(auth)


def test_fresh_token_rejected_again_is_an_auth_error(sandbox):
    sandbox.inject_fault("token_invalid", times=2, path_contains="core/query")
    client = fast_client(sandbox)
    with pytest.raises(IntacctAuthError) as ei:
        client.query({"object": "accounts-payable/vendor", "fields": ["key"]})
    sandbox.clear_faults()
    assert ei.value.error_id == "REST-2102" and client.request_count == 2


def test_static_token_rejection_is_final(sandbox):
    token = cc_auth(sandbox).token()
    client = fast_client(sandbox, StaticTokenAuth(token))
    assert client.model("accounts-payable/vendor")["fields"]
    sandbox.expire_tokens()
    with pytest.raises(IntacctAuthError):
        client.model("accounts-payable/vendor")


# ------------------------------------------------------------------------------------------- tokens
def test_token_expiry_mid_run_remints_and_loses_nothing(sandbox, tmp_path):
    sb = sandbox
    auth = cc_auth(sb)

    class ExpireOnPage2(logging.Handler):
        fired = False

        def emit(self, record):
            if not self.fired and "journal_entry_lines page 2:" in record.getMessage():
                self.fired = True
                sb.expire_tokens()

    handler = ExpireOnPage2()
    log = logging.getLogger("intacct_dagster.intacct")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)
    try:
        pipeline = make_pipeline(tmp_path)
        pipeline.run(intacct_source(objects=["journal_entry_lines"], auth=auth, settings=settings_for(sb),
                                    page_size=100))
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    assert handler.fired and auth.mint_count == 2
    assert_equal(sb, tmp_path / "load.duckdb", ["journal_entry_lines"])


def test_token_refreshed_ahead_of_expiry(sandbox_factory):
    sb = sandbox_factory(lines=100, token_lifetime_s=3)
    auth = cc_auth(sb)
    first = auth.token()
    assert auth.token() == first
    time.sleep(2.8)  # inside the 10% margin: refreshed before the server would reject it
    second = auth.token()
    assert second != first and auth.mint_count == 2
    assert fast_client(sb, auth).model("accounts-payable/vendor")


def test_expires_in_as_string_is_accepted():
    from intacct_dagster.intacct.auth import parse_expires_in, refresh_margin

    assert parse_expires_in("43200") == 43200 and parse_expires_in(60) == 60
    assert parse_expires_in(None) == 43200 and parse_expires_in("junk") == 43200
    assert refresh_margin(43200) == 300 and refresh_margin(60) == 6


def _refresh_auth(sb, seed: str, store: Path) -> RefreshTokenAuth:
    return RefreshTokenAuth(sb.base_url + "/oauth2/token", sb.client_id, sb.client_secret, seed, str(store))


def test_refresh_token_rotation_with_shared_store(sandbox, tmp_path):
    sb = sandbox
    seed = sb.issue_refresh_token()
    store = tmp_path / "state" / "tokens.json"
    a = _refresh_auth(sb, seed, store)
    t1 = a.token()
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    r1 = json.loads(store.read_text())["refresh_token"]
    assert r1 != seed  # the sandbox rotates; the new one was persisted

    b = _refresh_auth(sb, seed, store)  # e.g. another process: reuses the stored access token
    assert b.token() == t1 and b.mint_count == 0

    sb.expire_tokens()
    a.invalidate(t1)
    t2 = a.token()
    assert t2 != t1 and json.loads(store.read_text())["refresh_token"] != r1
    b.invalidate(t1)  # b saw the 401 too: it picks up a's new token instead of burning a refresh token
    assert b.token() == t2 and b.mint_count == 0

    # many threads, each with its own provider, all hit a 401 at once: exactly one refresh happens
    sb.expire_tokens()
    providers = [_refresh_auth(sb, seed, store) for _ in range(6)]
    for p in providers:
        assert p.token() == t2
    results: list[str] = []
    errors: list[BaseException] = []

    def worker(p):
        try:
            p.invalidate(t2)
            results.append(p.token())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in providers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(set(results)) == 1 and sum(p.mint_count for p in providers) == 1
    assert fast_client(sb, providers[0]).model("accounts-payable/vendor")
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600


def test_refresh_token_shared_by_two_processes(sandbox, tmp_path):
    sb = sandbox
    seed = sb.issue_refresh_token()
    store = tmp_path / "tokens.json"
    script = textwrap.dedent("""
        import sys
        from intacct_dagster.intacct import IntacctClient, RefreshTokenAuth
        base, cid, secret, seed, store = sys.argv[1:6]
        auth = RefreshTokenAuth(base + "/oauth2/token", cid, secret, seed, store)
        client = IntacctClient(base, auth)
        for _ in range(8):
            token = auth.token()
            client.model("accounts-payable/vendor")
            auth.invalidate(token)  # force the next call through the refresh path
        print("ok", auth.mint_count)
    """)
    args = [sys.executable, "-c", script, sb.base_url, sb.client_id, sb.client_secret, seed, str(store)]
    procs = [subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=90) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert out.startswith("ok")
        assert seed not in out + err and sb.client_secret not in out + err
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600


# ------------------------------------------------------------------------------------------- secrets
def test_no_secret_in_logs_state_or_files(sandbox, tmp_path, caplog, monkeypatch):
    sb = sandbox
    caplog.set_level(logging.DEBUG)
    seed = sb.issue_refresh_token()
    store = tmp_path / "secret-store" / "tokens.json"
    for k in list(os.environ):
        if k.startswith("INTACCT_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("INTACCT_BASE_URL", sb.base_url)
    monkeypatch.setenv("INTACCT_CLIENT_ID", sb.client_id)
    monkeypatch.setenv("INTACCT_CLIENT_SECRET", sb.client_secret)
    monkeypatch.setenv("INTACCT_REFRESH_TOKEN", seed)
    monkeypatch.setenv("INTACCT_TOKEN_STORE", str(store))
    settings = IntacctSettings.from_env()
    assert settings.auth_mode == "refresh_token"
    pipeline = make_pipeline(tmp_path)
    source = intacct_source(objects=["vendors", "journal_entry_lines"], page_size=500)  # settings from env
    sb.inject_fault("token_invalid", times=1, path_contains="core/query", after=1)
    info = pipeline.run(source, loader_file_format="parquet")
    sb.clear_faults()
    assert_equal(sb, tmp_path / "load.duckdb", ["vendors", "journal_entry_lines"])

    stored = json.loads(store.read_text())
    secrets = {"client_secret": sb.client_secret, "seed refresh token": seed,
               "rotated refresh token": stored["refresh_token"], "access token": stored["access_token"]}
    texts = {"caplog": caplog.text, "load info": str(info), "trace": str(pipeline.last_trace),
             "state": json.dumps(pipeline.state, default=str), "source repr": repr(source)}
    hits = [f"{n} in {w}" for w, t in texts.items() for n, v in secrets.items() if v in t]
    for path in tmp_path.rglob("*"):
        if path.is_file() and "secret-store" not in path.parts:
            data = path.read_bytes()
            hits += [f"{n} in {path}" for n, v in secrets.items() if v.encode() in data]
    assert not hits, hits
