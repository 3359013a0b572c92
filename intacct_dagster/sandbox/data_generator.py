"""Deterministic, scalable, consistent accounting data for the sandbox.

One knob, ``lines`` (journal-entry lines), sizes everything else. Same ``seed`` + same UTC day = same data:
timestamps are anchored at today's UTC midnight and spread over the two years before it, with many rows sharing
one ``modifiedDateTime`` second (import batches, lines of one entry) so that keyset pagination has ties to get
right.

Accounting consistency (what finance statements built on ``Sandbox.rows()`` can rely on):

* every journal entry belongs to one entity; lines carry the entity's base currency (``currency.baseCurrency``).
  ~87% of entries are in the base currency (rate 1, txn == base); ~10% are in one foreign currency
  (``currency.exchangeRate`` with 6 decimals): txn amounts balance, base = round(txn x rate) per line and the
  rounding residue is put on one line so base balances too; ~3% mix two transaction currencies and balance
  **only in base**.
* bills/invoices: totals = sum of their lines (txn and base, base = round(txn x rate) per line);
  payments apply to documents through payment-detail rows (full, partial, several payments per document, one
  payment for several documents of the same party); each document's ``total*AmountDue`` = total - applied and its
  ``state`` is ``posted``/``partiallyPaid``/``paid`` accordingly; a payment's totals = sum of its details.
* references stay inside the record's entity (shared master data or the same entity's).

Hard cases real companies have, present in the default data: a few records with a null
``audit.modifiedDateTime`` (migrated), a few stamped in the future (about a day ahead), text with JSON-like
punctuation/quotes/backslashes/unicode/newlines, JSON numbers with many decimals (``creditLimit``
12345678901234567.89, 6-decimal exchange rates), amounts with up to ten decimals where the schema allows them
(item `purchasing.standardCost` and `sales.basePrice`, `decimal-precision-10`).

The same row factories serve ``Sandbox.create``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_left, bisect_right
from decimal import Decimal
from itertools import chain, repeat

from .store import NULL_INT, Store, epoch_to_ordinal, frag_cents, money_frag

DAY = 86400
TEN_DECIMALS = Decimal("1E-10")
SPAN_DAYS = 730
USERS = (("ws_user", "Web Services User"), ("jdoe", "John Doe"), ("asmith", "Anna Smith"),
         ("import_bot", "Import Bot"), ("mlee", "Mia Lee"))
CITIES = [("San Jose", "United States"), ("Austin", "United States"), ("London", "United Kingdom"),
          ("Leeds", "United Kingdom"), ("Toronto", "Canada"), ("Vancouver", "Canada"), ("Chicago", "United States"),
          ("Boston", "United States")]
WORDS = ("Acme", "Global", "Summit", "Pioneer", "Blue", "River", "Northern", "Atlas", "Vertex", "Harbor",
         "Granite", "Cedar", "Orbit", "Keystone", "Lumen", "Falcon", "Maple", "Quantum", "Silver", "Zenith")
SUFFIX = ("Supply", "Logistics", "Consulting", "Systems", "Foods", "Partners", "Labs", "Industries", "Media",
          "Holdings")
LINE_TEXT = tuple(f"{a} {b}" for a in ("Accrual", "Reclass", "Payroll", "Rent", "Depreciation", "Revenue",
                                         "Cost allocation", "Freight", "Utilities", "Prepaid")
                  for b in ("- monthly", "- adjustment", "- Q close", "- correction", "entry"))
# text that breaks naive JSON/CSV handling: closing/opening braces, embedded JSON, quotes, backslashes, unicode,
# newlines, tabs
HARD_TEXT = ('Reclass },{ "accrual": true',
             '{"a":1}',
             'Say "hello" to C:\\temp\\new',
             'Ünïcödé ✓ 日本語 € – naïve café',
             'multi\nline\r\nmemo\twith tab',
             '[1, 2, {"b": null}] \\u0000 not an escape',
             "O'Brien & Sons <b>bold</b> 100% \\",
             "emoji 🚀 and zero-width\u200bspace")
# entity id, name, base currency, operating country (Sage's ``country`` enum)
ENTITIES = [("E1", "Sandbox US Inc.", "USD", "unitedStates"), ("E2", "Sandbox UK Ltd", "GBP", "unitedKingdom"),
            ("E3", "Sandbox Canada Corp", "CAD", "canada")]
PROJECT_STATUSES = ("Not Started", "In Progress", "On Hold", "Completed")
CURRENCIES = [("USD", "US Dollar", 1.0), ("GBP", "British Pound", 1.27), ("CAD", "Canadian Dollar", 0.74),
              ("EUR", "Euro", 1.09)]
CUR_INDEX = {c[0]: i for i, c in enumerate(CURRENCIES)}
RATE_TYPE = "Intacct Daily Rate"
REF_POOL = tuple(f"REF-{i * 7919 % 1_000_000:06d}" for i in range(4096))  # shared strings: reference numbers repeat
LINE_NO = tuple(str(i) for i in range(1, 10))
ACCOUNTS = [("1000", "Cash - Operating", "balanceSheet", "debit", "Cash and Cash Equivalents"),
            ("1010", "Cash - Payroll", "balanceSheet", "debit", "Cash and Cash Equivalents"),
            ("1100", "Accounts Receivable", "balanceSheet", "debit", "Accounts Receivable"),
            ("1200", "Inventory", "balanceSheet", "debit", "Inventory"),
            ("1300", "Prepaid Expenses", "balanceSheet", "debit", "Prepaid Expenses"),
            ("1500", "Fixed Assets", "balanceSheet", "debit", "Fixed Assets"),
            ("1600", "Accumulated Depreciation", "balanceSheet", "credit", "Accumulated Depreciation"),
            ("2000", "Accounts Payable", "balanceSheet", "credit", "Accounts Payable"),
            ("2100", "Accrued Liabilities", "balanceSheet", "credit", "Accrued Liabilities"),
            ("2200", "Sales Tax Payable", "balanceSheet", "credit", "Other Current Liabilities"),
            ("2500", "Long-term Debt", "balanceSheet", "credit", "Long Term Debt"),
            ("3000", "Common Stock", "balanceSheet", "credit", "Capital Stock"),
            ("3100", "Retained Earnings", "balanceSheet", "credit", "Retained Earnings")]
ACCOUNTS += [(str(4000 + 10 * i), f"Revenue - {w}", "incomeStatement", "credit", "Revenue")
             for i, w in enumerate(WORDS[:12])]
ACCOUNTS += [(str(5000 + 10 * i), f"COGS - {w}", "incomeStatement", "debit", "Cost of Sales")
             for i, w in enumerate(WORDS[:10])]
ACCOUNTS += [(str(6000 + 10 * i), f"Expense - {w}", "incomeStatement", "debit", "Operating Expenses")
             for i, w in enumerate(WORDS)]
RETAINED_EARNINGS = 12  # row of 3100
REVENUE_ROWS = range(13, 25)
EXPENSE_ROWS = range(25, len(ACCOUNTS))
# id, due days, discount days, discount percent
TERMS = [("Net 10", 10, 0, 0), ("Net 30", 30, 10, 2), ("Net 45", 45, 10, 1), ("Net 60", 60, 15, 2),
         ("Due on receipt", 0, 0, 0)]
JE_STATES = (("posted", 0.88), ("draft", 0.03), ("submitted", 0.02), ("partiallyApproved", 0.01),
             ("approved", 0.015), ("declined", 0.005), ("reversalPending", 0.005), ("reversed", 0.035))
AP_METHODS = ("printedCheck", "ACH", "EFT", "chargeCard", "cash")
AR_METHODS = ("printedCheck", "creditCard", "eft", "cash", "onlineAchDebit")


def scale(lines: int) -> dict[str, int]:
    return {
        "vendors": max(20, lines // 200), "customers": max(20, lines // 200),
        "employees": max(15, lines // 1000), "projects": max(10, lines // 2000), "items": max(20, lines // 500),
        "bills": max(30, lines // 20), "invoices": max(30, lines // 20),
    }


def utc_midnight_today() -> int:
    today = dt.datetime.now(dt.timezone.utc).date()
    return (today.toordinal() - dt.date(1970, 1, 1).toordinal()) * DAY


def rate_micro(txn_cur: str, base_cur: str, ordinal: int) -> int:
    """Exchange rate txn -> base for a day, in millionths (6 decimals), deterministic."""
    if txn_cur == base_cur:
        return 1_000_000
    a, b = CURRENCIES[CUR_INDEX[txn_cur]][2], CURRENCIES[CUR_INDEX[base_cur]][2]
    drift = 1 + 0.025 * math.sin(ordinal / 23.0 + CUR_INDEX[txn_cur]) + 0.004 * math.sin(ordinal * 1.7)
    return max(1, round(a / b * drift * 1_000_000))


_RATE_TEXT: dict[int, str] = {}


def rate_text(micro: int) -> str:
    """JSON number text of a rate in millionths: ``1`` for parity, else 6 decimals (``1.274531``); interned."""
    s = _RATE_TEXT.get(micro)
    if s is None:
        s = "1" if micro == 1_000_000 else f"{micro // 1_000_000}.{micro % 1_000_000:06d}"
        if len(_RATE_TEXT) < 100_000:
            _RATE_TEXT[micro] = s
    return s


def ten_decimal_frag(amount: Decimal) -> str:
    """Stored (JSON text) form of a `decimal-precision-10` amount: at most ten decimals, at least two."""
    whole, frac = format(amount.quantize(TEN_DECIMALS), "f").split(".")
    return f'"{whole}.{frac.rstrip("0").ljust(2, "0")}"'


def to_base(cents: int, micro: int) -> int:
    """round(cents x rate) half away from zero, integer arithmetic."""
    q, r = divmod(abs(cents) * micro, 1_000_000)
    q += 1 if r * 2 >= 1_000_000 else 0
    return q if cents >= 0 else -q


class Generator:
    def __init__(self, store: Store, seed: int, anchor: int):
        self.store = store
        self.seed = seed
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.t0 = anchor - SPAN_DAYS * DAY
        self.future = anchor + 2 * DAY - 1  # "modified tomorrow": >= now + 1 day for the whole build day
        self.grain = 1
        self._elig: dict[tuple[str, int], tuple[int, list[int]]] = {}
        self._hard = 0
        from .more_data import MoreData

        self.more = MoreData(self)

    # ------------------------------------------------------------------------------------------ helpers
    def _user(self) -> int:
        return int(self.rng.random() * len(USERS))

    def _audit(self, created: int | None, modified: int | None, by_c: int | None = None,
               by_m: int | None = None) -> dict:
        return {"audit.createdDateTime": created, "audit.modifiedDateTime": modified,
                "audit.createdByUser": self._user() if by_c is None else by_c,
                "audit.modifiedByUser": self._user() if by_m is None else by_m}

    def _master_times(self) -> tuple[int, int]:
        r = self.rng.random
        created = self.t0 + int(r() * SPAN_DAYS * DAY * 0.5)
        modified = created if r() < 0.4 else created + int(r() * (self.anchor - created))
        return created, modified

    def _master_entity(self) -> int:
        r = self.rng.random
        return int(r() * 3) if r() < 0.2 else -1

    def hard_text(self) -> str:
        self._hard += 1
        return HARD_TEXT[(self._hard - 1) % len(HARD_TEXT)]

    def _eligible(self, path: str, ent: int) -> list[int]:
        """Live rows of ``path`` visible inside entity ``ent`` (shared rows + that entity's)."""
        t = self.store.table(path)
        k = (path, ent)
        hit = self._elig.get(k)
        if hit is None or hit[0] != t.version:
            alive = t.alive
            if "entity" in t.cols:
                e = t.cols["entity"]
                rows = [i for i in range(t.n) if alive[i] and (e[i] < 0 or e[i] == ent)]
            else:
                rows = [i for i in range(t.n) if alive[i]]
            hit = self._elig[k] = (t.version, rows or [i for i in range(t.n) if alive[i]])
        return hit[1]

    def _pick(self, path: str, allow_none: float = 0.0, ent: int | None = None) -> int:
        """A random live row; with ``ent`` only rows visible in that entity (referential integrity per entity)."""
        r = self.rng.random
        if allow_none and r() < allow_none:
            return -1
        t = self.store.table(path)
        if ent is not None and "entity" in t.cols:
            rows = self._eligible(path, ent)
            return rows[int(r() * len(rows))] if rows else -1
        for _ in range(8):
            row = int(r() * t.n)
            if t.alive[row]:
                return row
        rows = t.alive_rows()
        return rows[int(r() * len(rows))] if rows else -1

    def _name(self) -> str:
        r = self.rng.random
        return f"{WORDS[int(r() * len(WORDS))]} {WORDS[int(r() * len(WORDS))]} {SUFFIX[int(r() * len(SUFFIX))]}"

    def _choice(self, weighted) -> str:
        x = self.rng.random()
        for v, w in weighted:
            x -= w
            if x < 0:
                return v
        return weighted[0][0]

    # ------------------------------------------------------------------------------------------ build
    def build(self, lines: int) -> None:
        s = scale(lines)
        st = self.store
        docs = lines // 4 + s["bills"] + s["invoices"]
        self.grain = max(1, SPAN_DAYS * DAY * 3 // max(1, docs))  # ~3 documents per distinct audit second
        for uid, name in USERS:
            st.table("company-config/user").append({"id": uid, "name": name})
        for code, name, _ in CURRENCIES:
            st.table("company-config/txn-currency").append({"id": code, "name": name})
        for eid, name, cur, country in ENTITIES:
            st.table("company-config/entity").append({
                "id": eid, "name": name, "status": "active", "startDate": self.t0 // DAY + 719163,
                "taxId": f"{eid}-TAX-{len(eid) * 1111}" if eid != "E3" else None, "accountingType": "entity",
                "operatingCountry": country, "firstFiscalMonth": "april" if eid == "E2" else "january",
                "firstTaxMonth": "april" if eid == "E2" else "january",
                "weekStart": "monday" if eid == "E2" else "sunday",
                "businessDays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                "weekendDays": ["saturday", "sunday"], "baseCurrency": CUR_INDEX[cur],
                **self._audit(self.t0, self.t0, 0, 0)})
        for path, rows in (("accounts-payable/vendor-type", ["Supplier", "Contractor", "Utility", "Government"]),
                           ("projects/project-status", list(PROJECT_STATUSES)),
                           ("accounts-receivable/customer-type", ["Retail", "Wholesale", "Enterprise", "Public"]),
                           ("general-ledger/journal", ["GJ", "APJ", "ARJ", "ADJ"])):
            for v in rows:
                st.table(path).append({"id": v, "name": f"{v} {'journal' if len(v) <= 3 else 'type'}"})
        for name, *_ in TERMS:
            st.table("accounts-receivable/term").append({"id": name, "name": name})
            self.create_row("accounts-payable/term")
        for path, n in (("company-config/department", 12), ("company-config/location", 8),
                        ("company-config/class", 6)):
            for _ in range(n):
                self.create_row(path)
        for _ in range(len(ACCOUNTS)):
            self.create_row("general-ledger/account")
        for _ in range(s["employees"]):
            self.create_row("company-config/employee")
        dept = st.table("company-config/department")
        for row in range(0, dept.n, 2):  # supervisors, now that employees exist
            dept.set("supervisor", row, self._pick("company-config/employee", ent=-1))
        for _ in range(s["vendors"]):
            self.create_row("accounts-payable/vendor")
        for _ in range(s["customers"]):
            self.create_row("accounts-receivable/customer")
        for _ in range(s["items"]):
            self.create_row("inventory-control/item")
        for _ in range(s["projects"]):
            self.create_row("projects/project")
        for _ in range(s["projects"] * 3):
            self.create_row("projects/task")
        for _ in range(s["projects"] * 2):
            self.create_row("platform-apps/nsp::project_budget")
        for ap in (True, False):
            path = "accounts-payable/bill" if ap else "accounts-receivable/invoice"
            rows, _ = self.create_docs(path, s["bills" if ap else "invoices"])
            self.pay_documents(path, rows)
        self.create_entries(lines, bulk=True)
        self._hard_cases()
        self._party_totals()
        # the objects added later draw from a stream of their own: the data above stays the same for a seed
        saved, self.rng = self.rng, random.Random(self.seed + 7_000_003)
        self.more.build(lines)
        self.rng = saved

    def _hard_cases(self) -> None:
        """Null and future modifiedDateTime on a few master and transaction records (deterministic picks)."""
        st = self.store
        mod = "audit.modifiedDateTime"
        for path, nulls, futures in (("accounts-payable/vendor", (3, 7), (5,)),
                                     ("accounts-receivable/customer", (2,), (4,)),
                                     ("general-ledger/account", (1,), (6,)),
                                     ("company-config/department", (4,), ()),
                                     ("accounts-payable/bill", (), (8,))):
            t = st.table(path)
            for row in nulls:
                if row < t.n:
                    t.set(mod, row, NULL_INT)
            for row in futures:
                if row < t.n:
                    t.set(mod, row, self.future)
        je, jl = st.table("general-ledger/journal-entry"), st.table("general-ledger/journal-entry-line")
        owner = jl.cols["journalEntry"]  # lines of one entry are contiguous at build time
        n = je.n
        picks = {max(0, n // 7): NULL_INT, max(0, n // 3): NULL_INT, max(0, n // 2): self.future,
                 max(0, (n * 5) // 6): self.future}
        for erow, value in picks.items():
            je.set(mod, erow, value)
            for lr in range(bisect_left(owner, erow), bisect_right(owner, erow)):
                jl.set(mod, lr, value)

    def _party_totals(self) -> None:
        """Vendors'/customers' ``totalDue`` = sum of their documents' base amount due."""
        for party_path, doc_path, ref in (("accounts-payable/vendor", "accounts-payable/bill", "vendor"),
                                          ("accounts-receivable/customer", "accounts-receivable/invoice",
                                           "customer")):
            party, doc = self.store.table(party_path), self.store.table(doc_path)
            due = [0] * party.n
            pc, dc = doc.cols[ref], doc.cols["totalBaseAmountDue"]
            for r in range(doc.n):
                if doc.alive[r] and pc[r] >= 0:
                    due[pc[r]] += frag_cents(dc[r]) or 0
            for r in range(party.n):
                party.set("totalDue", r, money_frag(due[r]))

    # ------------------------------------------------------------------------------------------ master rows
    def _txn_meta(self, now: int | None) -> dict:
        """created/modified/entity/private for a transaction row; ``now`` given = created just now."""
        r = self.rng.random
        if now is None:
            g = self.grain  # import batches: ~1 distinct second per 3 documents
            created = self.t0 + int(r() * SPAN_DAYS * DAY) // g * g
            modified = created if r() < 0.6 else min(self.anchor, created + int(r() * 90 * DAY) // g * g)
        else:
            created = modified = now
        ent = int(r() * 3)
        return {"created": created, "modified": modified, "entity": ent, "private": r() < 0.05}

    def create_row(self, path: str, now: int | None = None) -> int:
        """Append one generated record of a master-data object (documents/entries/payments delegate)."""
        if path in self.more.factories:
            return self.more.create(path, now)
        if path in ("accounts-payable/payment", "accounts-receivable/payment"):
            return self.create_payment(path, now)
        if path in ("accounts-payable/payment-detail", "accounts-receivable/payment-detail"):
            p = self.create_payment(path.replace("-detail", ""), now)
            return min(self.store.child_index(path).get(p, [self.store.table(path).n - 1]))
        if path == "general-ledger/journal-entry-line":
            return self.create_entries(2, bulk=False, now=now)[0]
        if path == "general-ledger/journal-entry":
            return self.create_entries(3, bulk=False, now=now, return_entries=True)[0]
        if path in ("accounts-payable/bill", "accounts-receivable/invoice"):
            return self.create_doc(path, now)
        if path in ("accounts-payable/bill-line", "accounts-receivable/invoice-line"):
            return self.create_doc(path.rsplit("-", 1)[0], now, return_lines=True)
        st = self.store
        t = st.table(path)
        r = self.rng.random
        n = t.n
        created, modified = self._master_times() if now is None else (now, now)
        rec: dict = {"status": "active" if r() < 0.9 else "inactive", **self._audit(created, modified)}
        if "entity" in t.cols:
            rec["entity"] = self._master_entity()
        city, country = CITIES[int(r() * len(CITIES))]
        if path == "accounts-payable/term":
            tid, days, ddays, dpct = TERMS[n % len(TERMS)] if n < len(TERMS) else (f"Net {n}", n, 0, 0)
            rec.update({"id": tid, "status": "active", "description": f"Payment due in {days} days",
                        "due.days": days, "due.from": "fromBillDate", "discount.days": ddays,
                        "discount.amount": dpct * 100, "discount.from": "fromBillDate" if ddays else None,
                        "discount.unit": "percentage" if ddays else None, "discount.graceDays": 0,
                        "discount.calculateOn": "billTotal" if ddays else None, "penalty.cycle": "noPenalty",
                        "penalty.amount": 0, "penalty.graceDays": 0})
        elif path == "company-config/department":
            rec.update(id=f"D{100 + n * 10}", name=f"{WORDS[n % len(WORDS)]} Department {n + 1}",
                       reportTitle=f"Dept {n + 1}" if n % 4 else None, parent=0 if n > 0 and r() < 0.5 else -1)
            rec["status"] = "activeNonPosting" if n == 3 else rec["status"]
        elif path == "company-config/location":
            ent = n % 3 if n < 6 else -1
            rec.update(id=f"L{n + 1:02d}", name=f"{city} Office {n + 1}", entity=ent,
                       startDate=epoch_to_ordinal(created), reportTitle=f"{city} {n + 1}", printAs=f"{city} Office",
                       locationType="location", baseCurrency=ENTITIES[ent][2] if ent >= 0 else "USD",
                       parent=-1 if n < 3 else n % 3)
            rec["contacts.primary"] = self._contact(f"{city} Office {n + 1}", f"office{n + 1}", city, country)
        elif path == "company-config/class":
            rec.update(id=f"C{n + 1:02d}", name=f"Class {WORDS[n % len(WORDS)]}", entity=-1,
                       description=f"Reporting class {n + 1}", parent=-1 if n < 2 else n % 2)
        elif path == "general-ledger/account":
            aid, name, atype, nb, cat = ACCOUNTS[n] if n < len(ACCOUNTS) else (
                str(9000 + n), f"Account {n}", "balanceSheet", "debit", "Other Assets")
            income = atype == "incomeStatement"
            rec.update({"id": aid, "name": name, "accountType": atype, "normalBalance": nb, "category": cat,
                        "closingType": "closingAccount" if income else "nonClosingAccount",
                        "closeToGLAccount": RETAINED_EARNINGS if income and RETAINED_EARNINGS < n else -1,
                        "alternativeGLAccount": {"1100": "receivablesAccount", "2000": "payablesAccount"}.get(
                            aid, "none"),
                        "disallowDirectPosting": aid in ("1100", "2000"), "isTaxable": r() < 0.2,
                        "entity": -1, "status": "active", "requireDimensions.department": income,
                        "requireDimensions.location": aid.startswith("6")})
        elif path == "company-config/employee":
            rec.update(id=f"EMP-{n + 1:04d}", name=self._name().rsplit(" ", 1)[0],
                       startDate=epoch_to_ordinal(created),
                       endDate=epoch_to_ordinal(modified) if rec["status"] == "inactive" else None,
                       jobTitle=("Accountant", "Engineer", "Manager", "Analyst", None)[n % 5],
                       gender=("female", "male", None)[n % 3], isPlaceholderResource=False,
                       preferredPaymentMethod=("ach", "printedCheck", None)[n % 3],
                       defaultCurrency=ENTITIES[rec["entity"]][2] if rec["entity"] >= 0 else None,
                       department=self._pick("company-config/department"),
                       location=self._pick("company-config/location", ent=rec["entity"]),
                       manager=self._pick("company-config/employee", ent=rec["entity"]) if n > 2 else -1)
            rec["class"] = self._pick("company-config/class", 0.6)
        elif path in ("accounts-payable/vendor", "accounts-receivable/customer"):
            is_vendor = path.endswith("vendor")
            name = self._name() if n % 97 != 11 else 'Acme "Quoted" \\ Supply },{ Ltd'
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:18]
            ent = rec["entity"]
            cur = ENTITIES[ent][2] if ent >= 0 else "USD"
            if n == 13:
                credit = "12345678901234567.89"  # more digits than a float holds
            elif n % 5 == 0:
                credit = f"{int(r() * 5000) * 10}.{int(r() * 99) + 1:02d}"
            else:
                credit = int(r() * 500) * 100
            rec.update(id=f"{'VEND' if is_vendor else 'CUST'}-{n + 1:05d}", name=name, creditLimit=credit,
                       isOnHold=r() < 0.05, currency=cur if (r() < 0.7 or not is_vendor) else None)
            if rec["status"] == "active" and r() < 0.05:
                rec["status"] = "activeNonPosting"
            rec["contacts.default"] = self._contact(name, slug, city, country)
            rec["nsp::APPROVED_ON"] = epoch_to_ordinal(created) if r() < 0.7 else None
            if is_vendor:
                rec.update(taxId=f"{int(r() * 90) + 10}-{int(r() * 9000000) + 1000000}" if r() < 0.8 else None,
                           isOneTimeUse=r() < 0.02, notes=self.hard_text() if n % 41 == 7 else None,
                           billingType=("openItem", "balanceForward", None)[int(r() * 3)],
                           paymentPriority=("normal", "high", "low", None)[int(r() * 4)],
                           preferredPaymentMethod=(*AP_METHODS, None)[int(r() * 6)],
                           vendorType=self._pick("accounts-payable/vendor-type", 0.1),
                           term=self._pick("accounts-payable/term", 0.05))
                rec["nsp::REBATE_PCT"] = round(r() * 5, 2) if r() < 0.5 else None
            else:
                rec.update(taxId=f"TX-{int(r() * 9000000) + 1000000}",
                           notes=self.hard_text() if n % 41 == 7 else f"Customer since {dt.date.fromordinal(epoch_to_ordinal(created)).year}",
                           deliveryOptions=("print", "email", "both")[int(r() * 3)],
                           customerType=self._pick("accounts-receivable/customer-type"),
                           term=self._pick("accounts-receivable/term"))
                rec["nsp::CUSTOMER_SEGMENT"] = ("SMB", "Mid-Market", "Enterprise", None)[int(r() * 4)]
        elif path == "inventory-control/item":
            # item costs and prices are decimal-precision-10: four decimals, ten on some items, exact
            cost = Decimal(int(r() * 50_000_000) + 100_000) / 10_000
            if n % 7 == 3:
                cost += Decimal(n % 997 + 1) / 10**10
            rec.update({"id": f"ITEM-{n + 1:05d}",
                        "name": f"{WORDS[n % len(WORDS)]} {('Widget', 'Service', 'Kit', 'Part')[n % 4]} {n + 1}",
                        "itemType": ("inventory", "nonInventory", "salesOnlyNonInventory", "kit")[n % 4],
                        "costMethod": ("standard", "average", "FIFO", None)[n % 4],
                        "notes": self.hard_text() if n % 17 == 3 else f"Item {n + 1}",
                        "purchasing.standardCost": ten_decimal_frag(cost),
                        "sales.basePrice": ten_decimal_frag(cost * 3 / 2),
                        "sales.isTaxable": r() < 0.5})
        elif path == "projects/project":
            start = epoch_to_ordinal(created)
            ent = rec["entity"]
            rec.update({"id": f"PRJ-{n + 1:04d}", "name": f"{self._name()} rollout", "startDate": start,
                        "endDate": start + int(r() * 365) + 30, "budget.billingAmount": int(r() * 10_000_000),
                        "projectStatus": int(r() * len(PROJECT_STATUSES)), "description": None,
                        "projectCurrency": ENTITIES[ent][2] if ent >= 0 else "USD",
                        "category": ("contract", "internalNonBillable", "internalBillable", None)[n % 4],
                        "billingType": ("timeAndMaterial", "fixedFee", None)[n % 3],
                        "customer": self._pick("accounts-receivable/customer", ent=ent),
                        "department": self._pick("company-config/department"),
                        "location": self._pick("company-config/location", ent=ent),
                        "manager": self._pick("company-config/employee", 0.3, ent)})
        elif path == "projects/task":
            prj = self._pick("projects/project")
            pt = st.table("projects/project")
            start = pt.cols["startDate"][prj]
            rec.pop("status")
            rec.update({"id": f"T-{n + 1:05d}", "name": f"{LINE_TEXT[n % len(LINE_TEXT)].split(' ')[0]} task {n + 1}",
                        "description": self.hard_text() if n % 23 == 4 else None, "project": prj,
                        "customer": pt.cols["customer"][prj], "entity": pt.cols["entity"][prj],
                        "item": self._pick("inventory-control/item", 0.7, pt.cols["entity"][prj]),
                        "class": self._pick("company-config/class", 0.7),
                        "planned.startDate": start, "planned.endDate": start + 10 + int(r() * 90),
                        "duration.planned": int(r() * 200) + 8, "duration.estimated": round(r() * 200 + 8, 2),
                        "isMilestone": r() < 0.1, "isBillable": r() < 0.6,
                        "taskStatus": ("notStarted", "planned", "inProgress", "completed", "onHold")[n % 5],
                        "priority": int(r() * 5) if r() < 0.5 else None, "wbsCode": f"1.{n % 9 + 1}.{n + 1}"})
        elif path == "platform-apps/nsp::project_budget":
            rec.pop("status")
            rec.update(name=f"Budget {n + 1}", fiscalYear=2024 + int(r() * 3), budgetAmount=int(r() * 5_000_000),
                       approved=r() < 0.6, project=self._pick("projects/project", ent=-1), description=None)
        elif path == "company-config/entity":
            rec.update(id=f"E{n + 1}", name=f"Sandbox Entity {n + 1}", accountingType="entity",
                       baseCurrency=CUR_INDEX["USD"], startDate=epoch_to_ordinal(created),
                       businessDays=["monday", "tuesday", "wednesday", "thursday", "friday"],
                       weekendDays=["saturday", "sunday"])
        return t.append(rec)

    def _contact(self, name: str, slug: str, city: str, country: str) -> int:
        t = self.store.table("company-config/contact")
        r = self.rng.random
        return t.append({"id": name, "name": name, "email1": f"ap@{slug or 'contact'}.example.com",
                         "phone1": f"+1-555-{int(r() * 9000) + 1000}", "mailingAddress.city": city,
                         "mailingAddress.country": country})

    # ------------------------------------------------------------------------------------------ documents
    def create_doc(self, path: str, now: int | None = None, return_lines: bool = False) -> int:
        """One unpaid bill or invoice (runtime ``create``); returns its row (or its first line's row)."""
        rows, first_lines = self.create_docs(path, 1, now)
        return first_lines[0] if return_lines else rows[0]

    def create_docs(self, path: str, count: int, now: int | None = None) -> tuple[list[int], list[int]]:
        """``count`` bills or invoices with 1-4 lines each (totals = sum of lines; base = round(txn x rate) per
        line), written column-wise. All start unpaid (``posted``, a few ``draft``). Returns (document rows,
        first line row of each)."""
        r = self.rng.random
        ap = path == "accounts-payable/bill"
        st = self.store
        doc, lines = st.table(path), st.table(path + "-line")
        party = "vendor" if ap else "customer"
        party_path = f"accounts-{'payable' if ap else 'receivable'}/{party}"
        term_path = "accounts-payable/term" if ap else "accounts-receivable/term"
        owner = path.rsplit("/", 1)[1]
        gl_rows = EXPENSE_ROWS if ap else REVENUE_ROWS
        D: dict[str, list] = {k: [] for k in (
            party, "term", "state", "dueDate", "totalTxnAmount", "totalBaseAmount", "currency.baseCurrency",
            "currency.txnCurrency", "currency.exchangeRate.date", "currency.exchangeRate.rate",
            "currency.exchangeRate.typeId", "entity", "audit.createdDateTime", "audit.modifiedDateTime",
            "audit.createdByUser", "audit.modifiedByUser", "description")}
        extra = (("billNumber", "referenceNumber", "postingDate", "createdDate") if ap else
                 ("invoiceNumber", "invoiceDate"))
        D.update({k: [] for k in extra})
        L: dict[str, list] = {k: [] for k in (
            owner, "lineNumber", "txnAmount", "baseAmount", "memo", "currency.baseCurrency", "currency.txnCurrency",
            "currency.exchangeRate.date", "currency.exchangeRate.rate", "currency.exchangeRate.typeId",
            "glAccount", "dimensions.project", "dimensions.item", "dimensions.department", "dimensions.location",
            "entity", "audit.createdDateTime", "audit.modifiedDateTime", "audit.createdByUser",
            "audit.modifiedByUser")}
        L.update({k: [] for k in (("createdDate", "vendor", "dimensions.class") if ap else ("dimensions.customer",))})
        priv_d: list[int] = []
        priv_l: list[int] = []
        row0, line0 = doc.n, lines.n
        first_lines: list[int] = []
        for i in range(count):
            row = row0 + i
            meta = self._txn_meta(now)
            ent = meta["entity"]
            base = ENTITIES[ent][2]
            cur = CURRENCIES[(CUR_INDEX[base] + 1 + int(r() * 3)) % 4][0] if r() < 0.15 else base
            date = epoch_to_ordinal(meta["created"])
            micro = rate_micro(cur, base, date)
            k = 1 + int(r() * 4)
            txn = [int(r() * 500_000) + 500 for _ in range(k)]
            bas = txn if micro == 1_000_000 else [to_base(a, micro) for a in txn]
            party_row = self._pick(party_path, ent=ent)
            term = self._pick(term_path)
            number = f"{'BILL' if ap else 'INV'}-{row + 1:06d}"
            rate_given = cur != base or not ap  # bills in their base currency carry no rate; invoices always do
            rate = rate_text(micro) if rate_given else None
            c, m = meta["created"], meta["modified"]
            by_c, by_m = self._user(), self._user()
            priv = 1 if meta["private"] else 0
            vals = {party: party_row, "term": term,
                    "state": "posted" if (r() < 0.97 or now is not None) else "draft",
                    "dueDate": date + (TERMS[term % len(TERMS)][1] if term >= 0 else 30),
                    "totalTxnAmount": sum(txn), "totalBaseAmount": sum(bas), "currency.baseCurrency": base,
                    "currency.txnCurrency": cur, "currency.exchangeRate.date": date if rate_given else 0,
                    "currency.exchangeRate.rate": rate, "currency.exchangeRate.typeId": RATE_TYPE if rate_given else None,
                    "entity": ent, "audit.createdDateTime": c, "audit.modifiedDateTime": m,
                    "audit.createdByUser": by_c, "audit.modifiedByUser": by_m}
            if ap:
                vals.update({"billNumber": f"V-{int(r() * 900000) + 100000}" if r() < 0.9 else None,
                             "referenceNumber": f"PO-{int(r() * 90000) + 10000}" if r() < 0.5 else None,
                             "description": f"Bill {number}" if r() < 0.8 else None, "postingDate": date,
                             "createdDate": date})
            else:
                vals.update({"invoiceNumber": number, "description": f"Invoice {number}", "invoiceDate": date})
            if row % 53 == 5:
                vals["description"] = self.hard_text()
            for key, v in vals.items():
                D[key].append(v)
            priv_d.append(priv)
            first_lines.append(line0 + len(priv_l))
            for j in range(k):
                memo = LINE_TEXT[int(r() * 50)] if (r() < 0.9 or not ap) else None
                if (line0 + len(priv_l)) % 61 == 17:
                    memo = self.hard_text()
                lv = (row, txn[j], bas[j], memo, base, cur, vals["currency.exchangeRate.date"], rate,
                      vals["currency.exchangeRate.typeId"], gl_rows[int(r() * len(gl_rows))],
                      self._pick("projects/project", 0.7, ent), self._pick("inventory-control/item", 0.6, ent),
                      self._pick("company-config/department", 0.1 if ap else 0),
                      self._pick("company-config/location", 0.05 if ap else 0, ent), ent, c, m, by_c, by_m)
                for key, v in zip((owner, "txnAmount", "baseAmount", "memo", "currency.baseCurrency",
                                   "currency.txnCurrency", "currency.exchangeRate.date", "currency.exchangeRate.rate",
                                   "currency.exchangeRate.typeId", "glAccount", "dimensions.project",
                                   "dimensions.item", "dimensions.department", "dimensions.location", "entity",
                                   "audit.createdDateTime", "audit.modifiedDateTime", "audit.createdByUser",
                                   "audit.modifiedByUser"), lv, strict=True):
                    L[key].append(v)
                L["lineNumber"].append(LINE_NO[j])  # bill lines: a string; invoice lines: a JSON number (its text)
                if ap:
                    L["createdDate"].append(date)
                    L["vendor"].append(party_row)
                    L["dimensions.class"].append(self._pick("company-config/class", 0.5, ent))
                else:
                    L["dimensions.customer"].append(party_row)
                priv_l.append(priv)
        for name in ("totalTxnAmount", "totalBaseAmount"):
            D[name] = [money_frag(v) for v in D[name]]
        D["totalTxnAmountDue"] = list(D["totalTxnAmount"])
        D["totalBaseAmountDue"] = list(D["totalBaseAmount"])
        zero = money_frag(0)
        D["paymentInformation.totalTxnAmountPaid"] = [zero] * count
        D["paymentInformation.totalBaseAmountPaid"] = [zero] * count
        for name in ("txnAmount", "baseAmount"):
            L[name] = [money_frag(v) for v in L[name]]
        if ap:
            for name, v in (("moduleName", "accountsPayable"), ("recordType", "pi"), ("paymentPriority", "normal")):
                D[name] = [v] * count
        else:
            for name, v in (("recordType", "ri"), ("moduleKey", "accountsReceivable"), ("dunningCount", 0)):
                D[name] = [v] * count
        for name, vals in D.items():
            doc.extend(name, vals)
        doc.commit_bulk(priv_d)
        for name, vals in L.items():
            lines.extend(name, vals)
        lines.commit_bulk(priv_l)
        return list(range(row0, row0 + count)), first_lines

    # ------------------------------------------------------------------------------------------ payments
    def pay_documents(self, doc_path: str, rows: list[int]) -> None:
        """Build-time payment plans for documents: full, partial, two instalments, unpaid; one payment of a party
        (same entity, currency) sometimes pays several documents at once."""
        r = self.rng.random
        doc = self.store.table(doc_path)
        ap = doc_path.endswith("bill")
        party = "vendor" if ap else "customer"
        last_day = epoch_to_ordinal(self.anchor) - 1
        payments: list[dict] = []
        open_by_party: dict[tuple, dict] = {}
        state, total_col = doc.cols["state"], doc.cols["totalTxnAmount"]
        date_col = doc.cols["createdDate" if ap else "invoiceDate"]
        for d in rows:
            if state[d] == "draft":
                continue
            total = frag_cents(total_col[d])
            x = r()
            if x < 0.25:
                continue
            if x < 0.40:
                parts = [max(1, int(total * (0.3 + 0.4 * r())))]
            elif x < 0.50:
                first = max(1, int(total * (0.2 + 0.5 * r())))
                parts = [first, total - first] if total > first else [total]
            else:
                parts = [total]
            key = (doc.cols[party][d], doc.cols["entity"][d], doc.cols["currency.txnCurrency"][d], doc.private[d])
            date = date_col[d]
            for i, amt in enumerate(parts):
                pay_date = max(date, min(date + 3 + int(r() * 40) + 20 * i, last_day))
                last = open_by_party.get(key)
                if i == len(parts) - 1 and last is not None and len(last["details"]) < 4 and r() < 0.35:
                    last["date"] = max(last["date"], pay_date)
                    last["details"].append((d, amt))
                    continue
                p = {"key": key, "date": pay_date, "details": [(d, amt)]}
                payments.append(p)
                open_by_party[key] = p
        payments.sort(key=lambda p: p["date"])
        self.write_payments(doc_path, payments, None)

    def write_payments(self, doc_path: str, plans: list[dict], now: int | None) -> list[int]:
        """Payments + their payment-detail rows, column-wise; each detail is applied to its document (dues,
        paid amounts, state, fully-paid date, modifiedDateTime). Returns the payment rows."""
        r = self.rng.random
        st = self.store
        ap = doc_path.endswith("bill")
        pay = st.table("accounts-payable/payment" if ap else "accounts-receivable/payment")
        det = st.table("accounts-payable/payment-detail" if ap else "accounts-receivable/payment-detail")
        doc = st.table(doc_path)
        owner, doc_ref = ("apPayment", "bill") if ap else ("arPayment", "arInvoice")
        P: dict[str, list] = {}
        T: dict[str, list] = {}
        priv_p: list[int] = []
        priv_t: list[int] = []
        out: list[int] = []
        rate_col, dt_col, db_col = (doc.cols["currency.exchangeRate.rate"], doc.cols["totalTxnAmountDue"],
                                    doc.cols["totalBaseAmountDue"])
        created_col = doc.cols["audit.createdDateTime"]
        number_col = doc.cols["billNumber" if ap else "invoiceNumber"]
        due_t: dict[int, int] = {}
        due_b: dict[int, int] = {}

        def put(store: dict, key: str, v) -> None:
            store.setdefault(key, []).append(v)

        for plan in plans:
            party_row, ent, cur, private = plan["key"]
            base = ENTITIES[ent][2]
            date = plan["date"]
            applied: list[tuple[int, int, int]] = []
            for d, amt in plan["details"]:
                t_left = due_t[d] if d in due_t else frag_cents(dt_col[d])
                b_left = due_b[d] if d in due_b else frag_cents(db_col[d])
                amt = min(amt, t_left)
                if amt <= 0:
                    continue
                rate = rate_col[d]
                micro = 1_000_000 if rate is None else round(float(rate) * 1_000_000)
                base_amt = b_left if amt == t_left else min(b_left, to_base(amt, micro))
                due_t[d], due_b[d] = t_left - amt, b_left - base_amt
                applied.append((d, amt, base_amt))
            if not applied:
                continue
            if now is None:
                g = self.grain
                created = max((date - 719163) * DAY + int(r() * DAY) // g * g,
                              max(created_col[d] for d, _, _ in applied))
                created = min(created, self.anchor - 1)
                modified = created if r() < 0.8 else min(self.anchor - 1, created + int(r() * 5 * DAY))
            else:
                created = modified = now
            by_c, by_m = self._user(), self._user()
            row = pay.n + len(priv_p)
            out.append(row)
            doc_rate = rate_col[applied[0][0]]
            micro = 1_000_000 if doc_rate is None else round(float(doc_rate) * 1_000_000)
            first_id = number_col[applied[0][0]] or f"#{applied[0][0] + 1}"
            vals = {"state": ("confirmed" if r() < 0.9 else "delivered") if ap else
                    ("complete" if r() < 0.95 else "reconciled"),
                    "baseCurrency.currency": base, "baseCurrency.totalAmount": money_frag(sum(b for _, _, b in applied)),
                    "txnCurrency.currency": cur, "txnCurrency.totalAmount": money_frag(sum(a for _, a, _ in applied)),
                    "entity": ent, "audit.createdDateTime": created, "audit.modifiedDateTime": modified,
                    "audit.createdByUser": by_c, "audit.modifiedByUser": by_m}
            if ap:
                vals.update({"vendor": party_row, "recordType": "apPayment", "txnDate": date,
                             "documentNumber": f"CHK-{int(r() * 900000) + 100000}" if r() < 0.9 else None,
                             "description": f"Payment for {first_id}" if r() < 0.8 else None,
                             "paymentMethod": AP_METHODS[int(r() * len(AP_METHODS))],
                             "exchangeRate.date": date if cur != base else 0,
                             "exchangeRate.rate": rate_text(micro) if cur != base else None,
                             "exchangeRate.typeId": RATE_TYPE if cur != base else None})
            else:
                vals.update({"customer": party_row, "recordType": "rp", "paidDate": date,
                             "documentNumber": f"RCPT-{int(r() * 900000) + 100000}",
                             "description": f"Receipt for {first_id}",
                             "paymentMethod": AR_METHODS[int(r() * len(AR_METHODS))],
                             "exchangeRate.date": date, "exchangeRate.rate": rate_text(micro),
                             "exchangeRate.typeId": RATE_TYPE if cur != base else None,
                             "referenceNumber": f"REF-{int(r() * 90000) + 10000}" if r() < 0.3 else None})
            if row % 47 == 9:
                vals["description"] = self.hard_text()
            for key, v in vals.items():
                put(P, key, v)
            priv_p.append(private)
            for d, amt, base_amt in applied:
                dv = {owner: row, doc_ref: d, "paymentDate": date, "baseCurrency.paymentAmount": money_frag(base_amt),
                      "txnCurrency.currency": cur, "txnCurrency.paymentAmount": money_frag(amt), "entity": ent,
                      "audit.createdDateTime": created, "audit.modifiedDateTime": modified,
                      "audit.createdByUser": by_c, "audit.modifiedByUser": by_m}
                for key, v in dv.items():
                    put(T, key, v)
                priv_t.append(private)
                self.apply_to_document(doc, d, amt, base_amt, date, created)
        if not priv_p:
            return out
        if ap:
            T["state"] = ["confirmed"] * len(priv_t)
            T["moduleKey"] = ["3.AP"] * len(priv_t)
        for name, vals in P.items():
            pay.extend(name, vals)
        pay.commit_bulk(priv_p)
        for name, vals in T.items():
            det.extend(name, vals)
        det.commit_bulk(priv_t)
        return out

    def apply_to_document(self, doc, d: int, txn: int, base: int, date: int, when: int) -> None:
        """Reduce a document's dues by an applied amount (negative = un-apply) and set its state, fully-paid date
        and modifiedDateTime (never moved back, never set on a record without one)."""
        cols = doc.cols
        due = frag_cents(cols["totalTxnAmountDue"][d]) - txn
        doc.set("totalTxnAmountDue", d, money_frag(due))
        doc.set("totalBaseAmountDue", d, money_frag(frag_cents(cols["totalBaseAmountDue"][d]) - base))
        doc.set("paymentInformation.totalTxnAmountPaid", d,
                money_frag(frag_cents(cols["paymentInformation.totalTxnAmountPaid"][d]) + txn))
        doc.set("paymentInformation.totalBaseAmountPaid", d,
                money_frag(frag_cents(cols["paymentInformation.totalBaseAmountPaid"][d]) + base))
        total = frag_cents(cols["totalTxnAmount"][d])
        state = "paid" if due == 0 else ("partiallyPaid" if due < total else "posted")
        doc.set("state", d, state)
        doc.set("paymentInformation.fullyPaidDate", d, date if state == "paid" else 0)
        old = cols["audit.modifiedDateTime"][d]
        if old != NULL_INT and old < when:
            doc.touch(d, when)

    def create_payment(self, path: str, now: int | None) -> int:
        """A payment (runtime ``create``) of an open document of a random party: full or partial."""
        r = self.rng.random
        ap = path == "accounts-payable/payment"
        doc_path = "accounts-payable/bill" if ap else "accounts-receivable/invoice"
        doc = self.store.table(doc_path)
        states = doc.cols["state"]
        open_rows = [d for d in range(doc.n) if doc.alive[d] and states[d] in ("posted", "partiallyPaid")]
        if not open_rows:
            open_rows = [self.create_doc(doc_path, now)]
        d = open_rows[int(r() * len(open_rows))]
        due = frag_cents(doc.cols["totalTxnAmountDue"][d])
        amt = due if r() < 0.6 else max(1, due // 2)
        party = "vendor" if ap else "customer"
        key = (doc.cols[party][d], doc.cols["entity"][d], doc.cols["currency.txnCurrency"][d], doc.private[d])
        date = epoch_to_ordinal(now) if now is not None else doc.cols["createdDate" if ap else "invoiceDate"][d]
        rows = self.write_payments(doc_path, [{"key": key, "date": date, "details": [(d, amt)]}], now)
        return rows[0] if rows else -1

    # ------------------------------------------------------------------------------------------ journal entries
    def create_entries(self, n_lines: int, bulk: bool, now: int | None = None,
                       return_entries: bool = False) -> list[int]:
        """Journal entries totalling ``n_lines`` lines (2-6 per entry), balanced in base currency (and in txn
        currency unless the entry mixes two currencies). Returns line rows (or entry rows).

        Built column-wise (entry-level values as lists, lines by repeating them), which is what lets 1M lines
        build in seconds."""
        st = self.store
        je, jl = st.table("general-ledger/journal-entry"), st.table("general-ledger/journal-entry-line")
        r = self.rng.random
        ks: list[int] = []
        remaining = n_lines
        while remaining > 0:
            k = min(2 + int(r() * 5), remaining)
            if remaining - k == 1:
                k += 1
            k = max(k, 2)
            ks.append(k)
            remaining -= k
        n_e = len(ks)
        e0 = je.n
        erows = list(range(e0, e0 + n_e))
        if now is None:
            g = self.grain
            created = [self.t0 + int(r() * SPAN_DAYS * DAY) // g * g for _ in range(n_e)]
            modified = [c if r() < 0.6 else min(self.anchor, c + int(r() * 90 * DAY) // g * g) for c in created]
        else:
            created = [now] * n_e
            modified = [now] * n_e
        ents = [int(r() * 3) for _ in range(n_e)]
        priv = [1 if r() < 0.05 else 0 for _ in range(n_e)]
        posting = [epoch_to_ordinal(t) - int(r() * 5) for t in created]
        state = [self._choice(JE_STATES) if now is None else "posted" for _ in range(n_e)]
        by_c = [self._user() for _ in range(n_e)]
        by_m = [self._user() for _ in range(n_e)]
        texts = [LINE_TEXT[int(r() * 50)] for _ in range(n_e)]
        for i in range(0, n_e, max(1, min(997, n_e // 12))):  # every hostile text, even in small data
            texts[i] = self.hard_text()
        je.extend("txnNumber", [e + 1 for e in erows])
        je.extend("postingDate", posting)
        je.extend("description", texts)
        je.extend("referenceNumber", [REF_POOL[int(r() * len(REF_POOL))] for _ in range(n_e)])
        je.extend("state", state)
        je.extend_const("moduleName", "2.GL", n_e)
        je.extend("glJournal", [int(r() * 4) for _ in range(n_e)])
        je.extend("automaticReversalDate", [p + 30 if s == "reversalPending" else 0 for p, s in zip(posting, state,
                                                                                                   strict=True)])
        je.extend("entity", ents)
        je.extend("audit.createdDateTime", created)
        je.extend("audit.modifiedDateTime", modified)
        je.extend("audit.createdByUser", by_c)
        je.extend("audit.modifiedByUser", by_m)
        je.commit_bulk(priv)
        # lines: amounts in integer cents per entry, then currency treatment
        txn_cur: list[str] = []
        rates: list[str] = []
        txn_money: list[str] = []
        base_money: list[str] = []
        base_cur: list[str] = []
        for e, k in enumerate(ks):
            base = ENTITIES[ents[e]][2]
            total = int(r() * 1_000_000) + 1000
            nd = k // 2
            parts: list[int] = []
            for m in (nd, k - nd):
                ws = [1.0 + r() for _ in range(m)]
                sw = sum(ws)
                p = [int(total * w / sw) for w in ws]
                p[-1] += total - sum(p)
                parts += p
            x = r()
            day = posting[e]
            if x < 0.03:  # two transaction currencies: base amounts balance, txn amounts cannot
                curs = [base if i < nd else CURRENCIES[(CUR_INDEX[base] + 1 + e % 3) % 4][0] for i in range(k)]
                micros = [rate_micro(c, base, day) for c in curs]
                txn = [max(1, to_base(b, 10**12 // m)) for b, m in zip(parts, micros, strict=True)]
                bas = [to_base(t, m) for t, m in zip(txn, micros, strict=True)]
            elif x < 0.13:  # one foreign currency: txn balances; base = round(txn x rate)
                cur = CURRENCIES[(CUR_INDEX[base] + 1 + int(r() * 3)) % 4][0]
                curs = [cur] * k
                micros = [rate_micro(cur, base, day)] * k
                txn = parts
                bas = [to_base(t, micros[0]) for t in txn]
            else:
                curs = [base] * k
                micros = [1_000_000] * k
                txn = bas = parts
            if bas is not txn:
                residue = sum(bas[:nd]) - sum(bas[nd:])  # debits - credits in base
                if residue:
                    bas = list(bas)
                    if residue > 0:
                        bas[-1] += residue  # one credit line takes the rounding residue
                    else:
                        bas[0] -= residue  # one debit line takes it
            txn_cur += curs
            rates += [rate_text(m) for m in micros]
            tm = [money_frag(a) for a in txn]
            txn_money += tm
            base_money += tm if bas is txn else [money_frag(b) for b in bas]
            base_cur += [base] * k

        def rep(values):
            return list(chain.from_iterable(map(repeat, values, ks)))

        first = jl.n
        n_new = sum(ks)
        line_ents = rep(ents)
        line_posting = rep(posting)
        sides = {k: ["debit"] * (k // 2) + ["credit"] * (k - k // 2) for k in sorted(set(ks))}
        jl.extend("journalEntry", rep(erows))
        jl.extend("lineNumber", list(chain.from_iterable(range(1, k + 1) for k in ks)))
        jl.extend("txnType", list(chain.from_iterable(map(sides.__getitem__, ks))))
        jl.extend("txnAmount", txn_money)
        jl.extend("baseAmount", base_money)
        jl.extend("entryDate", line_posting)
        jl.extend("state", rep(state))
        jl.extend("currency.baseCurrency", base_cur)
        jl.extend("currency.txnCurrency", txn_cur)
        jl.extend("currency.exchangeRate", rates)
        jl.extend("currency.exchangeRateDate", line_posting)
        jl.extend_const("currency.exchangeRateTypeId", RATE_TYPE, n_new)
        jl.extend("entity", line_ents)
        jl.extend("audit.createdDateTime", rep(created))
        jl.extend("audit.modifiedDateTime", rep(modified))
        jl.extend("audit.createdByUser", rep(by_c))
        jl.extend("audit.modifiedByUser", rep(by_m))
        del txn_money, base_money, base_cur, txn_cur, rates  # big temporaries: keep the build's peak memory down
        cost_centers = ("CC-100", "CC-200", "CC-300", "CC-400", None, None)
        n_acc = st.table("general-ledger/account").n
        descr = [LINE_TEXT[int(r() * 50)] for _ in range(n_new)]
        for i in range(5, n_new, max(1, min(1999, n_new // 12))):
            descr[i] = self.hard_text()
        jl.extend("description", descr)
        jl.extend("isBillable", [r() < 0.05 for _ in range(n_new)])
        jl.extend("nsp::COST_CENTER_CODE", [cost_centers[int(r() * 6)] for _ in range(n_new)])
        jl.extend("nsp::APPROVED_ON", [p + 1 if r() < 0.3 else 0 for p in line_posting])
        jl.extend("glAccount", [int(r() * n_acc) for _ in range(n_new)])
        for d, path, p_none in (
                ("department", "company-config/department", 0.1), ("location", "company-config/location", 0.05),
                ("class", "company-config/class", 0.6), ("project", "projects/project", 0.75),
                ("vendor", "accounts-payable/vendor", 0.8), ("customer", "accounts-receivable/customer", 0.8),
                ("employee", "company-config/employee", 0.9), ("item", "inventory-control/item", 0.9)):
            # one draw per line decides both "no dimension" and which member
            pools = [self._eligible(path, e) for e in range(len(ENTITIES))]
            if p_none < 0.5:
                elig = [(el, len(el) / (1.0 - p_none) * (1 - 1e-12)) for el in pools]
                col = [-1 if (u := r()) < p_none else (x := elig[e])[0][int((u - p_none) * x[1])]
                       for e in line_ents]
            else:  # sparse: draw only the lines that get a member
                col = [-1] * n_new
                for i in self.rng.sample(range(n_new), round(n_new * (1 - p_none))):
                    el = pools[line_ents[i]]
                    col[i] = el[int(r() * len(el))]
            jl.extend(f"dimensions.{d}", col)
            del col
        jl.commit_bulk(rep(priv))
        line_rows = list(range(first, first + n_new))
        return erows if return_entries else line_rows
