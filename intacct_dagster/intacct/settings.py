"""Every setting of the project in one table, and the one reader that resolves them.

Precedence, for every setting: the environment variable (`<PREFIX>_<NAME>`, e.g. `INTACCT_BASE_URL`), then
`.dlt/secrets.toml`, then `.dlt/config.toml` (both under `[sources.<prefix lower-cased>]`, e.g.
`[sources.intacct]`), then the defaults given in code or a component's `defs.yaml`, then the built-in
default. Nothing else reads `INTACCT_*` variables or those TOML sections: error messages, the README's
tables and the Dagster layer all come from `SETTINGS`.

A second Intacct company uses another prefix (`INTACCT_ACME_CLIENT_ID`, `[sources.intacct_acme]`).
Secrets (`secret=True`) never appear in reprs, logs or errors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import IntacctConfigError

DEFAULT_PREFIX = "INTACCT"
DEFAULT_BASE_URL = "https://api.intacct.com/ia/api/v1"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Setting:
    """One setting: its name (also the TOML key), env var suffix, default, type and whether it is secret."""

    name: str
    env: str
    default: Any = None
    kind: str = "str"  # str | bool | int | float | list | table
    secret: bool = False
    group: str = "connection"  # connection | extraction | destination | dagster | finance
    help: str = ""

    def env_var(self, prefix: str = DEFAULT_PREFIX) -> str:
        return f"{prefix}_{self.env}"

    def toml_key(self, prefix: str = DEFAULT_PREFIX) -> str:
        return f"[sources.{section_name(prefix)}] {self.name}"


SETTINGS: tuple[Setting, ...] = (
    # connection: how to reach and authenticate with Intacct
    Setting("base_url", "BASE_URL", DEFAULT_BASE_URL, help="Intacct REST API base URL"),
    Setting("client_id", "CLIENT_ID", help="API client id (Sage Developer Portal)"),
    Setting("client_secret", "CLIENT_SECRET", secret=True, help="API client secret"),
    Setting("username", "USERNAME",
            help="client credentials: `ws_user@COMPANYID` (or `ws_user@COMPANYID|ENTITYID`)"),
    Setting("refresh_token", "REFRESH_TOKEN", secret=True,
            help="instead of a username: a refresh token from the authorization-code flow (offline_access)"),
    Setting("token_store", "TOKEN_STORE",
            help="file (created 0600) that keeps the rotated refresh token; required with refresh_token"),
    Setting("access_token", "ACCESS_TOKEN", secret=True,
            help="instead of both: an access token minted elsewhere (not refreshed, 12 h)"),
    Setting("entity_id", "ENTITY_ID", help="multi-entity: load one entity (`X-IA-API-Param-Entity`); empty = top level"),
    Setting("include_private", "INCLUDE_PRIVATE", False, "bool",
            help="top level: also read private entities' records"),
    # extraction: what to load and how
    Setting("objects", "OBJECTS", None, "list", group="extraction",
            help="tables to load (comma-separated); default: the built-in catalog plus extra_objects"),
    Setting("extra_objects", "EXTRA_OBJECTS", None, "table", group="extraction",
            help="more objects without code: table name = `<app>/<object>` path (TOML table, or JSON in the env var)"),
    Setting("start_date", "START_DATE", None, group="extraction",
            help="first load: only records modified on or after this ISO date/time"),
    Setting("lookback_seconds", "LOOKBACK_SECONDS", 3600, "int", group="extraction",
            help="incremental runs re-read this many seconds before the saved cursor"),
    Setting("page_size", "PAGE_SIZE", 4000, "int", group="extraction", help="query page size (1..4000)"),
    Setting("max_concurrent_requests", "MAX_CONCURRENT_REQUESTS", 4, "int", group="extraction",
            help="requests in flight at once (Intacct tier 1 grants 6 per application, 8 per company)"),
    Setting("monthly_api_budget", "MONTHLY_API_BUDGET", None, "int", group="extraction",
            help="the company's monthly API-transaction allowance: a run warns when this month's calls exceed it"),
    # destination: where the data lands
    Setting("destination", "DESTINATION", "duckdb", group="destination",
            help="dlt destination name (duckdb, postgres, snowflake, bigquery, ...)"),
    Setting("duckdb_path", "DUCKDB_PATH", "data/warehouse.duckdb", group="destination",
            help="DuckDB file (relative to the working directory)"),
    Setting("dataset", "DATASET", None, group="destination",
            help="dataset (schema) name; default: the definitions' name (`intacct`)"),
    Setting("duckdb_memory_limit", "DUCKDB_MEMORY_LIMIT", "128MB", group="destination",
            help="DuckDB memory cap during loads (spills to disk beyond it)"),
    Setting("duckdb_threads", "DUCKDB_THREADS", 1, "int", group="destination",
            help="DuckDB threads during loads (each adds memory; the merge is rarely the bottleneck)"),
    Setting("pipelines_dir", "DLT_PIPELINES_DIR", None, group="destination",
            help="keep dlt's working dir here (default: a private temp dir per run)"),
    # dagster: schedules, freshness, ownership
    Setting("schedule_cron", "SCHEDULE_CRON", "0 2 * * *", group="dagster", help="nightly incremental load"),
    Setting("reconcile_cron", "RECONCILE_CRON", "0 3 * * 0", group="dagster",
            help="weekly run that also removes rows deleted in Intacct"),
    Setting("schedule_timezone", "SCHEDULE_TIMEZONE", "UTC", group="dagster", help="timezone of both crons"),
    Setting("schedules_running", "SCHEDULES_RUNNING", False, "bool", group="dagster",
            help="start the schedules switched on"),
    Setting("freshness_grace_hours", "FRESHNESS_GRACE_HOURS", 2.0, "float", group="dagster",
            help="freshness fails this many hours after a missed nightly load"),
    Setting("asset_owners", "ASSET_OWNERS", "team:data-engineering", group="dagster",
            help="owners shown in the UI (comma-separated emails or `team:<name>`)"),
    # finance statements
    Setting("fiscal_year_start_month", "FISCAL_YEAR_START_MONTH", 1, "int", group="finance",
            help="first month of the fiscal year (1-12) for trial balance and statements"),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
SECRET_NAMES = frozenset(s.name for s in SETTINGS if s.secret)


def section_name(prefix: str) -> str:
    """TOML section (under `[sources]`) for a settings prefix: `INTACCT` -> `intacct`."""
    return prefix.strip("_").lower()


def env_name(name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The environment variable that sets `name`."""
    return SETTINGS_BY_NAME[name].env_var(prefix)


