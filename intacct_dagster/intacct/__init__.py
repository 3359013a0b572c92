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
from .connection import Connection
from .errors import (
    IntacctAuthError,
    IntacctConfigError,
    IntacctDataError,
    IntacctError,
    IntacctPermissionError,
    IntacctRetryError,
    IntacctScopeError,
    IntacctTransientError,
)
from .schema import DELETED_COLUMN, column_name
from .settings import SETTINGS, IntacctSettings, SettingsReader
from .source import intacct_source, run_options
from .token_store import TokenStore

__all__ = [
    "DEFAULT_OBJECTS",
    "DEFAULT_OBJECT_NAMES",
    "DELETED_COLUMN",
    "SETTINGS",
    "ClientCredentialsAuth",
    "Connection",
    "IntacctAuthError",
    "IntacctClient",
    "IntacctConfigError",
    "IntacctDataError",
    "IntacctError",
    "IntacctObject",
    "IntacctPermissionError",
    "IntacctRetryError",
    "IntacctScopeError",
    "IntacctSettings",
    "IntacctTransientError",
    "RefreshTokenAuth",
    "SettingsReader",
    "StaticTokenAuth",
    "TokenProvider",
    "TokenStore",
    "auth_from_settings",
    "column_name",
    "intacct_source",
    "resolve_objects",
    "run_options",
]
