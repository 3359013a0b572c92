"""Extraction layer: Sage Intacct REST API -> dlt (plain Python + dlt, no Dagster)."""

from .auth import (
    ClientCredentialsAuth,
    RefreshTokenAuth,
    StaticTokenAuth,
    TokenProvider,
    auth_from_settings,
)
from .catalog import DEFAULT_OBJECT_NAMES, DEFAULT_OBJECTS, IntacctObject, resolve_objects
from .client import IntacctClient
from .errors import IntacctAuthError, IntacctConfigError, IntacctError, IntacctRetryError
from .schema import DELETED_COLUMN, column_name
from .settings import IntacctSettings
from .source import intacct_source
from .token_store import TokenStore

__all__ = [
    "DEFAULT_OBJECTS",
    "DEFAULT_OBJECT_NAMES",
    "DELETED_COLUMN",
    "ClientCredentialsAuth",
    "IntacctAuthError",
    "IntacctClient",
    "IntacctConfigError",
    "IntacctError",
    "IntacctObject",
    "IntacctRetryError",
    "IntacctSettings",
    "RefreshTokenAuth",
    "StaticTokenAuth",
    "TokenProvider",
    "TokenStore",
    "auth_from_settings",
    "column_name",
    "intacct_source",
    "resolve_objects",
]
