"""A small JSON file that holds rotated OAuth tokens, shared by processes through a file lock.

Refresh tokens may rotate on every use: whoever refreshes must persist the new one before anybody else
refreshes, or the other process burns a dead token. Hence: lock, re-read, refresh, write, unlock.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock


class TokenStore:
    """Token file (mode 0600) plus its lock file; `with store.lock(): ...` guards read-refresh-write."""

    def __init__(self, path: str | os.PathLike[str], lock_timeout_s: float = 120.0) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout_s, mode=0o600)

    def __repr__(self) -> str:
        return f"TokenStore(path={str(self.path)!r})"

    def lock(self) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self._lock

    def read(self) -> dict[str, Any]:
        """The stored tokens, or {} when the file is missing or unreadable."""
        try:
            data = orjson.loads(self.path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def write(self, data: dict[str, Any]) -> None:
        """Atomically replace the file; the temp file is created 0600 so no secret is ever world-readable."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", dir=str(self.path.parent))  # mkstemp uses 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(data))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
