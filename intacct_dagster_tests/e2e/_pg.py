"""A throwaway PostgreSQL server for the destination drill, started from the Debian server binaries.

`initdb` refuses to run as root, so when the tests run as root every server command runs as the `postgres`
OS user through `runuser -u postgres --`; the data directory lives in a temp dir owned by that user.
Clients connect over TCP on 127.0.0.1 with password (scram-sha-256) auth as a dedicated test user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

SYSTEM_DEPS_HINT = (
    "run `sudo bash scripts/system-deps.sh` (installs the Debian `postgresql` and `chromium` packages)"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_pg_bindir() -> str | None:
    """Newest /usr/lib/postgresql/<ver>/bin holding initdb, pg_ctl and postgres (or PG_BINDIR)."""
    candidates = [os.environ["PG_BINDIR"]] if os.environ.get("PG_BINDIR") else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
        reverse=True,
    )
    for d in candidates:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return d
    return None


@dataclass
class PostgresServer:
    bindir: str
    user: str = "intacct_test"
    database: str = "intacct"
    password: str = field(default_factory=lambda: "pg-" + secrets.token_hex(12))
    port: int = 0
    root: str = ""
    _as_postgres: bool = False

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def datadir(self) -> str:
        return os.path.join(self.root, "data")

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else list(args)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if proc.returncode != 0:
            log = ""
            logfile = os.path.join(self.root, "server.log")
            if os.path.exists(logfile):
                with open(logfile) as f:
                    log = f.read()[-4000:]
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}"
            )
        return proc

    def start(self) -> str:
        self._as_postgres = os.geteuid() == 0
        self.root = tempfile.mkdtemp(prefix="intacct-pg-")
        os.chmod(self.root, 0o700)
        if self._as_postgres:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as e:
                raise RuntimeError(f"no `postgres` OS user; {SYSTEM_DEPS_HINT}") from e
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        pwfile = os.path.join(self.root, "pwfile")
        # The bootstrap superuser is the test user itself: password auth over TCP, trust only on the
        # private unix socket inside the temp dir (nobody else can reach it).
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self._as_postgres:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        os.chmod(pwfile, 0o600)
        self._run(
            os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", self.user, f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync",
        )
        os.remove(pwfile)
        last = None
        for _ in range(5):
            self.port = free_port()
            opts = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            )
            try:
                self._run(
                    os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-l",
                    os.path.join(self.root, "server.log"), "-o", opts, "-w", "-t", "60", "start",
                )
                break
            except RuntimeError as e:  # port race: somebody took the port between bind and listen
                last = e
                time.sleep(0.2)
        else:
            raise RuntimeError(f"could not start postgres: {last}")
        self._run(
            os.path.join(self.bindir, "psql"), "-h", self.root, "-p", str(self.port), "-U", self.user,
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{self.database}"',
        )
        return self.dsn

    def stop(self) -> None:
        if not self.root:
            return
        try:
            if os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
                subprocess.run(
                    self._cmd(os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "immediate",
                              "-w", "-t", "30", "stop"),
                    capture_output=True, timeout=60, cwd="/",
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = ""
