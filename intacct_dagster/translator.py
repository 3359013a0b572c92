"""How a dlt resource (one Intacct object) becomes a Dagster asset.

dagster-dlt's default translator names assets `dlt_<source>_<resource>` and invents an upstream dependency
`<source>_<resource>` that no asset produces (a phantom node in the lineage graph). Intacct *is* the source,
so assets here are roots keyed `<prefix>/<table>` (`intacct/vendors` for the default company).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetKey, AssetSpec, FreshnessPolicy
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

GROUP = "intacct"
KEY_PREFIX = "intacct"


def asset_key(table: str, key_prefix: Sequence[str] = (KEY_PREFIX,)) -> AssetKey:
    return AssetKey([*key_prefix, table])


def table_of(key: AssetKey) -> str:
    return key.path[-1]


@dataclass
class IntacctTranslator(DagsterDltTranslator):
    """Keys `<prefix>/<table>`, one group per company, kinds intacct/dlt/<destination>, no upstream deps."""

    destination_kind: str = "duckdb"
    objects: dict[str, Any] = field(default_factory=dict)  # table -> IntacctObject
    owners: list[str] = field(default_factory=lambda: ["team:data-engineering"])
    freshness_policy: FreshnessPolicy | None = None
    key_prefix: tuple[str, ...] = (KEY_PREFIX,)
    group: str = GROUP

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        table = data.resource.name
        obj = self.objects.get(table)
        path = obj.path if obj else None
        what = f"Sage Intacct `{path}` records" if path else f"Sage Intacct `{table}` records"
        return spec.replace_attributes(
            key=asset_key(table, self.key_prefix),
            deps=[],
            group_name=self.group,
            kinds={"intacct", "dlt", self.destination_kind},
            owners=self.owners,
            # A run may load only some tables (run config `objects`/`exclude`): the others are skipped.
            skippable=True,
            description=(
                f"{what}, one row per record keyed by `{obj.primary_key if obj else 'key'}`, merged incrementally "
                f"on `audit.modifiedDateTime` (objects without it are re-read in full), in table `{table}`. Rows "
                "deleted in Intacct are removed by the weekly reconcile_deletes run and by full re-syncs."
            ),
            freshness_policy=self.freshness_policy,
        ).merge_attributes(metadata={"intacct/object_path": path or ""})
