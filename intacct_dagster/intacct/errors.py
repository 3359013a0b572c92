"""Typed exceptions of the extraction layer.

The type says what to do, so callers (the Dagster layer's `failures.py`, the retry policy) decide by type,
never by message text:

- `IntacctConfigError`: a setting is missing or wrong; the message names the setting and its env var. Not
  retryable.
- `IntacctAuthError`: Intacct rejected the credentials (or a fresh token). Not retryable.
- `IntacctPermissionError`: the user may not read this object, or the company does not subscribe to its
  module. Not retryable; other objects can still load.
- `IntacctTransientError`: throttling, 5xx, resets or cut bodies outlasted the retry budget, or the token
  endpoint could not be reached. Retryable.
- `IntacctDataError`: a value does not fit its column (names table, column and key). Not retryable; no row
  is silently dropped or nulled.
- `IntacctError`: any other error answer from the API (e.g. a 400 on a malformed query).

Every error carries what Intacct support asks for (status, code, errorId, supportId) and never a token,
secret or request body, so it is safe to log and to show in the Dagster UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class IntacctError(Exception):
    """An error answer from the Intacct API (or a request that kept failing)."""

    retryable = False

    def __init__(
        self,
        status: int | None = None,
        code: str | None = None,
        error_id: str | None = None,
        message: str | None = None,
        support_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
        path: str | None = None,
        message_id: str | None = None,
    ) -> None:
        self.status = status
        self.message_id = message_id  # additionalInfo.messageId, e.g. IA.MODULE_NOT_SUBSCRIBED
        self.code = code
        self.error_id = error_id
        self.message = message
        self.support_id = support_id
        self.details = details or []
        self.path = path
        super().__init__(self._text())

    def _text(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.path:
            parts.append(self.path)
        if self.code:
            parts.append(f"code={self.code}")
        if self.error_id:
            parts.append(f"errorId={self.error_id}")
        if self.support_id:
            parts.append(f"supportId={self.support_id}")
        text = " ".join(parts)
        msg = self.message or "Intacct request failed"
        detail_msgs = [str(d.get("message")) for d in self.details if isinstance(d, dict) and d.get("message")]
        if detail_msgs:
            msg += " (" + "; ".join(detail_msgs[:5]) + ")"
        return f"{msg} [{text}]" if text else msg

    def with_message(self, message: str) -> IntacctError:
        """The same error with a more helpful message (keeps status/code/ids)."""
        self.message = message
        self.args = (self._text(),)
        return self

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, error_id={self.error_id!r}, "
            f"message={self.message!r}, support_id={self.support_id!r})"
        )


class IntacctAuthError(IntacctError):
    """Intacct rejected the credentials (token endpoint refused, or a fresh token was still rejected)."""


class IntacctPermissionError(IntacctError):
    """The user may not read this object (HTTP 403), or the company does not subscribe to its module."""


class IntacctTransientError(IntacctError):
    """A transient failure (throttling, 5xx, reset, cut body, unreachable host) outlasted the retry budget."""

    retryable = True


# The old name, kept for callers written against it.
IntacctRetryError = IntacctTransientError


class IntacctConfigError(ValueError):
    """Settings are missing or inconsistent; the message names the setting and its env var."""


class IntacctScopeError(IntacctConfigError):
    """The destination holds another company's or entity's data (state belongs to one company and entity)."""


class IntacctDataError(ValueError):
    """A value from Intacct does not fit its column; the message names table, column and key."""


def extract_error(body: Any) -> dict[str, Any] | None:
    """Find the error object wherever Intacct put it: `ia::result.ia::error`, `ia::error` or `error`."""
    if not isinstance(body, dict):
        return None
    result = body.get("ia::result")
    if isinstance(result, dict) and isinstance(result.get("ia::error"), dict):
        return result["ia::error"]
    for key in ("ia::error", "error"):
        if isinstance(body.get(key), dict):
            return body[key]
    return None


def error_from_body(
    status: int | None, body: Any, path: str | None = None, cls: type[IntacctError] = IntacctError
) -> IntacctError:
    """Build an `IntacctError` from a parsed error body (or a bare status if the body has none)."""
    err = extract_error(body) or {}
    details = err.get("details")
    if isinstance(details, dict):  # gateway errors carry {"requestId": ...} instead of a list
        details = [details]
    return cls(
        status=status,
        message_id=message_id_of(err),
        code=_str_or_none(err.get("code")),
        error_id=_str_or_none(err.get("errorId")),
        message=_str_or_none(err.get("message")),
        support_id=_str_or_none(err.get("supportId")),
        details=details if isinstance(details, list) else None,
        path=path,
    )


def message_id_of(err: Mapping[str, Any] | None) -> str | None:
    """`additionalInfo.messageId` of an error object (e.g. `IA.MODULE_NOT_SUBSCRIBED`)."""
    info = err.get("additionalInfo") if err else None
    return _str_or_none(info.get("messageId")) if isinstance(info, Mapping) else None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
