"""The Intacct connection resource: one per company, shared by all of that company's assets.

It holds no secret and no setting value of its own: only the settings prefix (`INTACCT`, or e.g.
`INTACCT_ACME` for a second company) and the non-secret defaults given in code or `defs.yaml`. Settings are
read at run time by the one settings reader (`intacct/settings.py`: env, then `.dlt/secrets.toml`, then
`.dlt/config.toml`, then these defaults), so the Dagster UI and run config never see a secret.
"""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource, Failure
from pydantic import Field, PrivateAttr

from intacct_dagster.intacct.errors import IntacctConfigError
from intacct_dagster.intacct.settings import DEFAULT_PREFIX, IntacctSettings, SettingsReader


class IntacctResource(ConfigurableResource):
    """Sage Intacct REST API connection of one company: credentials, base URL and entity.

    `token_provider()` hands the same refreshing TokenProvider to every table loaded in one run, so a run
    mints (or refreshes) at most one token."""

    settings_prefix: str = Field(default=DEFAULT_PREFIX,
                                 description="env var prefix (`INTACCT` -> INTACCT_CLIENT_ID, [sources.intacct])")
    defaults: dict[str, Any] = Field(default_factory=dict,
                                     description="non-secret setting defaults; env and .dlt files override them")

    _provider: Any = PrivateAttr(default=None)

    def reader(self) -> SettingsReader:
        try:
            return SettingsReader(self.settings_prefix, self.defaults)
        except IntacctConfigError as exc:
            raise Failure(description=f"Invalid Intacct settings: {exc}", allow_retries=False) from exc

    def settings(self) -> IntacctSettings:
        """The connection settings, validated; a clear, non-retried Failure names what to set."""
        try:
            return self.reader().connection().validate()
        except IntacctConfigError as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc

    def token_provider(self):
        """One TokenProvider per run (this resource instance lives for one run/step)."""
        if self._provider is None:
            from intacct_dagster.intacct.auth import auth_from_settings

            try:
                self._provider = auth_from_settings(self.settings())
            except IntacctConfigError as exc:
                raise Failure(description=str(exc), allow_retries=False) from exc
        return self._provider
