"""Harness pieces shared by the end-to-end drills.

Nothing here knows about Dagster or dlt internals: it starts and kills processes, reads destination
tables back, compares them with the sandbox's own view of the data and scans text for leaked secrets.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psutil
import requests

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable

# --------------------------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred: Callable[[], Any], timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            val = pred()
            if val:
                return val
        except Exception as e:  # noqa: BLE001 - poll until the deadline
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))


class OutputPump:
    """Reads a child's merged stdout/stderr on a thread (so the pipe never fills) and keeps all of it."""

    def __init__(self, proc: subprocess.Popen, echo: bool = False):
        self.proc = proc
        self.lines: list[str] = []
        self._echo = echo
        self._cv = threading.Condition()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, ""):
            with self._cv:
                self.lines.append(raw.rstrip("\n"))
                self._cv.notify_all()
            if self._echo:
                sys.stderr.write(raw)
        with self._cv:
            self._cv.notify_all()

    @property
    def text(self) -> str:
        with self._cv:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cv:
            while True:
                for line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                if self.proc.poll() is not None and not self._t.is_alive():
                    raise RuntimeError(f"process exited ({self.proc.returncode}) before printing /{pattern}/:\n" + "\n".join(self.lines[-60:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no /{pattern}/ after {timeout:.0f}s; output so far:\n" + "\n".join(self.lines[-60:]))
                self._cv.wait(min(left, 0.5))

    def join(self, timeout: float = 10) -> None:
        self._t.join(timeout)


def spawn(args: list[str], env: dict[str, str] | None = None, cwd: str | Path | None = None, echo: bool = False) -> tuple[subprocess.Popen, OutputPump]:
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        env=env, cwd=str(cwd or REPO), start_new_session=True, bufsize=1,
    )
    return proc, OutputPump(proc, echo=echo)


def kill_tree(proc: subprocess.Popen | None, sig: int = signal.SIGKILL, timeout: float = 15) -> None:
    """Signal the child and every descendant (they run in their own session/process group)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        parent = psutil.Process(proc.pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        procs = []
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for p in procs:
        try:
            p.send_signal(sig)
        except psutil.NoSuchProcess:
            pass
    # reap the direct child through Popen (psutil would reap it first and Popen would then report rc 0)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    psutil.wait_procs([p for p in procs if p.pid != proc.pid], timeout=timeout)


def stop_tree(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL whatever is left after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    kill_tree(proc, signal.SIGKILL)


class SandboxProcess:
    """`python -m intacct_dagster.sandbox --port 0 --lines N` as a separate OS process (crash drill,
    benchmarks, web UI). Parses the base URL and admin token the CLI prints."""

    URL_RX = r"(https?://127\.0\.0\.1:\d+/ia/api/v1)"

    def __init__(self, lines: int = 2000, seed: int | None = None, extra_args: Iterable[str] = ()):
        self.args = [PY, "-m", "intacct_dagster.sandbox", "--port", "0", "--lines", str(lines)]
        if seed is not None:
            self.args += ["--seed", str(seed)]
        self.args += list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.out: OutputPump | None = None
        self.base_url = ""
        self.admin_token = ""
        self.client_id = "sandbox-client-id"
        self.client_secret = "sandbox-client-secret"
        self.username = "ws_user@SANDBOX"

    def start(self, timeout: float = 180) -> str:
        self.proc, self.out = spawn(self.args)
        self.base_url = self.out.wait_for(self.URL_RX, timeout).group(1)
        # the CLI prints credentials and the admin token after (or before) the URL; give it a moment
        try:
            m = self.out.wait_for(r"(?i)admin[ _-]?token\W+([A-Za-z0-9._~+/=-]{8,})", 10)
            self.admin_token = m.group(1)
        except TimeoutError:
            self.admin_token = ""
        for rx, attr in ((r"(?i)client[ _-]?id\W+(\S+)", "client_id"), (r"(?i)client[ _-]?secret\W+(\S+)", "client_secret"),
                         (r"(?i)username\W+(\S+@\S+)", "username")):
            for line in self.out.lines:
                m = re.search(rx, line)
                if m:
                    setattr(self, attr, m.group(1).strip("'\","))
                    break
        return self.base_url

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    @property
    def root_url(self) -> str:
        return self.base_url.split("/ia/api/v1")[0]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def admin(self, action: str, **args: Any) -> Any:
        """Call an admin action (`/__sandbox__/<action>`, header X-Sandbox-Admin); returns its `result`."""
        r = requests.post(f"{self.base_url}/__sandbox__/{action}", json=args,
                          headers={"X-Sandbox-Admin": self.admin_token}, timeout=120)
        if r.status_code != 200:
            raise RuntimeError(f"sandbox admin {action} -> HTTP {r.status_code}: {r.text[:300]}")
        return r.json().get("result")

    # the same control surface as the in-process `Sandbox`
    def request_count(self, path_contains: str | None = None) -> int:
        return int(self.admin("request_count", **({"path_contains": path_contains} if path_contains else {})))

    def reset_request_count(self) -> None:
        self.admin("reset_request_count")

    def inject_fault(self, kind: str, times: int = 1, path_contains: str | None = None, after: int = 0, **params: Any) -> None:
        self.admin("inject_fault", kind=kind, times=times, after=after,
                   **({"path_contains": path_contains} if path_contains else {}), **params)

    def clear_faults(self) -> None:
        self.admin("clear_faults")

    def modify(self, path: str, n: int = 1) -> list[str]:
        return self.admin("modify", path=path, n=n)

    def create(self, path: str, n: int = 1) -> list[str]:
        return self.admin("create", path=path, n=n)

    def rows(self, path: str, entity_id: str | None = None, include_private: bool = False,
             exact_numbers: bool = False) -> list[dict]:
        """As `Sandbox.rows`; with `exact_numbers`, JSON numbers with a fraction arrive as `Decimal` (as the
        admin endpoint wrote them)."""
        args: dict[str, Any] = {"path": path, "include_private": include_private}
        if entity_id is not None:
            args["entity_id"] = entity_id
        if not exact_numbers:
            return self.admin("rows", **args)
        import json
        from decimal import Decimal

        r = requests.post(f"{self.base_url}/__sandbox__/rows", json=args,
                          headers={"X-Sandbox-Admin": self.admin_token}, timeout=120)
        if r.status_code != 200:
            raise RuntimeError(f"sandbox admin rows -> HTTP {r.status_code}: {r.text[:300]}")
        return json.loads(r.text, parse_float=Decimal)["result"]

    def keys(self, path: str) -> set[str]:
        return set(self.admin("keys", path=path))

    def token(self) -> str:
        r = requests.post(f"{self.base_url}/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": self.client_secret, "username": self.username}, timeout=30)
        r.raise_for_status()
        return r.json()["access_token"]

    def stop(self) -> None:
        stop_tree(self.proc, timeout=10)

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------------------------
# secrets


JWT_RX = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def scan_for_secrets(secrets: dict[str, str], texts: dict[str, str] | None = None,
                     roots: Iterable[str | Path] = (), exclude: Callable[[Path], bool] | None = None,
                     max_bytes: int = 50_000_000, any_jwt: bool = True) -> list[str]:
    """Return "<secret name> in <where>" for every secret value found in the texts or in any file under
    `roots` (binary files included: DuckDB/SQLite/parquet are scanned as bytes). With `any_jwt`, anything
    shaped like a JWT (every access and refresh token Intacct and the sandbox issue is one) counts as a leak
    too, so tokens nobody recorded are caught as well."""
    needles = {name: val for name, val in secrets.items() if val and len(val) >= 6}
    hits: list[str] = []
    for label, text in (texts or {}).items():
        for name, val in needles.items():
            if val in text:
                hits.append(f"{name} in {label}")
        if any_jwt:
            m = JWT_RX.search(text.encode())
            if m:
                hits.append(f"a JWT ({m.group(0)[:12].decode()}...) in {label}")
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            if exclude and exclude(f):
                continue
            try:
                if f.stat().st_size > max_bytes:
                    hits.append(f"(unscanned: {f} is larger than {max_bytes} bytes)")
                    continue
                data = f.read_bytes()
            except OSError:
                continue
            for name, val in needles.items():
                if val.encode() in data:
                    hits.append(f"{name} in {f}")
            if any_jwt:
                m = JWT_RX.search(data)
                if m:
                    hits.append(f"a JWT ({m.group(0)[:12].decode(errors='replace')}...) in {f}")
    return hits


# --------------------------------------------------------------------------------------------------------------
# comparing destination rows with the sandbox's rows

def duckdb_tables(db_path: str | Path, dataset: str) -> dict[str, list[dict]]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [dataset]).fetchall()]
        return {t: _duckdb_rows(con, dataset, t) for t in names}
    finally:
        con.close()


def duckdb_table(db_path: str | Path, dataset: str, table: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return _duckdb_rows(con, dataset, table)
    finally:
        con.close()


def _duckdb_rows(con, dataset: str, table: str) -> list[dict]:
    cur = con.execute(f'select * from "{dataset}"."{table}"')
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def duckdb_query(db_path: str | Path, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def postgres_table(dsn: str, schema: str, table: str) -> list[dict]:
    import psycopg2
    import psycopg2.extras

    con = psycopg2.connect(dsn)
    try:
        with con.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
            cur.execute(f'select * from "{schema}"."{table}"')
            return [dict(r) for r in cur.fetchall()]
    finally:
        con.close()


def postgres_tables(dsn: str, schema: str) -> list[str]:
    import psycopg2

    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute("select table_name from information_schema.tables where table_schema = %s", [schema])
            return [r[0] for r in cur.fetchall()]
    finally:
        con.close()
