"""Turn extraction errors into Dagster `Failure`s that say what to fix, and whether to retry.

dlt wraps whatever a resource raised in two or three layers of its own exceptions; the user needs the
Intacct cause plus the setting to look at. The decision is made on the error's *type* (see
`intacct/errors.py`), never on its message: configuration, credentials, permissions and data errors are not
transient (`allow_retries=False`, the job's retry policy skips them); transient ones are retried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dagster import Failure

from intacct_dagster.intacct.errors import (
    IntacctAuthError,
    IntacctConfigError,
    IntacctDataError,
    IntacctError,
    IntacctPermissionError,
    IntacctTransientError,
)

CREDENTIAL_HINT = (
    "Check INTACCT_CLIENT_ID and INTACCT_CLIENT_SECRET, and INTACCT_USERNAME (ws_user@COMPANYID) or "
    "INTACCT_REFRESH_TOKEN (re-authorise if it was revoked) or INTACCT_ACCESS_TOKEN (expires after 12 h); "
    "the API client must be authorised in the company (Company > Security)."
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@\s]+@")


def _is_destination_connection_error(exc: BaseException) -> bool:
    """Database drivers' "cannot connect" errors, and dlt's own wrapper for them."""
    name, module = type(exc).__name__, type(exc).__module__ or ""
    if name == "DestinationConnectionError":
        return True
    return name == "OperationalError" and module.split(".")[0] in {"psycopg2", "psycopg", "sqlalchemy"}


def explain_destination(exc: BaseException, destination: str) -> Failure | None:
    """A retryable Failure naming the destination settings when the warehouse cannot be reached."""
    for cause in _chain(exc):
        if _is_destination_connection_error(cause):
            first_line = _URL_PASSWORD.sub(r"\1:***@", str(cause).strip().splitlines()[0] if str(cause).strip() else "")
            env = f"DESTINATION__{destination.upper()}__CREDENTIALS"
            return Failure(
                description=(
                    f"Could not connect to the {destination} destination (INTACCT_DESTINATION={destination}). "
                    f"Check that it is running and its credentials in {env} or "
                    f"[destination.{destination}.credentials] in .dlt/secrets.toml. "
                    f"{type(cause).__name__}: {first_line}"
                )
            )
    return None


def intacct_cause(exc: BaseException) -> BaseException | None:
    """The first Intacct-layer error in an exception chain (dlt wraps resource errors)."""
    for cause in _chain(exc):
        if isinstance(cause, (IntacctError, IntacctConfigError, IntacctDataError)):
            return cause
    return None


def explain(exc: BaseException, base_url: str | None, destination: str | None = None,
            prefix: str = "INTACCT") -> Failure | None:
    """A Failure with a hint for known causes, or None to let the original error through."""
    if isinstance(exc, Failure):
        return None
    if destination:
        failure = explain_destination(exc, destination)
        if failure is not None:
            return failure
    where = f" ({prefix}_BASE_URL={base_url})" if base_url else f" ({prefix}_BASE_URL)"
    cause = intacct_cause(exc)
    if isinstance(cause, IntacctConfigError):
        return Failure(description=f"Invalid Intacct configuration: {cause}", allow_retries=False)
    if isinstance(cause, IntacctDataError):
        return Failure(description=f"Intacct sent a value that does not fit: {cause}", allow_retries=False)
    if isinstance(cause, IntacctAuthError):
        return Failure(description=f"Intacct rejected the credentials: {cause}\n{CREDENTIAL_HINT}",
                       allow_retries=False)
    if isinstance(cause, IntacctPermissionError):
        return Failure(description=f"Intacct denied access: {cause}. Give the Web Services user read permission "
                       "for this object (or exclude it with run config `exclude`).", allow_retries=False)
    if isinstance(cause, IntacctTransientError):
        return Failure(description=f"Intacct kept failing after retries{where}: {cause}", allow_retries=True)
    if isinstance(cause, IntacctError):
        return Failure(description=f"Intacct refused a request{where}: {cause}", allow_retries=False)
    return None
