"""Data quality checks that run right after each load, on the destination tables.

- every table: primary key `key` is unique and never null (a merge bug or a paging glitch that
  duplicated rows shows up here first);
- journal entry lines: debits equal credits per journal entry (a partial or torn load of an
  entry's lines shows up here).

One check per table (not one multi-asset check): a run whose config skips some tables must still
check the tables it did load, and a multi-asset check would be skipped as soon as one of its
assets was. Checks are blocking: a downstream model (e.g. dbt) does not build on broken data.
"""


from collections.abc import Iterable, Sequence

from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, asset_check

from intacct_dagster.destination import IntacctDestination
from intacct_dagster.translator import asset_key

PK_CHECK = "key_unique_not_null"
BALANCE_CHECK = "journal_entries_balance"
LINES_TABLE = "journal_entry_lines"

# Column names after dlt's snake_case normalization of the query fields.
ENTRY_KEY_COLUMNS = ("journal_entry_key", "journal_entry__key")
TXN_TYPE_COLUMNS = ("txn_type",)
AMOUNT_COLUMNS = ("txn_amount",)
SAMPLE = 5


def _columns(client, table: str) -> list[str] | None:
    """Column names of `table`, or None when the table does not exist (object had no records yet)."""
    try:
        with client.execute_query(f"SELECT * FROM {client.make_qualified_table_name(table)} LIMIT 0") as cur:
            return [d[0] for d in cur.description]
    except Exception:
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
    entry, kind, amount = (_pick(columns, c) for c in (ENTRY_KEY_COLUMNS, TXN_TYPE_COLUMNS, AMOUNT_COLUMNS))
    if not (entry and kind and amount):
        return dict(
            passed=False, severity=AssetCheckSeverity.ERROR,
            metadata={"error": f"missing columns; have {sorted(columns)[:40]}"},
        )
    qualified = client.make_qualified_table_name(table)
    entry, kind, amount = (client.escape_column_name(c) for c in (entry, kind, amount))
    amt = f"CAST({amount} AS DECIMAL(38, 2))"
    per_entry = (
        f"SELECT {entry} AS entry, "
        f"SUM(CASE WHEN {kind} = 'debit' THEN {amt} ELSE 0 END) AS debit, "
        f"SUM(CASE WHEN {kind} = 'credit' THEN {amt} ELSE 0 END) AS credit "
        f"FROM {qualified} GROUP BY {entry}"
    )
    entries, unbalanced = client.execute_sql(
        f"SELECT count(*), COALESCE(SUM(CASE WHEN debit <> credit THEN 1 ELSE 0 END), 0) FROM ({per_entry}) e"
    )[0]
    sample = [
        f"{r[0]}: debit {r[1]} != credit {r[2]}"
        for r in client.execute_sql(
            f"SELECT entry, debit, credit FROM ({per_entry}) e WHERE debit <> credit ORDER BY entry LIMIT {SAMPLE}"
        )
    ] if unbalanced else []
    return dict(
        passed=unbalanced == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"journal_entries": int(entries), "unbalanced_entries": int(unbalanced),
                  "sample_unbalanced": "; ".join(sample)},
    )


def _check(table: str, name: str, description: str, run) -> AssetChecksDefinition:
    @asset_check(
        asset=asset_key(table), name=name, description=description, blocking=True, pool="intacct",
    )
    def _the_check(intacct_destination: IntacctDestination) -> AssetCheckResult:
        return AssetCheckResult(**run(intacct_destination.shared_sql_client(), table))

    return _the_check


def build_checks(tables: Sequence[str]) -> list[AssetChecksDefinition]:
    """Blocking checks for `tables`: key uniqueness everywhere, balance on journal entry lines."""
    checks = [
        _check(t, PK_CHECK, "`key` (Intacct record key) is unique and not null.", check_primary_key)
        for t in tables
    ]
    if LINES_TABLE in tables:
        checks.append(_check(
            LINES_TABLE, BALANCE_CHECK,
            "For every journal entry, the debit txn amounts sum to the credit txn amounts.", check_journal_balance,
        ))
    return checks
