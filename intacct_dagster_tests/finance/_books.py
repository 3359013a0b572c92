"""Finance statements computed independently, in Python, from the sandbox's own records (`Sandbox.rows`).

Nothing here reads the destination or shares code with the dbt project: the figures come from the records the
sandbox serves (what a top-level API user sees), with the accounting rules written out plainly, so a statement
built by dbt either equals these figures to the cent or the tests fail.

Rules (the same definitions docs/finance.md states): a journal entry is in the GL when its state is one of
GL_STATES; a line's entity is its entry's entity and its date the entry's posting date; balances are in base
currency, debit-positive; income-statement accounts restart each fiscal year, their previous year's result moving
to the retained earnings account they close to. Aging: a document's open amount on a date is its base total minus
the payment details applied to it on or before that date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

GL_STATES = {"posted", "reversalPending", "reversed", "reversal"}
DOC_STATES = {"posted", "partiallyPaid", "paid", "selected"}
ZERO = Decimal("0.00")
# The sandbox's account categories -> statement section, written out (the dbt project infers them by pattern).
SECTIONS = {
    "Cash and Cash Equivalents": "asset", "Accounts Receivable": "asset", "Inventory": "asset",
    "Prepaid Expenses": "asset", "Fixed Assets": "asset", "Accumulated Depreciation": "asset",
    "Other Assets": "asset", "Accounts Payable": "liability", "Accrued Liabilities": "liability",
    "Other Current Liabilities": "liability", "Long Term Debt": "liability", "Capital Stock": "equity",
    "Retained Earnings": "equity", "Revenue": "revenue", "Cost of Sales": "cost_of_sales",
    "Operating Expenses": "operating_expense",
}


def money(value) -> Decimal:
    return ZERO if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def month_of(d: dt.date) -> dt.date:
    return d.replace(day=1)


def next_month(m: dt.date) -> dt.date:
    return m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)


@dataclass
class Books:
    """The sandbox's books for a fiscal year starting in `start_month`."""

    sb: object
    start_month: int = 1
    accounts: dict = field(init=False)
    postings: list = field(init=False)  # (entity_key, department_key, account_key, month, debit, credit)

    def __post_init__(self) -> None:
        self.accounts = {a["key"]: a for a in self.sb.rows("general-ledger/account")}
        unknown = {a["category"] for a in self.accounts.values()} - set(SECTIONS)
        assert not unknown, f"sandbox account categories not in the test's table: {unknown}"
        entries = {e["key"]: e for e in self.sb.rows("general-ledger/journal-entry")}
        self.entity_currency = {e["key"]: e["baseCurrency.id"] for e in self.sb.rows("company-config/entity")}
        self.postings = []
        self.lines = []
        for line in self.sb.rows("general-ledger/journal-entry-line"):
            entry = entries.get(line["journalEntry.key"])
            if entry is None or entry["state"] not in GL_STATES:
                continue
            amount = money(line["baseAmount"])
            debit, credit = (amount, ZERO) if line["txnType"] == "debit" else (ZERO, amount)
            posted = day(entry["postingDate"])
            self.postings.append((entry["entity.key"], line["dimensions.department.key"], line["glAccount.key"],
                                  month_of(posted), debit, credit))
            self.lines.append({**line, "entity.key": entry["entity.key"], "postingDate": posted})
        re = [k for k, a in self.accounts.items() if a["category"] == "Retained Earnings"]
        assert len(re) == 1, re
        self.default_re = re[0]

    # ---------------------------------------------------------------- calendar
    def fiscal_year(self, m: dt.date) -> int:
        return m.year + (1 if self.start_month > 1 and m.month >= self.start_month else 0)

    def fiscal_period(self, m: dt.date) -> int:
        return (m.month - self.start_month) % 12 + 1

    def statement(self, account_key: str) -> str:
        return "income_statement" if self.accounts[account_key]["accountType"] == "incomeStatement" else "balance_sheet"

    def section(self, account_key: str) -> str:
        return SECTIONS[self.accounts[account_key]["category"]]

    def close_to(self, account_key: str) -> str:
        target = self.accounts[account_key].get("closeToGLAccount.key")
        return target if target in self.accounts else self.default_re

    # ---------------------------------------------------------------- trial balance
    def trial_balance(self, by_department: bool = False) -> dict[tuple, tuple]:
        """{(entity_key, [department_key,] account_key, month): (opening, debits, credits, closing)}, rows with
        something non-zero only."""
        activity: dict[tuple, list] = defaultdict(lambda: [ZERO, ZERO])
        first_month: dict[str, dt.date] = {}
        for ent, dept, acct, m, dr, cr in self.postings:
            key = (ent, dept if by_department else None, acct)
            activity[key + (m,)][0] += dr
            activity[key + (m,)][1] += cr
            first_month[ent] = min(first_month.get(ent, m), m)
        if not activity:
            return {}
        last = max(k[-1] for k in activity)
        series = {k[:-1] for k in activity}
        # retained earnings accounts receive the closes of the income-statement accounts that close to them
        series |= {(ent, dept, self.close_to(acct)) for ent, dept, acct in series
                   if self.statement(acct) == "income_statement"}
        out: dict[tuple, tuple] = {}
        for ent, dept, acct in sorted(series, key=str):
            balance = ZERO
            m = first_month[ent]
            while m <= last:
                close = ZERO
                if self.fiscal_period(m) == 1 and m > first_month[ent]:
                    close = self._year_end_close(ent, dept, acct, self.fiscal_year(m) - 1, by_department)
                opening = balance + close
                dr, cr = activity.get((ent, dept, acct, m), (ZERO, ZERO))
                balance = opening + dr - cr
                if opening or dr or cr or balance or close:
                    key = (ent, dept, acct, m) if by_department else (ent, acct, m)
                    out[key] = (opening, dr, cr, balance)
                m = next_month(m)
        return out

    def _year_end_close(self, ent, dept, acct, year, by_department) -> Decimal:
        """What moves into (+) or out of (-) an account when fiscal `year` is closed."""
        results, closed_into = self._results(by_department)
        key = (ent, dept if by_department else None)
        return closed_into.get(key + (acct, year), ZERO) - results.get(key + (acct, year), ZERO)

    def _results(self, by_department: bool) -> tuple[dict, dict]:
        """Income-statement results per (entity, department, account, fiscal year), and what each retained
        earnings account receives from them."""
        cache = self.__dict__.setdefault("_results_cache", {})
        if by_department not in cache:
            results: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
            closed_into: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
            for e, d, a, m, dr, cr in self.postings:
                if self.statement(a) != "income_statement":
                    continue
                d = d if by_department else None
                results[(e, d, a, self.fiscal_year(m))] += dr - cr
                closed_into[(e, d, self.close_to(a), self.fiscal_year(m))] += dr - cr
            cache[by_department] = (dict(results), dict(closed_into))
        return cache[by_department]

    # ---------------------------------------------------------------- statements
    def profit_and_loss(self) -> dict[tuple, tuple]:
        """{(entity_key, account_key, month): (net income contribution, ytd contribution)}."""
        return {(e, a, m): (cr - dr, -closing)
                for (e, a, m), (_, dr, cr, closing) in self.trial_balance().items()
                if self.statement(a) == "income_statement" and (dr or cr or closing)}

    def net_income(self) -> dict[tuple, Decimal]:
        out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for e, _, a, m, dr, cr in self.postings:
            if self.statement(a) == "income_statement":
                out[(e, m)] += cr - dr
        return dict(out)

    def balance_sheet(self) -> dict[tuple, Decimal]:
        """{(entity_key, month, section): amount} with assets debit-positive and liabilities/equity
        credit-positive; equity includes retained and current-year earnings."""
        out: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
        for (e, a, m), (_, _, _, closing) in self.trial_balance().items():
            if self.statement(a) == "balance_sheet":
                section = self.section(a)
                out[(e, m, section)] += closing if section == "asset" else -closing
            else:
                out[(e, m, "equity")] -= closing  # current-year earnings
        return dict(out)

    def earnings(self) -> dict[tuple, Decimal]:
        """{(entity_key, month): retained (closed) + current-year earnings}, credit-positive: all income-statement
        results since the entity's first period up to the month."""
        out: dict[tuple, Decimal] = {}
        months = sorted({m for _, _, _, m, _, _ in self.postings})
        entities = {e for e, *_ in self.postings}
        ni = self.net_income()
        for e in entities:
            running = ZERO
            m = min(m for ee, _, _, m, _, _ in self.postings if ee == e)
            while m <= months[-1]:
                running += ni.get((e, m), ZERO)
                out[(e, m)] = running
                m = next_month(m)
        return out

    # ---------------------------------------------------------------- aging
    def aging(self, kind: str, as_of: dt.date) -> dict[str, dict]:
        """{document key: {entity, open, bucket, due}} of documents open on `as_of`."""
        if kind == "ap":
            docs, details, ref, pay_ref = ("accounts-payable/bill", "accounts-payable/payment-detail", "bill.key",
                                           "apPayment.key")
            doc_date = lambda d: d["postingDate"] or d["createdDate"]  # noqa: E731
            payments = {p["key"]: p for p in self.sb.rows("accounts-payable/payment")}
        else:
            docs, details, ref, pay_ref = ("accounts-receivable/invoice", "accounts-receivable/payment-detail",
                                           "arInvoice.key", "arPayment.key")
            doc_date = lambda d: d["invoiceDate"]  # noqa: E731
            payments = {p["key"]: p for p in self.sb.rows("accounts-receivable/payment")}
        good_payment = {k for k, p in payments.items() if p["state"] not in
                        ("draft", "submitted", "partiallyApproved", "approved", "declined", "voided", "printVoided",
                         "reversed", "reversal")}
        applied: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for d in self.sb.rows(details):
            if d.get(ref) and d.get("state", "confirmed") != "draft" and d[pay_ref] in good_payment \
                    and day(d["paymentDate"]) <= as_of:
                applied[d[ref]] += money(d["baseCurrency.paymentAmount"])
        out = {}
        for doc in self.sb.rows(docs):
            if doc["state"] not in DOC_STATES or day(doc_date(doc)) > as_of:
                continue
            open_amount = money(doc["totalBaseAmount"]) - applied[doc["key"]]
            if not open_amount:
                continue
            late = (as_of - day(doc["dueDate"] or doc_date(doc))).days
            bucket = ("current" if late <= 0 else "1-30" if late <= 30 else "31-60" if late <= 60
                      else "61-90" if late <= 90 else "over_90")
            out[doc["key"]] = {"entity": doc["entity.key"], "open": open_amount, "bucket": bucket,
                               "due": money(doc["totalBaseAmountDue"])}
        return out
