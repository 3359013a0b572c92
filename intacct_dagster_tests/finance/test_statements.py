"""Each statement equals figures computed independently from the sandbox's records, on DuckDB and on Postgres.

The project's own `intacct_job` loads the sandbox company, checks it and builds the finance models (dbt); the
figures in the warehouse are then compared, to the cent, with `_books.Books`, which reads nothing but
`Sandbox.rows()`. The sandbox has three entities with their own base currencies (USD, GBP, CAD), foreign-currency
and mixed-currency journal entries, partial and multi-document payments, and two years of history.
"""

from __future__ import annotations

import datetime as dt

import pytest

from intacct_dagster import finance
from intacct_dagster_tests.finance._books import Books
from intacct_dagster_tests.finance._run import Warehouse, failure_text, point_at, run_job
from intacct_dagster_tests.finance._tieout import (
    aging_equals_amount_due,
    doc_queries,
    run_doc_queries,
    tie_out,
)

pytestmark = pytest.mark.timeout(900)

TIE_OUT_CHECKS = {"assert_trial_balance_sums_to_zero", "assert_balance_sheet_balances",
                  "assert_net_income_equals_earnings_movement", "assert_ap_aging_ties_to_open_bills",
                  "assert_ar_aging_ties_to_open_invoices", "assert_trial_balance_by_department_ties"}
MARTS = set(finance.MARTS)


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def _assert_built_and_checked(result) -> None:
    assert result.success, failure_text(result)
    built = {e.asset_key.path[-1] for e in result.get_asset_materialization_events() if len(e.asset_key.path) == 3}
    assert MARTS <= built, MARTS - built
    evaluations = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert TIE_OUT_CHECKS <= {name for _, name in evaluations}, evaluations
    failed = [k for k, ok in evaluations.items() if not ok]
    assert not failed, failed


def _assert_ties(books: Books, wh: Warehouse, as_of: dt.date) -> dict:
    problems, figures = tie_out(books, wh, as_of)
    assert not problems, "statements differ from the independent figures:\n" + "\n".join(problems)
    # the data exercises what the statements must handle
    assert figures["gl_foreign_currency_lines"] > 0 and figures["trial_balance_rows"] > 100, figures
    assert figures["ap_open_documents"] > 0 and figures["ar_open_documents"] > 0, figures
    print(f"\nfigures as of {as_of}: {figures}")
    return figures


def test_statements_tie_out_on_duckdb(sandbox_factory, finance_env, tmp_path):
    sb = sandbox_factory(lines=3000, seed=7)
    db = tmp_path / "warehouse.duckdb"
    point_at(finance_env, sb, duckdb_path=db)
    today = _today()
    _assert_built_and_checked(run_job(today))
    books = Books(sb)
    # on the sandbox's own date, open = each document's own amount due (nothing is paid later than today)
    assert not aging_equals_amount_due(books, today)
    wh = Warehouse(duckdb_path=db)
    _assert_ties(books, wh, today)
    assert len(run_doc_queries(wh)) == len(doc_queries()) >= 8

    # rebuild only the statements: fiscal year from April, aging as of 45 days ago
    finance_env.setenv("INTACCT_FISCAL_YEAR_START_MONTH", "4")
    past = today - dt.timedelta(days=45)
    _assert_built_and_checked(run_job(past, only_finance=True))
    april = Books(sb, start_month=4)
    figures = _assert_ties(april, wh, past)
    periods = wh.rows("SELECT DISTINCT fiscal_year, fiscal_period, period_start FROM {s}.trial_balance")
    assert {(r["period_start"].month - 4) % 12 + 1 == r["fiscal_period"] for r in periods} == {True}
    assert {r["fiscal_year"] - r["period_start"].year for r in periods} == {0, 1}
    # 45 days ago some documents were open that are paid (or less open) now
    then, now = april.aging("ap", past), april.aging("ap", today)
    assert any(k not in now or now[k]["open"] != v["open"] for k, v in then.items()), figures


