"""The Dagster code location: `dagster dev`, `dg check defs`, `dagster asset materialize -m intacct_dagster.definitions`.

One call of `build_intacct_defs()` (the company configured by the `INTACCT_*` settings), plus whatever
`defs.yaml` files under `intacct_dagster/defs/` declare (e.g. a second company added with
`dg scaffold defs intacct_dagster.component.IntacctComponent acme`). Loading needs no credentials and makes no network
calls: resources hold only a settings prefix, and the Intacct source is built at run time.
"""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, definitions, load_from_defs_folder

from intacct_dagster.factory import build_intacct_defs


@definitions
def defs() -> Definitions:
    return Definitions.merge(
        build_intacct_defs(),
        load_from_defs_folder(path_within_project=Path(__file__).parent),
    )
