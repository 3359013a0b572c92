"""Data of the objects added in ``object_defs._more_objects`` (cash, contracts, fixed assets, adjustments,
budgets, exchange rates, tax, security, and the reference objects that used to be hidden tables).

Built after everything else, with its own random stream (``Random(seed + 7_000_003)``), so the data of the
older objects is the same for a given seed as before these objects existed. Sizes are modest and scale with
``lines`` (capped), references stay inside a record's entity, amounts add up (a contract's total is the sum of
its lines, an adjustment's dues follow its state), and exchange rates are the same rates the journal entries,
bills and invoices use (``data_generator.rate_micro``). ``create(path, now)`` makes one more record at runtime
(``Sandbox.create``) with the same factories.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .data_generator import (
    ACCOUNTS,
    CITIES,
    CUR_INDEX,
    CURRENCIES,
    DAY,
    ENTITIES,
    EXPENSE_ROWS,
    RATE_TYPE,
    REVENUE_ROWS,
    SPAN_DAYS,
    USERS,
    rate_micro,
    rate_text,
    to_base,
)
from .store import epoch_to_ordinal, frag_cents, money_frag

if TYPE_CHECKING:
    from .data_generator import Generator

ACC_ROW = {a[0]: i for i, a in enumerate(ACCOUNTS)}
JOURNALS = {"GJ": 0, "APJ": 1, "ARJ": 2, "ADJ": 3}
BANKS = ("First National Bank", "Barclays", "Royal Bank of Canada", "Silicon Valley Bank", "HSBC")
RATE_TYPES = (("Intacct Daily Rate", True), ("Corporate Budget Rate", False), ("Spot Rate", False))
ROLES = (("Administrator", "Full access to every application"), ("Controller", "Close, consolidation, reporting"),
         ("AP Clerk", "Enter bills and payments"), ("AR Clerk", "Invoices, receipts and collections"),
         ("Auditor", "Read-only access for the external audit"), ("Web Services", "Integrations (API only)"))
ACCOUNT_GROUPS = (("CASH", "Cash and Cash Equivalents", "debit", "accounts"),
                  ("AR", "Receivables", "debit", "accounts"), ("AP", "Payables", "credit", "accounts"),
                  ("REVENUE", "Revenue", "credit", "accounts"), ("COGS", "Cost of Sales", "debit", "accounts"),
                  ("OPEX", "Operating Expenses", "debit", "accounts"),
                  ("GROSS_MARGIN", "Gross Margin", "credit", "groups"), ("NET_INCOME", "Net Income", "credit", "groups"),
                  ("ASSETS", "Total Assets", "debit", "groups"), ("KPI_HEADCOUNT", "Headcount", "debit", "computation"))
TAXES = (("CA-SALES", "California State Sales Tax", "7.25", "sale", "standard", "E1"),
         ("NY-SALES", "New York State Sales Tax", "4.00", "sale", "standard", "E1"),
         ("UK-VAT-STD", "UK VAT Standard Rate", "20.00", "sale", "standard", "E2"),
         ("UK-VAT-RED", "UK VAT Reduced Rate", "5.00", "sale", "reduced", "E2"),
         ("UK-VAT-ZERO", "UK VAT Zero Rate", "0.00", "sale", "zero", "E2"),
         ("UK-VAT-PUR", "UK VAT on Purchases", "20.00", "purchase", "standard", "E2"),
         ("CA-GST", "Canada GST", "5.00", "sale", "federal", "E3"),
         ("ON-HST", "Ontario HST", "13.00", "sale", "standard", "E3"))
DEPRECIATION = (("SL", "Straight Line"), ("DB150", "150% Declining Balance"), ("DB200", "200% Declining Balance"),
                ("SYD", "Sum of the Years' Digits"))
CLASSES = (("BLDG", "Buildings", "6000"), ("COMP", "Computer Equipment", "6010"), ("FURN", "Furniture and Fixtures",
                                                                                     "6020"),
           ("VEH", "Vehicles", "6030"), ("SOFT", "Software", "6040"))
CONTRACT_TYPES = (("Subscription", "Recurring software subscriptions"), ("Services", "Professional services"),
                  ("Maintenance", "Support and maintenance"), ("Evergreen", None))
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def sizes(lines: int) -> dict[str, int]:
    return {"bank_txns": min(20_000, max(60, lines // 5)), "contracts": min(2_000, max(8, lines // 100)),
            "assets": min(2_000, max(12, lines // 100)), "ap_adjustments": min(5_000, max(10, lines // 50)),
            "ar_adjustments": min(5_000, max(10, lines // 50)), "approvals": min(500, max(20, lines // 100))}


def _ordinal(y: int, m: int, d: int = 1) -> int:
    return dt.date(y, m, d).toordinal()


def _month_end(y: int, m: int) -> int:
    return _ordinal(y + (m == 12), m % 12 + 1) - 1


class MoreData:
    """Builds and extends the added objects; uses the generator's random stream (``gen.rng``), which the
    generator swaps for a stream of its own while ``build`` runs."""

    def __init__(self, gen: Generator):
        self.gen = gen
        self.store = gen.store
        self.factories = {
            "accounts-payable/vendor-type": self.vendor_type, "accounts-receivable/customer-type": self.customer_type,
            "general-ledger/journal": self.journal, "company-config/user": self.user,
            "company-config/contact": self.contact, "company-config/role": self.role,
            "company-config/exchange-rate-type": self.rate_type, "company-config/exchange-rate": self.exchange_rate,
            "company-config/exchange-rate-line": self.rate_line, "company-config/employee-rate": self.employee_rate,
            "cash-management/checking-account": self.checking, "cash-management/savings-account": self.savings,
            "cash-management/credit-card-account": self.credit_card,
            "cash-management/bank-transaction": self.bank_txn, "contracts/contract-type": self.contract_type,
            "contracts/contract": self.contract, "contracts/contract-line": self.contract_line,
            "fixed-assets/depreciation-method": self.depreciation_method,
            "fixed-assets/asset-classification": self.classification, "fixed-assets/asset": self.asset,
            "accounts-payable/adjustment": self.ap_adjustment, "accounts-receivable/adjustment": self.ar_adjustment,
            "general-ledger/account-group": self.account_group, "general-ledger/budget": self.budget,
            "general-ledger/budget-detail": self.budget_detail, "tax/tax-detail": self.tax_detail,
            "time/timesheet-rule": self.timesheet_rule, "time/timesheet-approval-record": self.approval,
        }
        self._periods: dict[tuple[int, int], int] = {}

    # ------------------------------------------------------------------------------------------ helpers
    @property
    def r(self):
        return self.gen.rng.random

    def t(self, path: str):
        return self.store.table(path)

    def _audit(self, now: int | None, created: int | None = None) -> dict:
        g = self.gen
        if now is not None:
            c = m = now
        else:
            c = created if created is not None else g.t0 + int(self.r() * SPAN_DAYS * DAY * 0.9)
            m = c if self.r() < 0.5 else c + int(self.r() * (g.anchor - c))
        return g._audit(c, m)

    def _day(self, now: int | None, back_days: int = SPAN_DAYS) -> int:
        """A business date: today for runtime creates, else within the last ``back_days`` days."""
        today = epoch_to_ordinal(self.gen.anchor if now is None else now)
        return today if now is not None else today - 1 - int(self.r() * back_days)

    def _created_on(self, day: int) -> int:
        return (day - epoch_to_ordinal(0)) * DAY + int(self.r() * DAY)

    def _ent_rows(self, path: str, ent: int) -> list[int]:
        return self.gen._eligible(path, ent)

    def _pick(self, path: str, ent: int | None = None, none: float = 0.0) -> int:
        return self.gen._pick(path, none, ent)

    def _append(self, path: str, rec: dict) -> int:
        return self.t(path).append(rec)

    def _period(self, ordinal: int) -> int:
        d = dt.date.fromordinal(ordinal)
        row = self._periods.get((d.year, d.month))
        if row is None:
            row = self._periods[(d.year, d.month)] = self._append("general-ledger/reporting-period", {
                "id": f"Month Ended {MONTHS[d.month - 1]} {d.year}",
                "name": f"Month Ended {MONTHS[d.month - 1]} {d.year}",
                "startDate": _ordinal(d.year, d.month), "endDate": _month_end(d.year, d.month)})
        return row

    # ------------------------------------------------------------------------------------------ build
    def build(self, lines: int) -> None:
        st = self.store
        n = sizes(lines)
        self._fill_existing()
        first = epoch_to_ordinal(self.gen.t0)
        d = dt.date.fromordinal(first)
        y, m = d.year, d.month
        last = dt.date.fromordinal(epoch_to_ordinal(self.gen.anchor) + 366)
        while (y, m) <= (last.year, last.month):
            self._period(_ordinal(y, m))
            y, m = (y + (m == 12), m % 12 + 1)
        for path, count in (("company-config/role", len(ROLES)), ("company-config/exchange-rate-type", 3),
                            ("general-ledger/account-group", len(ACCOUNT_GROUPS)), ("tax/tax-detail", len(TAXES)),
                            ("fixed-assets/depreciation-method", len(DEPRECIATION)),
                            ("fixed-assets/asset-classification", len(CLASSES)),
                            ("contracts/contract-type", len(CONTRACT_TYPES))):
            for _ in range(count):
                self.create(path)
        for i, (a, _, _) in enumerate(CURRENCIES):  # Intacct Daily Rate between every pair, monthly lines
            for b, _, _ in CURRENCIES[i + 1:]:
                for f, to in ((a, b), (b, a)):
                    self.exchange_rate(None, pair=(f, to), months=24)
        for ent in range(len(ENTITIES)):
            self.checking(None, ent=ent, purpose="Operating")
            self.checking(None, ent=ent, purpose="Payroll")
            self.savings(None, ent=ent)
            self.credit_card(None, ent=ent)
        for path, key in (("cash-management/bank-transaction", "bank_txns"), ("contracts/contract", "contracts"),
                          ("fixed-assets/asset", "assets"), ("accounts-payable/adjustment", "ap_adjustments"),
                          ("accounts-receivable/adjustment", "ar_adjustments")):
            for _ in range(n[key]):
                self.create(path)
        year = dt.date.fromordinal(epoch_to_ordinal(self.gen.anchor)).year
        for y, default in ((year, True), (year - 1, False)):
            self.budget(None, year=y, default=default)
        emp = st.table("company-config/employee")
        for e in range(emp.n):
            self.employee_rate(None, employee=e, history=self.r() < 0.4)
        for _ in range(2):
            self.create("time/timesheet-rule")
        for _ in range(n["approvals"]):
            self.create("time/timesheet-approval-record")

    def create(self, path: str, now: int | None = None) -> int:
        return self.factories[path](now)

    def _fill_existing(self) -> None:
        """Values of the reference objects the main generator made as bare id/name rows."""
        st = self.store
        for path in ("accounts-payable/vendor-type", "accounts-receivable/customer-type", "general-ledger/journal",
                     "company-config/user", "company-config/contact"):
            t = st.table(path)
            for row in range(t.n):
                for k, v in self._fields_of(path, row, t.cols["id"][row], None).items():
                    if k in t.cols:
                        t.set(k, row, v)

    def _fields_of(self, path: str, row: int, ident: str, now: int | None) -> dict:
        """The values (beyond id) of one reference-object row."""
        g = self.gen
        if path == "company-config/contact":
            return {"printAs": ident, "companyName": ident, "status": "active", "showInContactList": True}
        audit = self._audit(now, created=g.t0 if now is None else None)
        if path == "accounts-payable/vendor-type":
            return {"status": "active", "form1099.type": "NEC" if ident == "Contractor" else "MISC",
                    "form1099.box": ("1", "7", "3", "6")[row % 4], **audit}
        if path == "accounts-receivable/customer-type":
            return {"status": "active", **audit}
        if path == "general-ledger/journal":
            return {"status": "active", "bookId": "ACCRUAL", "bookType": "accrual", "isAdjustment": ident == "ADJ",
                    "isBillable": ident == "GJ", "disallowDirectPosting": ident in ("APJ", "ARJ"), **audit}
        if path == "company-config/user":
            name = dict(USERS).get(ident, ident)
            api = ident in ("ws_user", "import_bot")
            return {"userName": name, "accountEmail": f"{ident}@sandbox.example.com",
                    "userType": "business", "adminPrivileges": "full" if ident == "ws_user" else (
                        "limited" if row % 2 else "off"),
                    "status": "active" if row != 4 else "lockedOut", "webServices.isEnabled": api,
                    "entityAccess.allowUnrestrictedAccess": True, "entityAccess.allowTopLevelAccess": True, **audit}
        raise KeyError(path)

    def _reference(self, path: str, ident: str, now: int | None, extra: dict | None = None) -> int:
        t = self.t(path)
        return t.append({"id": ident, "name": ident, **(extra or {}), **self._fields_of(path, t.n, ident, now)})

    # ------------------------------------------------------------------------------------------ reference objects
    def vendor_type(self, now):
        return self._reference("accounts-payable/vendor-type", f"Vendor type {self.t('accounts-payable/vendor-type').n + 1}",
                               now)

    def customer_type(self, now):
        return self._reference("accounts-receivable/customer-type",
                               f"Customer type {self.t('accounts-receivable/customer-type').n + 1}", now)

    def journal(self, now):
        n = self.t("general-ledger/journal").n
        return self._reference("general-ledger/journal", f"J{n + 1:02d}", now, {"name": f"Journal {n + 1}"})

    def user(self, now):
        n = self.t("company-config/user").n
        return self._reference("company-config/user", f"user{n + 1}", now)

    def contact(self, now):
        n = self.t("company-config/contact").n
        city, country = CITIES[n % len(CITIES)]
        return self._reference("company-config/contact", f"Contact {n + 1}", now, {
            "email1": f"contact{n + 1}@example.com", "phone1": f"+1-555-{1000 + n % 9000}",
            "mailingAddress.city": city, "mailingAddress.country": country})

    def role(self, now):
        n = self.t("company-config/role").n
        name, descr = ROLES[n] if n < len(ROLES) else (f"Role {n + 1}", f"Custom role {n + 1}")
        return self._append("company-config/role", {
            "id": name, "description": descr, "roleType": "enterprise",
            "applyTo": "loginOnly" if name == "Web Services" else "loginAndSlideIn", **self._audit(now)})

    def account_group(self, now):
        n = self.t("general-ledger/account-group").n
        gid, title, nb, gtype = ACCOUNT_GROUPS[n] if n < len(ACCOUNT_GROUPS) else (
            f"GROUP_{n + 1}", f"Account group {n + 1}", "debit", "accounts")
        return self._append("general-ledger/account-group", {
            "id": gid, "title": title, "displayTotalLineAs": f"Total {title}", "manager": USERS[n % len(USERS)][1],
            "normalBalance": nb, "groupType": gtype, "calculationMethod": "period", "isKPI": gtype == "computation",
            "includeChildAmount": gtype == "groups", **self._audit(now)})

    def tax_detail(self, now):
        n = self.t("tax/tax-detail").n
        tid, descr, pct, ttype, rate, _ = TAXES[n] if n < len(TAXES) else (
            f"TAX-{n + 1}", f"Tax {n + 1}", "1.00", "sale", "standard", "E1")
        return self._append("tax/tax-detail", {
            "id": tid, "status": "active", "taxUniqueId": f"{tid}-{n + 1:03d}", "taxRate": rate, "taxType": ttype,
            "amountToTax": "fullAmount", "description": descr, "taxPercent": f"{pct}000000",
            "reverseCharge": False, "useExpenseAccount": ttype == "purchase", "isSystemGenerated": False,
            "glAccount": ACC_ROW["2200"]})

    def depreciation_method(self, now):
        n = self.t("fixed-assets/depreciation-method").n
        mid, name = DEPRECIATION[n] if n < len(DEPRECIATION) else (f"M{n + 1}", f"Method {n + 1}")
        return self._append("fixed-assets/depreciation-method", {"id": mid, "name": name, **self._audit(now)})

    def classification(self, now):
        n = self.t("fixed-assets/asset-classification").n
        cid, name, exp = CLASSES[n] if n < len(CLASSES) else (f"CL{n + 1}", f"Class {n + 1}", "6050")
        return self._append("fixed-assets/asset-classification", {
            "id": cid, "name": name, "status": "active", "assetGLAccount": ACC_ROW["1500"],
            "accumulatedDepreciationGLAccount": ACC_ROW["1600"], "depreciationExpenseGLAccount": ACC_ROW[exp],
            **self._audit(now)})

    def contract_type(self, now):
        n = self.t("contracts/contract-type").n
        cid, descr = CONTRACT_TYPES[n] if n < len(CONTRACT_TYPES) else (f"Type {n + 1}", None)
        return self._append("contracts/contract-type", {"id": cid, "description": descr, "status": "active",
                                                        **self._audit(now)})

    # ------------------------------------------------------------------------------------------ exchange rates
    def rate_type(self, now):
        n = self.t("company-config/exchange-rate-type").n
        name, default = RATE_TYPES[n] if n < len(RATE_TYPES) else (f"Rate type {n + 1}", False)
        return self._append("company-config/exchange-rate-type", {"name": name, "isDefault": default,
                                                                  **self._audit(now, self.gen.t0)})

    def exchange_rate(self, now, pair: tuple[str, str] | None = None, months: int = 1):
        t = self.t("company-config/exchange-rate")
        if pair is None:
            i = int(self.r() * len(CURRENCIES))
            pair = (CURRENCIES[i][0], CURRENCIES[(i + 1) % len(CURRENCIES)][0])
        row = t.append({"fromCurrency": pair[0], "toCurrency": pair[1], "exchangeRateType": 0,
                        **self._audit(now, self.gen.t0)})
        today = dt.date.fromordinal(epoch_to_ordinal(self.gen.anchor if now is None else now))
        y, m = today.year, today.month
        for _ in range(months):
            self.rate_line(now, rate=row, day=_ordinal(y, m))
            y, m = (y - (m == 1), (m - 2) % 12 + 1)
        return row

    def rate_line(self, now, rate: int | None = None, day: int | None = None):
        t = self.t("company-config/exchange-rate-line")
        if rate is None:
            rate = self._pick("company-config/exchange-rate")
        if day is None:
            day = self._day(now)
        er = self.t("company-config/exchange-rate")
        micro = rate_micro(er.cols["fromCurrency"][rate], er.cols["toCurrency"][rate], day)
        created = self._created_on(day) if now is None else now
        return t.append({"exchangeRate": rate, "effectiveStartDate": day, "rate": rate_text(micro),
                         "reciprocalRate": f"{1_000_000 / micro:.6f}",
                         **self._audit(now, min(created, self.gen.anchor - 1))})

    def employee_rate(self, now, employee: int | None = None, history: bool = False):
        t = self.t("company-config/employee-rate")
        emp = self.t("company-config/employee")
        if employee is None:
            employee = self._pick("company-config/employee")
        start = emp.cols["startDate"][employee] or self._day(now)
        hourly = 2500 + int(self.r() * 9000)  # cents
        ent = emp.cols["entity"][employee]
        row = -1
        periods = [(start, start + 364), (start + 365, _ordinal(9999, 12, 31))] if history else [
            (start, _ordinal(9999, 12, 31))]
        for i, (s, e) in enumerate(periods):
            rate = hourly + i * int(hourly * 0.04)
            row = t.append({"employee": employee, "entity": ent, "hourlyRate": rate,
                            "annualSalary": f"{rate * 2080 // 100}.00" if self.r() < 0.7 else None,
                            "startDate": s, "endDate": e, **self._audit(now)})
        return row

    # ------------------------------------------------------------------------------------------ cash management
    def _bank_account(self, ident: str, name: str, kind: str, currency: str) -> int:
        return self.t("cash-management/bank-account").append({"id": ident, "name": name, "accountType": kind,
                                                               "currency": currency})

    def _loc(self, ent: int) -> int:
        rows = [r for r in self._ent_rows("company-config/location", ent)
                if self.t("company-config/location").cols["entity"][r] == ent]
        return rows[0] if rows else -1

    def checking(self, now, ent: int | None = None, purpose: str = "Operating"):
        t = self.t("cash-management/checking-account")
        ent = int(self.r() * len(ENTITIES)) if ent is None else ent
        eid, _, cur, country = ENTITIES[ent]
        n = t.n
        bank = BANKS[(ent + n) % len(BANKS)]
        ident = f"CHK-{eid}-{purpose[:3].upper()}" if n < 2 * len(ENTITIES) else f"CHK-{n + 1:03d}"
        city = {"E1": "San Jose", "E2": "London", "E3": "Toronto"}[eid]
        day = self._day(now, 40)
        self._bank_account(ident, f"{bank} {purpose}", "bank", cur)
        return t.append({
            "id": ident, "status": "active", "bankAccountDetails.accountNumber": f"{40_000_000 + n * 7919:010d}",
            "bankAccountDetails.bankName": bank, "bankAccountDetails.routingNumber": f"{121_000_358 + ent:09d}",
            "bankAccountDetails.currency": cur, "bankAccountDetails.bankAddress.city": city,
            "bankAccountDetails.bankAddress.country": {"unitedStates": "United States",
                                                       "unitedKingdom": "United Kingdom"}.get(country, "Canada"),
            "accounting.disableInterEntityTransfer": False,
            "reconciliation.lastReconciledBalance": int(self.r() * 50_000_000) if now is None else None,
            "reconciliation.lastReconciledDate": _month_end(*divmod_month(day)) if now is None else 0,
            "accounting.glAccount": ACC_ROW["1010" if purpose == "Payroll" else "1000"],
            "accounting.apJournal": JOURNALS["APJ"], "accounting.arJournal": JOURNALS["ARJ"],
            "department": -1, "location": self._loc(ent), "entity": ent, **self._audit(now, self.gen.t0)})

    def savings(self, now, ent: int | None = None):
        t = self.t("cash-management/savings-account")
        ent = int(self.r() * len(ENTITIES)) if ent is None else ent
        eid, _, cur, _ = ENTITIES[ent]
        n = t.n
        bank = BANKS[(ent + 2) % len(BANKS)]
        ident = f"SAV-{eid}" if n < len(ENTITIES) else f"SAV-{n + 1:03d}"
        day = self._day(now, 40)
        self._bank_account(ident, f"{bank} Savings", "bank", cur)
        return t.append({
            "id": ident, "status": "active", "bankAccountDetails.accountNumber": f"{70_000_000 + n * 104_729:010d}",
            "bankAccountDetails.bankName": bank, "bankAccountDetails.routingNumber": f"{26_009_593 + ent:09d}",
            "bankAccountDetails.currency": cur, "reconciliation.lastReconciledBalance": int(self.r() * 200_000_000),
            "reconciliation.lastReconciledDate": _month_end(*divmod_month(day)),
            "accounting.glAccount": ACC_ROW["1000"], "entity": ent, **self._audit(now, self.gen.t0)})

    def credit_card(self, now, ent: int | None = None):
        t = self.t("cash-management/credit-card-account")
        ent = int(self.r() * len(ENTITIES)) if ent is None else ent
        eid, _, cur, _ = ENTITIES[ent]
        n = t.n
        card = ("americanExpress", "visa", "mastercard")[n % 3]
        ident = f"CC-{eid}" if n < len(ENTITIES) else f"CC-{n + 1:03d}"
        label = {"americanExpress": "Amex", "visa": "Visa", "mastercard": "Mastercard"}[card]
        self._bank_account(ident, f"Corporate {label} {eid}", "creditCard", cur)
        return t.append({
            "id": ident, "status": "active", "accountDetails.description": f"Corporate {label} card ({eid})",
            "accountDetails.cardType": card, "accountDetails.accountType": "credit",
            "accountDetails.expirationMonth": f"{n % 12 + 1:02d}",
            "accountDetails.expirationYear": str(dt.date.fromordinal(epoch_to_ordinal(self.gen.anchor)).year + 2),
            "accountDetails.currency": cur, "accounting.offsetGLAccount": ACC_ROW["2100"],
            "vendor": self._pick("accounts-payable/vendor", ent), "entity": ent, **self._audit(now, self.gen.t0)})

    def bank_txn(self, now):
        t = self.t("cash-management/bank-transaction")
        accounts = self.t("cash-management/bank-account")
        acc = int(self.r() * accounts.n)
        kind = accounts.cols["accountType"][acc]
        ent = self._account_entity(acc)
        day = self._day(now)
        r = self.r()
        if kind == "bank":
            txn_type = "deposit" if r < 0.4 else "withdrawal"
            party_path = "accounts-receivable/customer" if txn_type == "deposit" else "accounts-payable/vendor"
            doc_type = ("deposit" if txn_type == "deposit" else ("check", "ach", "wire")[int(self.r() * 3)])
        else:
            txn_type = "charge" if r < 0.85 else "payment"
            party_path = "accounts-payable/vendor"
            doc_type = "card"
        party = self._pick(party_path, ent)
        payee = self.t(party_path).cols["name"][party] if party >= 0 else "Bank"
        amount = int(self.r() * 2_500_000) + 500
        status = ("cleared", "matched", "unmatched", "partiallyMatched")[min(3, int(self.r() * 5) // 2)]
        to_match = {"cleared": 0, "matched": 0, "unmatched": amount, "partiallyMatched": amount // 3}[status]
        n = t.n
        created = self._created_on(day) if now is None else now
        descr = f"{doc_type.upper()} {payee}" if n % 53 != 7 else self.gen.hard_text()
        return t.append({
            "financialAccount": acc, "entity": ent, "txnType": txn_type, "postingDate": day, "documentType": doc_type,
            "documentNumber": f"{doc_type[:3].upper()}-{100_000 + n}", "amount": amount, "description": descr,
            "payee": payee, "txnId": f"BT{day}{n:07d}", "reconciliationInformation.status": status,
            "reconciliationInformation.amountToMatch": to_match,
            **self._audit(now, min(created, self.gen.anchor - 1))})

    def _account_entity(self, acc: int) -> int:
        ident = self.t("cash-management/bank-account").cols["id"][acc]
        for e, (eid, *_) in enumerate(ENTITIES):
            if f"-{eid}" in ident:
                return e
        return -1

    # ------------------------------------------------------------------------------------------ contracts
    def contract(self, now):
        t = self.t("contracts/contract")
        ent = int(self.r() * len(ENTITIES))
        base = ENTITIES[ent][2]
        cust = self._pick("accounts-receivable/customer", ent)
        cust_t = self.t("accounts-receivable/customer")
        start = self._day(now, SPAN_DAYS - 30)
        years = 1 + int(self.r() * 3)
        end = start + 365 * years - 1
        n = t.n
        state = "inProgress" if end >= epoch_to_ordinal(self.gen.anchor) else ("renewed", "notRenewed")[n % 2]
        if self.r() < 0.05:
            state = "canceled"
        ctype = int(self.r() * self.t("contracts/contract-type").n)
        row = t.append({
            "id": f"CON-{n + 1:05d}", "name": f"{cust_t.cols['name'][cust] if cust >= 0 else 'Customer'} "
                                              f"{('Subscription', 'Services', 'Support')[n % 3]} {years}y",
            "description": None if n % 4 else f"Master agreement {n + 1}", "status": "active", "state": state,
            "startDate": start, "endDate": end, "billingFrequency": ("monthly", "quarterly", "annually", None)[n % 4],
            "currency.baseCurrency": base, "currency.txnCurrency": base, "currency.exchangeRateType": RATE_TYPE,
            "isRenewable": ctype != 3, "contractType": ctype,
            "paymentTerm": int(self.r() * self.t("accounts-receivable/term").n),
            "contacts.billTo": cust_t.cols["contacts.default"][cust] if cust >= 0 else -1, "entity": ent,
            "contractTotalAmount": 0, "billedAmount": 0, **self._audit(now, self._created_on(start))})
        total = 0
        for i in range(1 + int(self.r() * 4)):
            line = self.contract_line(now, contract=row, number=i + 1)
            total += frag_cents(self.t("contracts/contract-line").cols["billing.flatFixedAmount"][line])
        elapsed = max(0, min(end, epoch_to_ordinal(self.gen.anchor if now is None else now)) - start)
        billed = total * elapsed // max(1, end - start + 1)
        t.set("contractTotalAmount", row, money_frag(total))
        t.set("billedAmount", row, money_frag(billed if state != "canceled" else billed // 2))
        return row

    def contract_line(self, now, contract: int | None = None, number: int | None = None):
        t = self.t("contracts/contract-line")
        c = self.t("contracts/contract")
        if contract is None:
            contract = self._pick("contracts/contract")
        start, end = c.cols["startDate"][contract], c.cols["endDate"][contract]
        ent = c.cols["entity"][contract]
        cur = c.cols["currency.baseCurrency"][contract]
        state = c.cols["state"][contract]
        line_state = {"inProgress": "inProgress", "canceled": "canceled", "notRenewed": "notRenewed"}.get(
            state, "completed")
        item = self._pick("inventory-control/item", ent, 0.2)
        item_name = self.t("inventory-control/item").cols["name"][item] if item >= 0 else None
        recurring = self.r() < 0.7
        number = number or 1 + sum(1 for r in range(t.n) if t.cols["contract"][r] == contract)
        return t.append({
            "contract": contract, "entity": ent, "state": line_state, "lineNumber": str(number),
            "startDate": start, "endDate": end, "itemDescription": item_name, "deliveryStatus": "delivered",
            "postingDate": start, "lineType": "discount" if number > 3 else "sale",
            "memo": None if self.r() < 0.6 else f"Line {number} of {c.cols['id'][contract]}",
            "isRecurring": recurring, "currency.baseCurrency": cur, "currency.txnCurrency": cur,
            "billing.frequency": c.cols["billingFrequency"][contract] if recurring else None,
            "billing.flatFixedAmount": (int(self.r() * 5_000_000) + 10_000) * (1 if number <= 3 else -1) // 10,
            "billing.startDate": start, "billing.endDate": end, "item": item,
            **self._audit(now, c.cols["audit.createdDateTime"][contract] if now is None else None)})

    # ------------------------------------------------------------------------------------------ fixed assets
    def asset(self, now):
        t = self.t("fixed-assets/asset")
        n = t.n
        cls = int(self.r() * len(CLASSES))
        cid, cname, exp = CLASSES[cls]
        ent = int(self.r() * len(ENTITIES))
        acquired = self._day(now, SPAN_DAYS)
        cost = int(self.r() * 20_000_000) + 50_000
        state = ("inService", "inService", "inService", "readyForReview", "disposed")[n % 5]
        return t.append({
            "id": f"FA-{n + 1:05d}", "name": f"{cname} #{n + 1}",
            "description": f"{cname} purchased {dt.date.fromordinal(acquired).isoformat()}", "state": state,
            "assetCost": cost, "salvageValue": cost // 10 if cid != "SOFT" else 0,
            "inServiceDate": acquired + int(self.r() * 20), "acquisitionDate": acquired,
            "serialNumber": f"SN-{cid}-{(n + 1) * 7919 % 1_000_000:06d}", "assetTag": f"TAG{n + 1:06d}",
            "quantity": 1 if cid != "FURN" else 1 + int(self.r() * 20), "isDepreciable": True,
            "type": "intangible" if cid == "SOFT" else "tangible", "status": "active" if state != "disposed" else
            "inactive", "notes": f"Classification {cid}" if n % 37 != 5 else self.gen.hard_text(),
            "assetGLAccount": ACC_ROW["1500"], "accumulatedDepreciationGLAccount": ACC_ROW["1600"],
            "depreciationExpenseGLAccount": ACC_ROW[exp],
            "dimensions.department": self._pick("company-config/department", None, 0.3),
            "dimensions.location": self._loc(ent), "entity": ent,
            **self._audit(now, min(self._created_on(acquired), self.gen.anchor - 1))})

    # ------------------------------------------------------------------------------------------ adjustments
    def _doc_currency(self, ent: int, day: int) -> tuple[str, str, int]:
        base = ENTITIES[ent][2]
        cur = CURRENCIES[(int(self.r() * 3) + 1 + CUR_INDEX[base]) % 4][0] \
            if self.r() < 0.12 else base
        return base, cur, rate_micro(cur, base, day)

    def ap_adjustment(self, now):
        t = self.t("accounts-payable/adjustment")
        n = t.n
        ent = int(self.r() * len(ENTITIES))
        day = self._day(now)
        base, cur, micro = self._doc_currency(ent, day)
        txn = -(int(self.r() * 500_000) + 1_000) if self.r() < 0.85 else int(self.r() * 200_000) + 1_000
        bas = to_base(txn, micro)
        paid = now is None and self.r() < 0.4
        vendor = self._pick("accounts-payable/vendor", ent)
        created = self._created_on(day) if now is None else now
        return t.append({
            "adjustmentNumber": f"{'DM' if txn < 0 else 'CM'}-{n + 1:06d}", "recordType": "pa",
            "state": "paid" if paid else "posted",
            "description": (f"{'Debit' if txn < 0 else 'Credit'} memo for returned goods" if n % 41 != 3
                            else self.gen.hard_text()), "createdDate": day, "isTaxInclusive": False,
            "totalEntered": bas, "totalBaseAmountDue": 0 if paid else bas, "txnTotalEntered": txn,
            "txnTotalDue": 0 if paid else txn, "currency.exchangeRateDate": day,
            "currency.exchangeRateTypeId": RATE_TYPE, "currency.exchangeRate": rate_text(micro),
            "currency.baseCurrency": base, "currency.txnCurrency": cur, "referenceNumber": f"RMA-{10_000 + n}",
            "moduleKey": "accountsPayable", "vendor": vendor, "entity": ent,
            **self._audit(now, min(created, self.gen.anchor - 1))})

    def ar_adjustment(self, now):
        t = self.t("accounts-receivable/adjustment")
        n = t.n
        ent = int(self.r() * len(ENTITIES))
        day = self._day(now)
        base, cur, micro = self._doc_currency(ent, day)
        txn = -(int(self.r() * 300_000) + 1_000) if self.r() < 0.8 else int(self.r() * 100_000) + 1_000
        bas = to_base(txn, micro)
        paid = now is None and self.r() < 0.35
        created = self._created_on(day) if now is None else now
        return t.append({
            "txnType": "ra", "adjustmentNumber": f"ARADJ-{n + 1:06d}" if n % 6 else None,
            "state": "paid" if paid else "posted",
            "description": None if n % 5 == 0 else ("Credit for early payment" if txn < 0 else "Late fee"),
            "documentNumber": f"ADJ-{n + 1:06d}", "baseCurrency.currency": base,
            "baseCurrency.totalAmountEntered": bas, "baseCurrency.totalDue": 0 if paid else bas,
            "txnCurrency.currency": cur, "txnCurrency.totalEntered": txn, "txnCurrency.totalDue": 0 if paid else txn,
            "exchangeRate.date": day, "exchangeRate.rate": rate_text(micro), "exchangeRate.typeId": RATE_TYPE,
            "moduleKey": "accountsReceivable", "createdDate": day, "glPostingDate": day,
            "customer": self._pick("accounts-receivable/customer", ent), "entity": ent,
            **self._audit(now, min(created, self.gen.anchor - 1))})

    # ------------------------------------------------------------------------------------------ budgets
    def budget(self, now, year: int | None = None, default: bool = False):
        t = self.t("general-ledger/budget")
        if year is None:
            year = dt.date.fromordinal(self._day(now)).year + 1
        n = t.n
        created = (_ordinal(year - 1, 11, 15) - epoch_to_ordinal(0)) * DAY
        created = min(created, (self.gen.anchor if now is None else now) - DAY)
        row = t.append({
            "id": f"FY{year}-OPS" if n < 2 else f"FY{year}-OPS-{n + 1}", "description": f"FY{year} operating budget",
            "isDefault": default, "status": "active", "consolidateAmounts": False, "currency": "USD",
            "postProjectEstimate": False, "postProjectContract": False, "systemGenerated": "false",
            "submitterName": USERS[2][1], "entity": -1, **self._audit(now, created)})
        accounts = list(REVENUE_ROWS)[:6] + list(EXPENSE_ROWS)[:10]
        for m in range(1, 13):
            period = self._period(_ordinal(year, m))
            for a in accounts:
                self.budget_detail(now, budget=row, account=a, period=period)
        return row

    def budget_detail(self, now, budget: int | None = None, account: int | None = None, period: int | None = None):
        t = self.t("general-ledger/budget-detail")
        b = self.t("general-ledger/budget")
        if budget is None:
            budget = self._pick("general-ledger/budget")
        if account is None:
            account = list(EXPENSE_ROWS)[int(self.r() * len(EXPENSE_ROWS))]
        if period is None:
            period = self._period(self._day(now))
        revenue = account in REVENUE_ROWS
        base = 4_000_000 if revenue else 900_000
        amount = base + int(self.r() * base) // 100 * 100
        return t.append({
            "budget": budget, "glAccount": account, "reportingPeriod": period, "amount": amount,
            "notes": None if self.r() < 0.9 else "Includes planned price increase",
            "currency.txnCurrency": b.cols["currency"][budget], "budgetGrowth.growBy": 0,
            "dimensions.department": self._pick("company-config/department", None, 0.5),
            "dimensions.location": -1, "entity": -1,
            **self._audit(now, b.cols["audit.createdDateTime"][budget] if now is None else None)})

    # ------------------------------------------------------------------------------------------ time
    def timesheet_rule(self, now):
        t = self.t("time/timesheet-rule")
        n = t.n
        start = _ordinal(dt.date.fromordinal(epoch_to_ordinal(self.gen.t0)).year, 1, 1)
        return t.append({"name": ("Standard week", "Part-time week")[n % 2] if n < 2 else f"Rule {n + 1}",
                         "startDate": start, "endDate": _ordinal(9999, 12, 31),
                         "minHoursPerWorkDay": 0 if n % 2 else 400, "maxHoursPerWorkDay": 1200 if n % 2 == 0 else 600,
                         "requireNotes": n % 2 == 0, "doNotAllowOnHolidays": True, "status": "active"})

    def approval(self, now):
        t = self.t("time/timesheet-approval-record")
        n = t.n
        users = self.t("company-config/user").n
        state = ("approved", "approved", "submitted", "pendingApproval", "declined")[n % 5]
        return t.append({"approvalStage": 1 + n % 2, "approvalType": "manager", "approvalLevel": f"Level {1 + n % 2}",
                         "recordDate": self._day(now, 120), "state": state,
                         "comments": "Please fix Tuesday's hours" if state == "declined" else None,
                         "approvedBy": (n % users) if state == "approved" else -1, "approver": (n + 1) % users})


def divmod_month(ordinal: int) -> tuple[int, int]:
    """(year, month) of the month before the one ``ordinal`` falls in (the last closed month)."""
    d = dt.date.fromordinal(ordinal)
    return (d.year - (d.month == 1), (d.month - 2) % 12 + 1)