def test_statements_tie_out_on_postgres(sandbox_factory, finance_env, postgres_dsn):
    sb = sandbox_factory(lines=3000, seed=11)
    point_at(finance_env, sb, postgres_dsn=postgres_dsn, dataset="fin_pg", fiscal_start=7)
    today = _today()
    result = run_job(today)
    _assert_built_and_checked(result)
    wh = Warehouse(postgres_dsn=postgres_dsn, schema="fin_pg_finance")
    _assert_ties(Books(sb, start_month=7), wh, today)
    run_doc_queries(wh)
    # the marts are real Postgres tables in <dataset>_finance, staging in <dataset>_finance_staging
    kinds = {(r["table_schema"], r["table_type"]) for r in wh.rows(
        "SELECT table_schema, table_type FROM information_schema.tables WHERE table_schema LIKE 'fin_pg_finance%'")}
    assert kinds == {("fin_pg_finance", "BASE TABLE"), ("fin_pg_finance_staging", "BASE TABLE")}, kinds


def test_broken_books_fail_the_tie_out_checks(sandbox_factory, finance_env, tmp_path):
    """The checks can fail: an unbalanced entry and a wrong amount due in the raw tables are caught."""
    import duckdb

    sb = sandbox_factory(lines=600, seed=3)
    db = tmp_path / "warehouse.duckdb"
    point_at(finance_env, sb, duckdb_path=db)
    today = _today()
    _assert_built_and_checked(run_job(today))

    con = duckdb.connect(str(db))
    # drop one line of a posted entry (its entry no longer balances) and overstate one open bill's amount due
    line, entry = con.execute(
        "SELECT l.key, l.journal_entry_key FROM intacct.journal_entry_lines l JOIN intacct.journal_entries e "
        "ON e.key = l.journal_entry_key WHERE e.state = 'posted' ORDER BY l.key LIMIT 1").fetchone()
    con.execute("DELETE FROM intacct.journal_entry_lines WHERE key = ?", [line])
    bill = con.execute("SELECT key FROM intacct.ap_bills WHERE state IN ('posted', 'partiallyPaid') "
                       "ORDER BY key LIMIT 1").fetchone()[0]
    con.execute("UPDATE intacct.ap_bills SET total_base_amount_due = total_base_amount_due + 1 WHERE key = ?", [bill])
    con.close()

    result = run_job(today, only_finance=True)
    assert not result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations.get("assert_trial_balance_sums_to_zero") is False, evaluations
    assert evaluations.get("assert_ap_aging_ties_to_open_bills") is False, evaluations
    assert evaluations.get("assert_ar_aging_ties_to_open_invoices") is True, evaluations
    # statements are not rebuilt from a trial balance that does not balance (dbt build skips them)
    built = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "trial_balance" in built and not {"balance_sheet", "profit_and_loss"} & built, built
    text = failure_text(result)
    assert "finance check(s) (dbt tests) failed" in text and "assert_trial_balance_sums_to_zero" in text, text

    # books that balance, but a balance-sheet account presented as revenue: the balance sheet no longer balances
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM intacct.journal_entries WHERE key = ?", [entry])  # the unbalanced entry goes entirely
    con.execute("UPDATE intacct.ap_bills SET total_base_amount_due = total_base_amount_due - 1 WHERE key = ?", [bill])
    cash = con.execute("SELECT id FROM intacct.gl_accounts WHERE category = 'Cash and Cash Equivalents' "
                       "ORDER BY id LIMIT 1").fetchone()[0]
    con.close()
    result = run_job(today, only_finance=True, dbt_vars={"account_sections": {cash: "revenue"}})
    assert not result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations.get("assert_trial_balance_sums_to_zero") is True, evaluations
    assert evaluations.get("assert_balance_sheet_balances") is False, evaluations
    assert evaluations.get("assert_net_income_equals_earnings_movement") is True, evaluations