def describe(name: str, prefix: str = DEFAULT_PREFIX) -> str:
    """How a user sets `name`, for error messages: `'entity_id' (env INTACCT_ENTITY_ID or [sources.intacct])`."""
    return f"'{name}' (env {env_name(name, prefix)} or [sources.{section_name(prefix)}] in .dlt/)"


# ------------------------------------------------------------------------------------------------ reading
def dlt_settings_dir() -> Path:
    """`.dlt/` of the project, as dlt finds it (`DLT_PROJECT_DIR` or the working directory)."""
    return Path(os.environ.get("DLT_PROJECT_DIR") or os.getcwd()) / ".dlt"


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise IntacctConfigError(f"{path} is not valid TOML: {exc}") from None


def _section(doc: Mapping[str, Any], prefix: str) -> Mapping[str, Any]:
    sources = doc.get("sources")
    node = sources.get(section_name(prefix)) if isinstance(sources, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def convert(setting: Setting, raw: Any, origin: str) -> Any:
    """Turn a raw env/TOML value into the setting's type; a bad value names the setting and where it came from."""
    if raw is None:
        return None
    kind = setting.kind
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true or false")
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError("expected an integer")
            return int(str(raw).strip())
        if kind == "float":
            return float(str(raw).strip())
        if kind == "list":
            if isinstance(raw, (list, tuple)):
                return [str(x).strip() for x in raw if str(x).strip()]
            return [x.strip() for x in str(raw).split(",") if x.strip()]
        if kind == "table":
            if isinstance(raw, Mapping):
                return dict(raw)
            value = json.loads(str(raw))
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
        text = raw if isinstance(raw, str) else str(raw)
        return text.strip() if not setting.secret else text
    except (ValueError, TypeError) as exc:
        shown = "***" if setting.secret else repr(raw)
        raise IntacctConfigError(f"Intacct setting '{setting.name}' from {origin} is {shown}: {exc}") from None


class SettingsReader:
    """Resolves settings for one prefix. Files are read once per reader; build a new reader to re-read."""

    def __init__(self, prefix: str = DEFAULT_PREFIX, defaults: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None, settings_dir: Path | None = None) -> None:
        self.prefix = prefix
        self.defaults = dict(defaults or {})
        unknown = sorted(set(self.defaults) - set(SETTINGS_BY_NAME))
        if unknown:
            raise IntacctConfigError(f"unknown Intacct setting(s) {unknown}; known: {sorted(SETTINGS_BY_NAME)}")
        secret_defaults = sorted(set(self.defaults) & SECRET_NAMES)
        if secret_defaults:
            raise IntacctConfigError(
                f"secret setting(s) {secret_defaults} cannot be given in code or defs.yaml: set "
                + ", ".join(env_name(n, prefix) for n in secret_defaults) + " or .dlt/secrets.toml")
        self.environ = os.environ if environ is None else environ
        self._dir = settings_dir
        self._files: list[tuple[str, Mapping[str, Any]]] | None = None

    def _toml_sections(self) -> list[tuple[str, Mapping[str, Any]]]:
        if self._files is None:
            d = self._dir or dlt_settings_dir()
            self._files = [(f".dlt/{name}", _section(_load_toml(d / name), self.prefix))
                           for name in ("secrets.toml", "config.toml")]
        return self._files

    def lookup(self, name: str) -> tuple[Any, str]:
        """(value, where it came from) for one setting, following the precedence rule."""
        setting = SETTINGS_BY_NAME[name]
        var = setting.env_var(self.prefix)
        raw = self.environ.get(var)
        if raw is not None and raw != "":
            return convert(setting, raw, f"env {var}"), f"env {var}"
        for origin, section in self._toml_sections():
            if name in section and section[name] not in (None, ""):
                where = f"{origin} [sources.{section_name(self.prefix)}] {name}"
                return convert(setting, section[name], where), where
        if name in self.defaults and self.defaults[name] is not None:
            return convert(setting, self.defaults[name], "defaults"), "defaults (code or defs.yaml)"
        return setting.default, "built-in default"

    def get(self, name: str) -> Any:
        return self.lookup(name)[0]

    def group(self, group: str) -> dict[str, Any]:
        return {s.name: self.get(s.name) for s in SETTINGS if s.group == group}

    def connection(self) -> IntacctSettings:
        """The connection settings (read now; call at run time, never at import)."""
        values = self.group("connection")
        origins = {s.name: self.lookup(s.name)[1] for s in SETTINGS if s.group == "connection"}
        return IntacctSettings(**values, prefix=self.prefix, origins=origins)


@dataclass
class IntacctSettings:
    """Where and how to authenticate. Exactly one auth mode is chosen by `auth_mode`. Secret fields are
    left out of the repr."""

    base_url: str = DEFAULT_BASE_URL
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    token_store: str | None = None
    access_token: str | None = field(default=None, repr=False)
    entity_id: str | None = None
    include_private: bool = False
    prefix: str = DEFAULT_PREFIX
    origins: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            if f.name == "origins":
                continue
            value = getattr(self, f.name)
            if f.name in SECRET_NAMES:
                value = "***" if value else None
            shown.append(f"{f.name}={value!r}")
        return f"IntacctSettings({', '.join(shown)})"

    @classmethod
    def from_env(cls, prefix: str = DEFAULT_PREFIX, defaults: Mapping[str, Any] | None = None,
                 environ: Mapping[str, str] | None = None) -> IntacctSettings:
        """Read the connection settings with the project's precedence rule."""
        return SettingsReader(prefix, defaults, environ).connection()

    def describe(self, name: str) -> str:
        return describe(name, self.prefix)

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + "/oauth2/token"

    @property
    def entity(self) -> str:
        """The entity this connection reads ('' = top level)."""
        if self.entity_id:
            return self.entity_id
        if self.username and "|" in self.username:
            return self.username.split("|", 1)[1]
        return ""

    @property
    def auth_mode(self) -> str | None:
        """`access_token`, `refresh_token` or `client_credentials` (first configured wins), else None."""
        if self.access_token:
            return "access_token"
        if self.refresh_token and self.client_id and self.client_secret:
            return "refresh_token"
        if self.client_id and self.client_secret and self.username:
            return "client_credentials"
        return None

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url) and self.auth_mode is not None

    def validate(self) -> IntacctSettings:
        """Raise `IntacctConfigError` naming the missing or bad setting and its env var."""
        if not self.base_url:
            raise IntacctConfigError(f"Intacct setting {self.describe('base_url')} is required")
        if not str(self.base_url).startswith(("http://", "https://")):
            raise IntacctConfigError(
                f"Intacct setting {self.describe('base_url')} = {self.base_url!r} (from "
                f"{self.origins.get('base_url', 'settings')}) is not an http(s) URL (default {DEFAULT_BASE_URL})")
        if self.auth_mode == "refresh_token" and not self.token_store:
            raise IntacctConfigError(
                f"Intacct setting {self.describe('token_store')} is required when refresh_token is used")
        if self.auth_mode is not None:
            return self
        if self.refresh_token or self.username or self.client_id or self.client_secret:
            for name in ("client_id", "client_secret"):
                if not getattr(self, name):
                    raise IntacctConfigError(f"Intacct setting {self.describe(name)} is required")
            raise IntacctConfigError(
                f"Intacct setting {self.describe('username')} or {self.describe('refresh_token')} is required")
        raise IntacctConfigError(missing_credentials_message(self.prefix))


