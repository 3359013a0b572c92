"""How a dlt resource (one Intacct object) becomes a Dagster asset.

dagster-dlt's default translator names assets `dlt_<source>_<resource>` and invents an upstream
dependency `<source>_<resource>` that no asset produces (a phantom node in the lineage graph).
Intacct *is* the source, so assets here are roots keyed `intacct/<table>`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetKey, AssetSpec, FreshnessPolicy
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

GROUP = "intacct"
KEY_PREFIX = "intacct"


def default_owners() -> list[str]:
    """Owners shown in the UI; `INTACCT_ASSET_OWNERS` = comma-separated emails or `team:<name>`."""
    raw = os.environ.get("INTACCT_ASSET_OWNERS", "team:data-engineering")
    return [o.strip() for o in raw.split(",") if o.strip()]


def asset_key(table: str) -> AssetKey:
    return AssetKey([KEY_PREFIX, table])


def table_of(key: AssetKey) -> str:
    return key.path[-1]


@dataclass
class IntacctTranslator(DagsterDltTranslator):
    """Keys `intacct/<table>`, group `intacct`, kinds intacct/dlt/<destination>, no upstream deps."""

    destination_kind: str = "duckdb"
    objects: dict[str, Any] = field(default_factory=dict)  # table -> IntacctObject
    owners: list[str] = field(default_factory=default_owners)
    freshness_policy: FreshnessPolicy | None = None

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        table = data.resource.name
        obj = self.objects.get(table)
        path = obj.path if obj else None
        what = f"Sage Intacct `{path}` records" if path else f"Sage Intacct `{table}` records"
        how = (
            f"merged incrementally on `{obj.cursor}`" if obj is None or obj.cursor
            else "replaced in full on every run (the object has no audit timestamp)"
        )
        return spec.replace_attributes(
            key=asset_key(table),
            deps=[],
            group_name=GROUP,
            kinds={"intacct", "dlt", self.destination_kind},
            owners=self.owners,
            # A run may load only some tables (run config `objects`/`exclude`): the others are skipped.
            skippable=True,
            description=(
                f"{what}, one row per record keyed by `{obj.primary_key if obj else 'key'}`, {how}, "
                f"in table `{table}`."
                + (" Rows deleted in Intacct are removed by the weekly reconcile_deletes run." if "merged" in how else "")
            ),
            freshness_policy=self.freshness_policy,
        ).merge_attributes(metadata={"intacct/object_path": path or ""})
