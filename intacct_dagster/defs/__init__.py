"""Components of this code location: one folder per extra Intacct company, each with a `defs.yaml`
(`dg scaffold defs intacct_dagster.component.IntacctComponent <name>`)."""