def missing_credentials_message(prefix: str = DEFAULT_PREFIX) -> str:
    """What to set when nothing is configured (generated from the settings table)."""

    def e(name: str) -> str:
        return env_name(name, prefix)

    return (
        "Sage Intacct credentials are not configured. Set one of:\n"
        f"  - {e('client_id')} + {e('client_secret')} + {e('username')} "
        "(client credentials, ws_user@COMPANYID[|ENTITYID])\n"
        f"  - {e('client_id')} + {e('client_secret')} + {e('refresh_token')} + {e('token_store')} "
        "(authorization-code refresh token; the token store file keeps the rotated refresh token)\n"
        f"  - {e('access_token')} (a token minted elsewhere)\n"
        f"or fill [sources.{section_name(prefix)}] in .dlt/secrets.toml (copy .dlt/secrets.toml.example). "
        "To try the project without credentials run `bash scripts/demo.sh` (built-in sandbox)."
    )


def settings_table_markdown(group: str | None = None, prefix: str = DEFAULT_PREFIX) -> str:
    """The README's settings tables are generated from `SETTINGS` (see `python -m intacct_dagster settings`)."""
    lines = ["| env var | TOML key | default | |", "|---|---|---|---|"]
    for s in SETTINGS:
        if group is not None and s.group != group:
            continue
        default = "" if s.default is None else f"`{s.default}`"
        secret = " (secret)" if s.secret else ""
        text = s.help.replace("|", "\\|")  # a literal | would end the Markdown cell
        lines.append(f"| `{s.env_var(prefix)}` | `{s.name}` | {default} | {text}{secret} |")
    return "\n".join(lines)
