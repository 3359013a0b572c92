"""Per-run knobs users change often, editable in the launchpad or with `--config-json`.

They live in a dagster `Config` (not in the resource) because they describe *this* run, not the
connection: a window backfill, a full re-sync of one object, a subset, or the weekly delete
reconciliation.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from dagster import Config
from pydantic import Field, field_validator

Mode = Literal["incremental", "full", "reconcile_deletes"]


class IntacctRunConfig(Config):
    """Run config of the `intacct_assets` op (all Intacct tables are one op, see assets.py)."""

    mode: Mode = Field(
        default="incremental",
        description=(
            "incremental: load records modified since the last run. reconcile_deletes: also list every key "
            "in Intacct and delete rows that no longer exist there (Intacct has no tombstones). full: re-read "
            "every table; afterwards each table equals the source (deleted rows removed)."
        ),
    )
    start_date: str | None = Field(
        default=None,
        description=(
            "A window run: load records with audit.modifiedDateTime >= this ISO date/timestamp (e.g. 2024-01-01) "
            "and leave every saved cursor where it was. For a first load's lower bound use the start_date setting."
        ),
    )
    end_date: str | None = Field(
        default=None,
        description="A window run: load records with audit.modifiedDateTime < this ISO date/timestamp.",
    )
    full_resync: list[str] = Field(
        default_factory=list,
        description=(
            "Tables to reload from scratch, ignoring their saved cursor (e.g. ['vendors']). "
            "Use ['*'] for every selected table."
        ),
    )
    objects: list[str] | None = Field(
        default=None,
        description=(
            "Only load these tables (e.g. ['vendors', 'gl_accounts']); null = every selected asset. "
            "Same effect as selecting assets, but settable from a schedule or --config-json."
        ),
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Tables to skip in this run (e.g. ['journal_entry_lines']).",
    )

    @field_validator("start_date", "end_date")
    @classmethod
    def _iso_start_date(cls, value: str | None) -> str | None:
        """Fail at launch with the field's name, not deep inside the extraction."""
        if value in (None, ""):
            return None
        text = value.strip()
        try:
            if len(text) == 10:
                date.fromisoformat(text)
            else:
                datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO date or timestamp (e.g. 2024-01-01 or 2024-01-01T00:00:00Z)"
            ) from None
        return text

    @property
    def window(self) -> tuple[str | None, str | None] | None:
        """(start, end) of a window run, or None for a normal run."""
        return (self.start_date, self.end_date) if (self.start_date or self.end_date) else None

    def tables_to_load(self, selected: list[str]) -> list[str]:
        """Apply `objects`/`exclude` to the tables Dagster selected; unknown names are an error."""
        known = set(selected)
        for name in [*(self.objects or []), *self.exclude]:
            if name not in known and name != "*":
                raise ValueError(
                    f"Unknown or unselected Intacct table {name!r} in run config; selected tables: {sorted(known)}"
                )
        chosen = [t for t in selected if (self.objects is None or t in self.objects) and t not in self.exclude]
        return chosen

    def resync_tables(self, tables: list[str]) -> list[str]:
        """Which of `tables` get a full re-sync in this run."""
        if "*" in self.full_resync:
            return list(tables)
        unknown = set(self.full_resync) - set(tables)
        if unknown:
            raise ValueError(f"full_resync names tables not loaded in this run: {sorted(unknown)}")
        return [t for t in tables if t in self.full_resync]

def assets_op_name(name: str = "intacct") -> str:
    """Name of the single op that loads every table of one company (the `ops:` key in run config)."""
    return f"{name}_assets"


ASSETS_OP_NAME = assets_op_name()


def run_config(name: str = "intacct", **fields) -> dict:
    """Run config dict for a company's op, e.g. `run_config(mode="reconcile_deletes")`."""
    IntacctRunConfig(**fields)  # validate early (bad mode names fail at load, not at 2 am)
    return {"ops": {assets_op_name(name): {"config": dict(fields)}}}
