"""Data quality checks that run right after each load, on the destination tables.

- every table: primary key `key` is unique and never null (a merge bug or a paging glitch that
  duplicated rows shows up here first);
- journal entry lines: debits equal credits per journal entry in base currency (a partial or torn load
  of an entry's lines shows up here), and in transaction currency for entries whose lines share one
  currency (multi-currency entries balance only in base currency).

One check per table (not one multi-asset check): a run whose config skips some tables must still
check the tables it did load, and a multi-asset check would be skipped as soon as one of its
assets was. Checks are blocking: a downstream model (e.g. dbt) does not build on broken data.
"""


from collections.abc import Iterable, Sequence

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)

from intacct_dagster.translator import KEY_PREFIX, asset_key

PK_CHECK = "key_unique_not_null"
BALANCE_CHECK = "journal_entries_balance"
LINES_TABLE = "journal_entry_lines"

# Column names after dlt's snake_case normalization of the query fields.
ENTRY_KEY_COLUMNS = ("journal_entry_key", "journal_entry__key")
TXN_TYPE_COLUMNS = ("txn_type",)
BASE_AMOUNT_COLUMNS = ("base_amount",)
TXN_AMOUNT_COLUMNS = ("txn_amount",)
TXN_CURRENCY_COLUMNS = ("currency_txn_currency",)
SAMPLE = 5


def _columns(client, table: str) -> list[str] | None:
    """Column names of `table`, or None when the table does not exist (object had no records yet)."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    try:
        with client.execute_query(f"SELECT * FROM {client.make_qualified_table_name(table)} LIMIT 0") as cur:
            return [d[0] for d in cur.description]
    except DatabaseUndefinedRelation:
        return None


def _pick(columns: Sequence[str], candidates: Iterable[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)


def check_primary_key(client, table: str) -> dict:
    columns = _columns(client, table)
    if columns is None:
        return dict(passed=True, metadata={"rows": 0, "note": "table not created yet (no records)"})
    if "key" not in columns:
        return dict(passed=False, severity=AssetCheckSeverity.ERROR, metadata={"error": "no `key` column"})
    qualified = client.make_qualified_table_name(table)
    key = client.escape_column_name("key")
    rows, nulls, dupes = client.execute_sql(
        f"SELECT count(*), count(*) - count({key}), count({key}) - count(DISTINCT {key}) FROM {qualified}"
    )[0]
    sample = [
        r[0]
        for r in client.execute_sql(
            f"SELECT {key} FROM {qualified} WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1 "
            f"ORDER BY {key} LIMIT {SAMPLE}"
        )
    ] if dupes else []
    return dict(
        passed=nulls == 0 and dupes == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"rows": int(rows), "null_keys": int(nulls), "duplicate_keys": int(dupes),
                  "sample_duplicate_keys": ", ".join(map(str, sample))},
    )


def check_journal_balance(client, table: str = LINES_TABLE) -> dict:
    columns = _columns(client, table)
    if columns is None:
        return dict(passed=True, metadata={"entries": 0, "note": "table not created yet (no records)"})
    entry, kind, base, txn = (_pick(columns, c) for c in
                              (ENTRY_KEY_COLUMNS, TXN_TYPE_COLUMNS, BASE_AMOUNT_COLUMNS, TXN_AMOUNT_COLUMNS))
    currency = _pick(columns, TXN_CURRENCY_COLUMNS)
    if not (entry and kind and base and txn):
        return dict(
            passed=False, severity=AssetCheckSeverity.ERROR,
            metadata={"error": f"missing columns; have {sorted(columns)[:40]}"},
        )
    qualified = client.make_qualified_table_name(table)
    entry, kind, base, txn = (client.escape_column_name(c) for c in (entry, kind, base, txn))
    cur = client.escape_column_name(currency) if currency else "NULL"

    def signed(col: str) -> str:
        amount = f"CAST({col} AS DECIMAL(38, 2))"
        return f"CASE WHEN {kind} = 'debit' THEN {amount} WHEN {kind} = 'credit' THEN -{amount} ELSE 0 END"

    per_entry = (
        f"SELECT {entry} AS entry, SUM({signed(base)}) AS base_diff, SUM({signed(txn)}) AS txn_diff, "
        f"COUNT(DISTINCT {cur}) AS currencies FROM {qualified} GROUP BY {entry}"
    )
    entries, base_off, txn_off, multi = client.execute_sql(
        f"SELECT count(*), COALESCE(SUM(CASE WHEN base_diff <> 0 THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN currencies <= 1 AND txn_diff <> 0 THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN currencies > 1 THEN 1 ELSE 0 END), 0) FROM ({per_entry}) e"
    )[0]
    sample = [
        f"{r[0]}: base off by {r[1]}, txn off by {r[2]}"
        for r in client.execute_sql(
            f"SELECT entry, base_diff, txn_diff FROM ({per_entry}) e WHERE base_diff <> 0 OR "
            f"(currencies <= 1 AND txn_diff <> 0) ORDER BY entry LIMIT {SAMPLE}"
        )
    ] if (base_off or txn_off) else []
    return dict(
        passed=base_off == 0 and txn_off == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"journal_entries": int(entries), "unbalanced_in_base_currency": int(base_off),
                  "unbalanced_in_txn_currency": int(txn_off), "multi_currency_entries": int(multi),
                  "sample_unbalanced": "; ".join(sample)},
    )


def _check(table: str, name: str, description: str, run, key_prefix: Sequence[str], destination_key: str,
           pool: str) -> AssetChecksDefinition:
    @asset_check(
        asset=asset_key(table, key_prefix), name=name, description=description, blocking=True, pool=pool,
        required_resource_keys={destination_key},
    )
    def _the_check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        destination = getattr(context.resources, destination_key)
        return AssetCheckResult(**run(destination.shared_sql_client(), table))

    return _the_check


def build_checks(tables: Sequence[str], key_prefix: Sequence[str] = (KEY_PREFIX,),
                 destination_key: str = "intacct_destination", pool: str = "intacct") -> list[AssetChecksDefinition]:
    """Blocking checks for `tables`: key uniqueness everywhere, balance on journal entry lines."""
    checks = [
        _check(t, PK_CHECK, "`key` (Intacct record key) is unique and not null.", check_primary_key, key_prefix,
               destination_key, pool)
        for t in tables
    ]
    if LINES_TABLE in tables:
        checks.append(_check(
            LINES_TABLE, BALANCE_CHECK,
            "For every journal entry, debits equal credits in base currency (and in transaction currency when "
            "all its lines share one currency).", check_journal_balance, key_prefix, destination_key, pool,
        ))
    return checks
