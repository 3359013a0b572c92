"""`IntacctComponent`: one Intacct company as a Dagster component, declared in a `defs.yaml`.

```yaml
# intacct_dagster/defs/acme/defs.yaml  (dg scaffold defs intacct_dagster.component.IntacctComponent acme)
type: intacct_dagster.component.IntacctComponent
attributes:
  name: acme                      # group, op, job, schedules, resource keys, dlt pipeline, dataset
  settings_prefix: INTACCT_ACME   # INTACCT_ACME_CLIENT_ID, ... or [sources.intacct_acme] in .dlt/
  settings: {entity_id: ""}       # optional non-secret defaults; env and .dlt/ files win
```

Secrets never go in YAML: they come from `<PREFIX>_CLIENT_SECRET` etc. or `.dlt/secrets.toml`.
"""


import re
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    Component,
    ComponentLoadContext,
    Definitions,
    Resolvable,
    Scaffolder,
    scaffold_component,
    scaffold_with,
)
from dagster.components.scaffold.scaffold import ScaffoldRequest

from intacct_dagster.factory import build_intacct_defs


class IntacctScaffolder(Scaffolder):
    """`dg scaffold defs intacct_dagster.component.IntacctComponent acme` writes a defs.yaml for company `acme`
    whose settings are `INTACCT_ACME_*` (or `[sources.intacct_acme]`)."""

    def scaffold(self, request: ScaffoldRequest) -> None:
        name = re.sub(r"[^a-z0-9_]+", "_", request.target_path.name.lower()).strip("_") or "company"
        scaffold_component(request, {"name": name, "settings_prefix": f"INTACCT_{name.upper()}"})


@scaffold_with(IntacctScaffolder)
@dataclass
class IntacctComponent(Component, Resolvable):
    """Loads one Sage Intacct company (every object, or `objects`) into DuckDB or any dlt destination, with a
    nightly incremental schedule, a weekly delete reconciliation and data checks."""

    name: str
    settings_prefix: str | None = None
    key_prefix: list[str] | None = None
    objects: list[str] | None = None
    pool: str = "intacct"
    schedules: bool = True
    finance: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    destination: dict[str, Any] = field(default_factory=dict)

    def build_defs(self, context: ComponentLoadContext) -> Definitions:
        return build_intacct_defs(
            name=self.name, key_prefix=self.key_prefix, settings_prefix=self.settings_prefix, objects=self.objects,
            pool=self.pool, schedules=self.schedules, settings=self.settings, destination=self.destination,
            finance=self.finance,
        )
