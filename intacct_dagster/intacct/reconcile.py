"""Hard-delete reconciliation: the query service has no tombstones, so compare key sets.

Source keys come from a key-only keyset scan; destination keys from the pipeline's own SQL client (works
for DuckDB and Postgres). Keys present in the destination but gone at the source become delete markers:
rows with only the primary key and `_intacct_deleted = true`, which dlt's merge (`hard_delete` hint) removes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .keyset import KeysetQuery, iter_pages
from .schema import DELETED_COLUMN

logger = logging.getLogger("intacct_dagster.intacct")
FETCH_CHUNK = 50_000


def destination_keys(pipeline: Any, table: str, key_column: str = "key") -> pa.Array | None:
    """All primary keys currently in `table` at the destination, or None when the table does not exist yet."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    if pipeline is None:
        return None
    try:
        with pipeline.sql_client() as client:
            sql = f"SELECT {client.escape_column_name(key_column)} FROM {client.make_qualified_table_name(table)}"
            chunks = []
            with client.execute_query(sql) as cursor:
                # plain DB-API fetchmany: portable across DuckDB/Postgres and bounded in memory
                while batch := cursor.fetchmany(FETCH_CHUNK):
                    chunks.append(pa.array([None if r[0] is None else str(r[0]) for r in batch], pa.string()))
    except DatabaseUndefinedRelation:
        return None
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def tables_with_rows(pipeline: Any, tables: list[str]) -> set[str]:
    """Which of `tables` exist at the destination with at least one row (one connection for all)."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    if pipeline is None or not tables:
        return set()
    found: set[str] = set()
    try:
        with pipeline.sql_client() as client:
            for table in tables:
                try:
                    if client.execute_sql(f"SELECT 1 FROM {client.make_qualified_table_name(table)} LIMIT 1"):
                        found.add(table)
                except DatabaseUndefinedRelation:
                    continue
    except DatabaseUndefinedRelation:  # the dataset itself does not exist yet
        return found
    return found


def source_keys(fetch: Callable[[dict[str, Any]], dict[str, Any]], object_path: str, key: str = "key",
                page_size: int = 4000, include_private: bool = False) -> pa.Array:
    """Every key the source has now: `fields: [key]`, keyset-paged by key."""
    query = KeysetQuery(object_path, [key], key=key, cursor=None, page_size=page_size,
                        include_private=include_private)
    chunks = [pa.array([str(r.get(key)) for r in page.rows or []], pa.string()) for page in iter_pages(fetch, query)]
    return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())


def delete_markers(dest_keys: pa.Array, src_keys: pa.Array, key_column: str = "key") -> pa.Table:
    """Rows that tell dlt's merge to delete the destination keys missing at the source."""
    gone = pc.filter(dest_keys, pc.invert(pc.is_in(dest_keys, value_set=src_keys)))
    gone = pc.unique(pc.drop_null(gone))
    schema = pa.schema([pa.field(key_column, pa.string(), nullable=False), pa.field(DELETED_COLUMN, pa.bool_())])
    return pa.Table.from_arrays([gone, pa.array([True] * len(gone), pa.bool_())], schema=schema)
