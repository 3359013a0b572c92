"""intacct-dagster: Sage Intacct -> DuckDB (or any dlt destination) with Dagster and dlt."""

import warnings

# dagster-dbt asks for sqlglot[rs]; sqlglot warns on import that the Rust tokenizer is deprecated. Harmless.
warnings.filterwarnings("ignore", message=r"sqlglot\[rs\] is deprecated")
