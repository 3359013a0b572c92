"""Shared by the benchmarks: the sandbox as a separate process (so its CPU and memory are not counted as the
loader's), and peak RSS of a process tree."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[1]


class SandboxProcess:
    """`python -m intacct_dagster.sandbox` in its own process group; admin calls over HTTP."""

    def __init__(self, lines: int, seed: int = 7, extra: list[str] | None = None):
        self.lines, self.seed, self.extra = lines, seed, list(extra or [])
        self.base_url = self.admin_token = ""
        self.client_id = self.client_secret = self.username = ""
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 900) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "intacct_dagster.sandbox", "--port", "0", "--lines", str(self.lines),
             "--seed", str(self.seed), *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, start_new_session=True, bufsize=1)
        ready = threading.Event()

        def pump() -> None:
            assert self.proc and self.proc.stdout
            for line in iter(self.proc.stdout.readline, ""):
                self.output.append(line.rstrip("\n"))
                if "Ctrl-C to stop" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout) or self.proc.poll() is not None:
            raise RuntimeError("sandbox did not start:\n" + "\n".join(self.output))
        text = "\n".join(self.output)

        def grab(pattern: str) -> str:
            m = re.search(pattern, text)
            if not m:
                raise RuntimeError(f"sandbox banner lacks {pattern!r}:\n{text}")
            return m.group(1)

        self.base_url = grab(r"(https?://127\.0\.0\.1:\d+/ia/api/v1)")
        self.client_id = grab(r"client_id\s+(\S+)")
        self.client_secret = grab(r"client_secret\s+(\S+)")
        self.username = grab(r"username\s+(\S+)")
        self.admin_token = grab(r"admin token\s+(\S+)")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def admin(self, action: str, **args):
        r = requests.post(f"{self.base_url}/__sandbox__/{action}", json=args,
                          headers={"X-Sandbox-Admin": self.admin_token}, timeout=900)
        r.raise_for_status()
        return r.json().get("result")

    def env(self) -> dict[str, str]:
        return {"INTACCT_BASE_URL": self.base_url, "INTACCT_CLIENT_ID": self.client_id,
                "INTACCT_CLIENT_SECRET": self.client_secret, "INTACCT_USERNAME": self.username}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


class PeakRSS:
    """Peak RSS of a process and its descendants, sampled every 50 ms (some pids can be left out)."""

    def __init__(self, pid: int, exclude: set[int] | None = None):
        self.pid, self.exclude, self.peak = pid, exclude or set(), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for p in procs:
            if p.pid in self.exclude:
                continue
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.05)

    def start(self) -> PeakRSS:
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(5)
        return self.peak


