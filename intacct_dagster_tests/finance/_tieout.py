"""Compare every statement in the warehouse with the independent figures of `_books.Books`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from intacct_dagster_tests.finance._books import ZERO, Books
from intacct_dagster_tests.finance._run import Warehouse, _norm, as_dict, cents, diff


def tie_out(books: Books, wh: Warehouse, as_of: dt.date) -> tuple[list[str], dict]:
    """(problems, figures): problems is empty when every statement equals the independent figures."""
    problems: list[str] = []
    figures: dict = {}

    # general ledger: the posted lines, their base amounts, and foreign-currency lines among them
    gl = wh.rows("SELECT entity_key, count(*) AS n, sum(debit_amount) AS debits, sum(credit_amount) AS credits, "
                 "sum(CASE WHEN txn_currency <> base_currency THEN 1 ELSE 0 END) AS foreign_lines, "
                 "min(base_currency) AS base_currency, max(base_currency) AS base_currency_max "
                 "FROM {s}.general_ledger GROUP BY entity_key")
    expected_gl: dict = defaultdict(lambda: [0, ZERO, ZERO, 0])
    for line in books.lines:
        g = expected_gl[line["entity.key"]]
        g[0] += 1
        amount = cents(line["baseAmount"])
        g[1 if line["txnType"] == "debit" else 2] += amount
        g[3] += line["currency.txnCurrency"] != line["currency.baseCurrency"]
    actual_gl = {r["entity_key"]: [int(r["n"]), cents(r["debits"]), cents(r["credits"]), int(r["foreign_lines"])]
                 for r in gl}
    problems += diff({k: tuple(v) for k, v in expected_gl.items()}, {k: tuple(v) for k, v in actual_gl.items()},
                     "general_ledger (lines, debits, credits, foreign-currency lines)")
    for r in gl:  # one base currency per entity: the entity's own
        if not (r["base_currency"] == r["base_currency_max"] == books.entity_currency.get(r["entity_key"])):
            problems.append(f"general_ledger entity {r['entity_key']}: base currency {r['base_currency']}/"
                            f"{r['base_currency_max']}, entity's is {books.entity_currency.get(r['entity_key'])}")
    figures["gl_lines"] = sum(v[0] for v in expected_gl.values())
    figures["gl_foreign_currency_lines"] = sum(v[3] for v in expected_gl.values())
    figures["gl_debits"] = str(sum((v[1] for v in expected_gl.values()), ZERO))

    # trial balance, entity and department grain
    tb = books.trial_balance()
    problems += diff(tb, as_dict(wh.rows("SELECT * FROM {s}.trial_balance"),
                                 ("entity_key", "gl_account_key", "period_start"),
                                 ("opening_balance", "debits", "credits", "closing_balance")), "trial_balance")
    problems += diff(books.trial_balance(by_department=True),
                     as_dict(wh.rows("SELECT * FROM {s}.trial_balance_by_department"),
                             ("entity_key", "department_key", "gl_account_key", "period_start"),
                             ("opening_balance", "debits", "credits", "closing_balance")),
                     "trial_balance_by_department")
    figures["trial_balance_rows"] = len(tb)
    last = max(k[2] for k in tb)
    figures["last_period"] = last.isoformat()
    figures["closing_debit_balances_last_period"] = str(sum((v[3] for k, v in tb.items() if k[2] == last and v[3] > 0),
                                                            ZERO))

    # profit and loss
    pl = books.profit_and_loss()
    problems += diff(pl, as_dict(wh.rows("SELECT * FROM {s}.profit_and_loss"),
                                 ("entity_key", "gl_account_key", "period_start"),
                                 ("net_income_amount", "ytd_net_income_amount")), "profit_and_loss")
    ytd_last = defaultdict(lambda: ZERO)
    for (e, _, m), (_, ytd) in pl.items():
        if m == last:
            ytd_last[e] += ytd
    figures["ytd_net_income_last_period"] = {e: str(v) for e, v in sorted(ytd_last.items())}

    # balance sheet: section totals, and its earnings lines against cumulative net income
    bs = {k: v for k, v in books.balance_sheet().items() if v}
    actual_bs = {(r["entity_key"], r["period_start"], r["statement_section"]): cents(r["amount"])
                 for r in wh.rows("SELECT entity_key, period_start, statement_section, sum(amount) AS amount "
                                  "FROM {s}.balance_sheet GROUP BY entity_key, period_start, statement_section")}
    problems += diff({k: (v,) for k, v in bs.items()},
                     {(e, _norm(m), s): (v,) for (e, m, s), v in actual_bs.items() if v},
                     "balance_sheet section total")
    for (e, m, section), v in bs.items():
        if section == "asset" and v != bs.get((e, m, "liability"), ZERO) + bs.get((e, m, "equity"), ZERO):
            problems.append(f"independent balance sheet does not balance: {e} {m}")
    earnings = wh.rows("SELECT entity_key, period_start, sum(amount) AS amount FROM {s}.balance_sheet "
                       "WHERE line_type IN ('retained_earnings', 'current_year_earnings') "
                       "GROUP BY entity_key, period_start")
    problems += diff({k: (v,) for k, v in books.earnings().items()},
                     {(r["entity_key"], _norm(r["period_start"])): (cents(r["amount"]),) for r in earnings},
                     "balance_sheet earnings (retained + current year)")
    figures["total_assets_last_period"] = {e: str(v) for (e, m, s), v in sorted(bs.items(), key=str)
                                           if m == last and s == "asset"}

    # aging, per document and against the documents' own amount due
    for kind, table, key in (("ap", "ap_aging", "bill_key"), ("ar", "ar_aging", "invoice_key")):
        expected = books.aging(kind, as_of)
        actual = wh.rows(f"SELECT * FROM {{s}}.{table}")
        problems += diff({k: (v["entity"], v["open"], v["bucket"]) for k, v in expected.items()},
                         {r[key]: (r["entity_key"], cents(r["open_base_amount"]), r["aging_bucket"]) for r in actual},
                         table)
        buckets: dict = defaultdict(lambda: ZERO)
        for v in expected.values():
            buckets[v["bucket"]] += v["open"]
        figures[f"{kind}_open_documents"] = len(expected)
        figures[f"{kind}_aging"] = {b: str(v) for b, v in sorted(buckets.items())}
        figures[f"{kind}_open_total"] = str(sum(buckets.values(), ZERO))
    return problems, figures


def aging_equals_amount_due(books: Books, as_of: dt.date) -> list[str]:
    """On the sandbox's own date (nothing paid after it) the open amounts equal each document's amount due."""
    problems = []
    for kind in ("ap", "ar"):
        for key, v in books.aging(kind, as_of).items():
            if v["open"] != v["due"]:
                problems.append(f"{kind} {key}: open {v['open']} != totalBaseAmountDue {v['due']}")
    return problems[:10]



def doc_queries() -> list[str]:
    """Every ```sql block of docs/finance.md, one statement each."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "finance.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    return [q.strip() for b in blocks for q in b.split(";") if q.strip()]


def run_doc_queries(wh) -> dict[str, int]:
    """Run the documentation's example queries (schema intacct_finance renamed to the warehouse's): each must
    work and return rows."""
    counts = {}
    for q in doc_queries():
        rows = wh.rows(q.replace("intacct_finance.", "{s}."))
        assert rows, f"documentation query returned nothing:\n{q}"
        counts[q.splitlines()[0][:60]] = len(rows)
    return counts
