"""Deterministic, scalable fake accounting data for the sandbox.

One knob, ``lines`` (journal-entry lines), sizes everything else. Same ``seed`` + same UTC day = same data:
timestamps are anchored at today's UTC midnight (so ``created <= modified <= now`` always holds) and spread
over the two years before it, with many rows sharing one ``modifiedDateTime`` second (import batches, lines of
one entry) so that keyset pagination has ties to get right. Journal entries balance exactly (integer cents).
The same row factories serve ``Sandbox.create``.
"""

from __future__ import annotations

import datetime as dt
import random
from itertools import chain, repeat

from .store import Store, epoch_to_ordinal, frag_cents

DAY = 86400
SPAN_DAYS = 730
USERS = ("ws_user", "jdoe", "asmith", "import_bot", "mlee")
CITIES = [("San Jose", "US"), ("Austin", "US"), ("London", "GB"), ("Leeds", "GB"), ("Toronto", "CA"),
          ("Vancouver", "CA"), ("Chicago", "US"), ("Boston", "US")]
WORDS = ("Acme", "Global", "Summit", "Pioneer", "Blue", "River", "Northern", "Atlas", "Vertex", "Harbor",
         "Granite", "Cedar", "Orbit", "Keystone", "Lumen", "Falcon", "Maple", "Quantum", "Silver", "Zenith")
SUFFIX = ("Supply", "Logistics", "Consulting", "Systems", "Foods", "Partners", "Labs", "Industries", "Media",
          "Holdings")
LINE_TEXT = tuple(f"{a} {b}" for a in ("Accrual", "Reclass", "Payroll", "Rent", "Depreciation", "Revenue",
                                         "Cost allocation", "Freight", "Utilities", "Prepaid")
                  for b in ("- monthly", "- adjustment", "- Q close", "- correction", "entry"))
ENTITIES = [("E1", "Sandbox US Inc.", "United States", "USD"), ("E2", "Sandbox UK Ltd", "United Kingdom", "GBP"),
            ("E3", "Sandbox Canada Corp", "Canada", "CAD")]
ACCOUNTS = [("1000", "Cash - Operating", "balanceSheet", "debit"), ("1010", "Cash - Payroll", "balanceSheet", "debit"),
            ("1100", "Accounts Receivable", "balanceSheet", "debit"), ("1200", "Inventory", "balanceSheet", "debit"),
            ("1300", "Prepaid Expenses", "balanceSheet", "debit"), ("1500", "Fixed Assets", "balanceSheet", "debit"),
            ("1600", "Accumulated Depreciation", "balanceSheet", "credit"),
            ("2000", "Accounts Payable", "balanceSheet", "credit"), ("2100", "Accrued Liabilities", "balanceSheet", "credit"),
            ("2200", "Sales Tax Payable", "balanceSheet", "credit"), ("2500", "Long-term Debt", "balanceSheet", "credit"),
            ("3000", "Common Stock", "balanceSheet", "credit"), ("3100", "Retained Earnings", "balanceSheet", "credit")]
ACCOUNTS += [(str(4000 + 10 * i), f"Revenue - {w}", "incomeStatement", "credit") for i, w in enumerate(WORDS[:12])]
ACCOUNTS += [(str(5000 + 10 * i), f"COGS - {w}", "incomeStatement", "debit") for i, w in enumerate(WORDS[:10])]
ACCOUNTS += [(str(6000 + 10 * i), f"Expense - {w}", "incomeStatement", "debit") for i, w in enumerate(WORDS)]
TERMS = [("Net 10", 10), ("Net 30", 30), ("Net 45", 45), ("Net 60", 60), ("Due on receipt", 0)]


def scale(lines: int) -> dict[str, int]:
    return {
        "vendors": max(20, lines // 200), "customers": max(20, lines // 200),
        "employees": max(15, lines // 1000), "projects": max(10, lines // 2000), "items": max(20, lines // 500),
        "bills": max(30, lines // 20), "invoices": max(30, lines // 20),
    }


def utc_midnight_today() -> int:
    today = dt.datetime.now(dt.timezone.utc).date()
    return (today.toordinal() - dt.date(1970, 1, 1).toordinal()) * DAY


class Generator:
    def __init__(self, store: Store, seed: int, anchor: int):
        self.store = store
        self.rng = random.Random(seed)
        self.anchor = anchor
        self.t0 = anchor - SPAN_DAYS * DAY
        self.grain = 1
        self._elig: dict[tuple[str, int], tuple[int, list[int]]] = {}

    # ------------------------------------------------------------------------------------------ helpers
    def _audit(self, created: int, modified: int) -> dict:
        r = self.rng.random
        return {"audit.createdDateTime": created, "audit.modifiedDateTime": modified,
                "audit.createdBy": USERS[int(r() * len(USERS))], "audit.modifiedBy": USERS[int(r() * len(USERS))]}

    def _master_times(self) -> tuple[int, int]:
        r = self.rng.random
        created = self.t0 + int(r() * SPAN_DAYS * DAY * 0.5)
        modified = created if r() < 0.4 else created + int(r() * (self.anchor - created))
        return created, modified

    def _master_entity(self) -> int:
        r = self.rng.random
        return int(r() * 3) if r() < 0.2 else -1

    def _eligible(self, path: str, ent: int) -> list[int]:
        """Live rows of ``path`` visible inside entity ``ent`` (shared rows + that entity's; -1 = shared only)."""
        t = self.store.table(path)
        k = (path, ent)
        hit = self._elig.get(k)
        if hit is None or hit[0] != t.version:
            alive = t.alive
            if t.odef.has_entity:
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
        if ent is not None and t.odef.has_entity:
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

    # ------------------------------------------------------------------------------------------ build
    def build(self, lines: int) -> None:
        s = scale(lines)
        st = self.store
        # ~3 documents per distinct audit second: many rows share a modifiedDateTime (keyset ties)
        docs = lines // 4 + s["bills"] + s["invoices"]
        self.grain = max(1, SPAN_DAYS * DAY * 3 // max(1, docs))
        r = self.rng.random
        for i, (eid, name, country, cur) in enumerate(ENTITIES):
            st.table("company-config/entity").append({"id": eid, "name": name, "status": "active",
                                                      "operatingCountry": country, "baseCurrency": cur,
                                                      "description": f"Entity {i + 1}",
                                                      **self._audit(self.t0, self.t0)})
        for path, rows in (("accounts-payable/vendor-type", ["Supplier", "Contractor", "Utility", "Government"]),
                           ("accounts-receivable/customer-type", ["Retail", "Wholesale", "Enterprise", "Public"]),
                           ("general-ledger/journal", ["GJ", "APJ", "ARJ", "ADJ"])):
            for v in rows:
                st.table(path).append({"id": v, "name": f"{v} {'journal' if len(v) <= 3 else 'type'}"})
        for name, days in TERMS:
            st.table("accounts-payable/term").append({"id": name, "name": name, "status": "active",
                                                      "description": f"Payment due in {days} days",
                                                      "dueDays": days, "discountDays": 0 if days < 30 else 10,
                                                      "discountPercent": 0.0 if days < 30 else 2.0})
        for path, n in (("company-config/department", 12), ("company-config/location", 8),
                        ("company-config/class", 6)):
            for i in range(n):
                self.create_row(path, i)
        for _ in range(len(ACCOUNTS)):
            self.create_row("general-ledger/account")
        for _ in range(s["employees"]):
            self.create_row("company-config/employee")
        for _ in range(s["vendors"]):
            self.create_row("accounts-payable/vendor")
        for _ in range(s["customers"]):
            self.create_row("accounts-receivable/customer")
        for _ in range(s["items"]):
            self.create_row("inventory-control/item")
        for _ in range(s["projects"]):
            self.create_row("projects/project")
        for _ in range(s["projects"] * 2):
            self.create_row("platform-apps/nsp::project_budget")
        for _ in range(s["bills"]):
            self.create_doc("accounts-payable/bill")
            if r() < 0.7:
                self.create_row("accounts-payable/payment")
        for _ in range(s["invoices"]):
            self.create_doc("accounts-receivable/invoice")
            if r() < 0.7:
                self.create_row("accounts-receivable/payment")
        self.create_entries(lines, bulk=True)

    # ------------------------------------------------------------------------------------------ rows
    def _txn_meta(self, now: int | None) -> dict:
        """created/modified/entity/private for a transaction row; ``now`` given = created just now."""
        r = self.rng.random
        if now is None:
            # import batches: ~1 distinct second per 3 documents
            g = self.grain
            created = self.t0 + int(r() * SPAN_DAYS * DAY) // g * g
            modified = created if r() < 0.6 else min(self.anchor, created + int(r() * 90 * DAY) // g * g)
        else:
            created = modified = now
        ent = int(r() * 3)
        return {"created": created, "modified": modified, "entity": ent, "private": r() < 0.05}

    def create_row(self, path: str, i: int | None = None, now: int | None = None) -> int:
        """Append one generated record of a non-document object; returns its row."""
        st = self.store
        t = st.table(path)
        r = self.rng.random
        n = t.n
        if now is None:
            created, modified = self._master_times()
        else:
            created = modified = now
        rec: dict = {"status": "active" if r() < 0.9 else "inactive", "description": None}
        if path != "accounts-payable/term":
            rec.update(self._audit(created, modified))
        if t.odef.has_entity:
            rec["entity"] = self._master_entity()
        city, country = CITIES[int(r() * len(CITIES))]
        if path == "company-config/department":
            rec.update(id=f"D{100 + n * 10}", name=f"{WORDS[n % len(WORDS)]} Department {n + 1}",
                       reportTitle=f"Dept {n + 1}", parent=(0 if n > 0 and r() < 0.5 else -1), entity=-1)
        elif path == "company-config/location":
            rec.update(id=f"L{n + 1:02d}", name=f"{city} Office {n + 1}", entity=n % 3 if n < 6 else -1)
            rec["contacts.primary.mailingAddress.city"] = city
            rec["contacts.primary.mailingAddress.country"] = country
        elif path == "company-config/class":
            rec.update(id=f"C{n + 1:02d}", name=f"Class {WORDS[n % len(WORDS)]}", entity=-1)
        elif path == "general-ledger/account":
            aid, name, atype, nb = ACCOUNTS[n] if n < len(ACCOUNTS) else (str(9000 + n), f"Account {n}", "balanceSheet", "debit")
            rec.update(id=aid, name=name, accountType=atype, normalBalance=nb,
                       closingType="closingAccount" if atype == "incomeStatement" else "nonClosingAccount",
                       isTaxable=r() < 0.2, entity=-1, status="active")
        elif path == "company-config/employee":
            rec.update(id=f"EMP-{n + 1:04d}", name=self._name().rsplit(" ", 1)[0], startDate=epoch_to_ordinal(created),
                       jobTitle=("Accountant", "Engineer", "Manager", "Analyst")[n % 4],
                       isPlaceholderResource=False, department=self._pick("company-config/department", ent=rec["entity"]),
                       location=self._pick("company-config/location", ent=rec["entity"]))
        elif path in ("accounts-payable/vendor", "accounts-receivable/customer"):
            is_vendor = path.endswith("vendor")
            name = self._name()
            slug = name.lower().replace(" ", "")[:18]
            rec.update(id=f"{'VEND' if is_vendor else 'CUST'}-{n + 1:05d}", name=name,
                       creditLimit=int(r() * 50_000) * 100, totalDue=int(r() * 2_000_000), isOnHold=r() < 0.05,
                       notes=None)
            rec["contacts.default.email1"] = f"ap@{slug}.example.com"
            rec["contacts.default.phone1"] = f"+1-555-{int(r() * 9000) + 1000}"
            rec["contacts.default.mailingAddress.city"] = city
            rec["contacts.default.mailingAddress.country"] = country
            rec["nsp::APPROVED_ON"] = epoch_to_ordinal(created) if r() < 0.7 else None
            if is_vendor:
                rec.update(taxId=f"{int(r() * 90) + 10}-{int(r() * 9000000) + 1000000}", isOneTimeUse=r() < 0.02,
                           billingType="openItem" if r() < 0.8 else "balanceForward",
                           vendorType=self._pick("accounts-payable/vendor-type"),
                           paymentTerm=self._pick("accounts-payable/term"))
                rec["nsp::REBATE_PCT"] = round(r() * 5, 2) if r() < 0.5 else None
            else:
                rec.update(customerType=self._pick("accounts-receivable/customer-type"),
                           term=self._pick("accounts-payable/term"))
                rec["nsp::CUSTOMER_SEGMENT"] = ("SMB", "Mid-Market", "Enterprise", None)[int(r() * 4)]
        elif path == "inventory-control/item":
            cost = int(r() * 50_000) + 100
            rec.update(id=f"ITEM-{n + 1:05d}", name=f"{WORDS[n % len(WORDS)]} {('Widget', 'Service', 'Kit', 'Part')[n % 4]} {n + 1}",
                       itemType=("inventory", "nonInventory", "service")[n % 3], standardCost=cost,
                       basePrice=cost * 3 // 2, unitOfMeasure=("Each", "Hour", "Box")[n % 3], isTaxable=r() < 0.5)
        elif path == "projects/project":
            start = epoch_to_ordinal(created)
            rec.update(id=f"PRJ-{n + 1:04d}", name=f"{self._name()} rollout", startDate=start,
                       endDate=start + int(r() * 365) + 30, budgetedBillingAmount=int(r() * 10_000_000),
                       projectStatus=("notStarted", "inProgress", "onHold", "completed")[int(r() * 4)],
                       customer=self._pick("accounts-receivable/customer", ent=rec["entity"]),
                       department=self._pick("company-config/department", ent=rec["entity"]),
                       location=self._pick("company-config/location", ent=rec["entity"]))
        elif path == "platform-apps/nsp::project_budget":
            rec.pop("status")
            rec.update(name=f"Budget {n + 1}", fiscalYear=2024 + int(r() * 3), budgetAmount=int(r() * 5_000_000),
                       approved=r() < 0.6, project=self._pick("projects/project", ent=-1), entity=-1)
        elif path in ("accounts-payable/payment", "accounts-receivable/payment"):
            return self._create_payment(path, now)
        elif path == "general-ledger/journal-entry-line":
            return self.create_entries(2, bulk=False, now=now)[0]
        elif path == "general-ledger/journal-entry":
            return self.create_entries(3, bulk=False, now=now, return_entries=True)[0]
        elif path in ("accounts-payable/bill", "accounts-receivable/invoice"):
            return self.create_doc(path, now)
        elif path in ("accounts-payable/bill-line", "accounts-receivable/invoice-line"):
            return self.create_doc(path.rsplit("-", 1)[0], now, return_lines=True)
        if "status" in t.cols and rec.get("status") is None:
            rec["status"] = "active"
        return t.append(rec)

    def _create_payment(self, path: str, now: int | None) -> int:
        r = self.rng.random
        ap = path.startswith("accounts-payable")
        doc_path = "accounts-payable/bill" if ap else "accounts-receivable/invoice"
        doc = self.store.table(doc_path)
        drow = self._pick(doc_path)
        meta = self._txn_meta(now)
        created = max(meta["created"], doc.cols["audit.createdDateTime"][drow]) if now is None else now
        modified = max(created, meta["modified"]) if now is None else now
        if now is None:
            modified = min(modified, self.anchor)
            created = min(created, modified)
        amount = frag_cents(doc.cols["totalTxnAmount"][drow]) // (1 if r() < 0.7 else 2)
        party = "vendor" if ap else "customer"
        rec = {"id": None, "documentNumber": f"{'CHK' if ap else 'RCPT'}-{int(r() * 900000) + 100000}",
               "paymentMethod": ("printedCheck", "ach", "creditCard", "cash")[int(r() * 4)],
               "txnAmount": amount, "baseAmount": amount, "state": "complete" if r() < 0.9 else "approved",
               "description": f"Payment for {doc.cols['id'][drow]}",
               "currency.baseCurrency": doc.cols["currency.baseCurrency"][drow],
               "currency.txnCurrency": doc.cols["currency.txnCurrency"][drow],
               party: doc.cols[party][drow], ("bill" if ap else "invoice"): drow,
               "entity": doc.cols["entity"][drow], "__private": doc.private[drow],
               ("paymentDate" if ap else "receiptDate"): epoch_to_ordinal(created), **self._audit(created, modified)}
        t = self.store.table(path)
        rec["id"] = f"{'APP' if ap else 'ARP'}-{t.n + 1:06d}"
        return t.append(rec)

    def create_doc(self, path: str, now: int | None = None, return_lines: bool = False) -> int:
        """A bill or invoice with 1-4 lines; totals = sum of lines."""
        r = self.rng.random
        ap = path == "accounts-payable/bill"
        line_path = path + "-line"
        st = self.store
        doc, lines = st.table(path), st.table(line_path)
        meta = self._txn_meta(now)
        ent = meta["entity"]
        cur = ENTITIES[ent][3]
        row = doc.n
        k = 1 + int(r() * 4)
        amounts = [int(r() * 500_000) + 500 for _ in range(k)]
        total = sum(amounts)
        date = epoch_to_ordinal(meta["created"])
        party = "vendor" if ap else "customer"
        term = self._pick("accounts-payable/term")
        number = f"{'BILL' if ap else 'INV'}-{row + 1:06d}"
        paid = r()
        rec = {"id": number, party: self._pick(f"accounts-{'payable' if ap else 'receivable'}/{party}", ent=ent),
               "term": term,
               ("billNumber" if ap else "invoiceNumber"): number, ("createdDate" if ap else "invoiceDate"): date,
               "dueDate": date + 30, "totalTxnAmount": total, "totalBaseAmount": total,
               "totalTxnAmountDue": 0 if paid < 0.5 else total, "state": "paid" if paid < 0.5 else "posted",
               "description": f"{'Bill from' if ap else 'Invoice to'} {party} {number}",
               "currency.baseCurrency": cur, "currency.txnCurrency": cur, "entity": ent,
               "__private": meta["private"], **self._audit(meta["created"], meta["modified"])}
        if ap:
            rec["postingDate"] = date
        else:
            rec["project"] = self._pick("projects/project", allow_none=0.6, ent=ent)
        doc.append(rec)
        first_line = None
        for i, amt in enumerate(amounts):
            lrec = {"id": None, path.rsplit("/", 1)[1]: row, "lineNumber": i + 1, "txnAmount": amt, "baseAmount": amt,
                    "description": LINE_TEXT[int(r() * len(LINE_TEXT))],
                    "glAccount": self._pick("general-ledger/account"),
                    "dimensions.department": self._pick("company-config/department", 0.1, ent),
                    "dimensions.location": self._pick("company-config/location", 0.05, ent),
                    "dimensions.project": self._pick("projects/project", 0.7, ent),
                    "dimensions.item": self._pick("inventory-control/item", 0.6, ent),
                    "entity": ent, "__private": meta["private"], **self._audit(meta["created"], meta["modified"])}
            if ap:
                lrec["dimensions.class"] = self._pick("company-config/class", 0.5, ent)
            else:
                lrec["dimensions.customer"] = rec["customer"]
            lrec["id"] = str(lines.n + 1)
            lr = lines.append(lrec)
            if first_line is None:
                first_line = lr
        return first_line if return_lines else row

    def create_entries(self, n_lines: int, bulk: bool, now: int | None = None,
                       return_entries: bool = False) -> list[int]:
        """Balanced journal entries totalling ``n_lines`` lines (2-6 per entry). Returns line rows (or entry rows).

        Built column-wise (entry-level values as lists, lines by repeating them), which is what lets 1M lines
        build in seconds."""
        st = self.store
        je, jl = st.table("general-ledger/journal-entry"), st.table("general-ledger/journal-entry-line")
        r = self.rng.random
        c = jl.cols
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
        metas = [self._txn_meta(now) for _ in range(n_e)]
        ents = [m["entity"] for m in metas]
        created = [m["created"] for m in metas]
        modified = [m["modified"] for m in metas]
        priv = [1 if m["private"] else 0 for m in metas]
        posting = [epoch_to_ordinal(t) - int(r() * 5) for t in created]
        state = ["posted" if r() < 0.92 else "draft" for _ in range(n_e)]
        by_c = [USERS[int(r() * 5)] for _ in range(n_e)]
        by_m = [USERS[int(r() * 5)] for _ in range(n_e)]
        cur = [ENTITIES[e][3] for e in ents]
        # entry headers
        jc = je.cols
        jc["txnNumber"].extend([e + 1 for e in erows])
        jc["postingDate"].extend(posting)
        jc["description"].extend([LINE_TEXT[int(r() * 50)] for _ in range(n_e)])
        jc["referenceNumber"].extend([f"REF-{int(r() * 1_000_000):06d}" if r() < 0.5 else None for _ in range(n_e)])
        jc["state"].extend(state)
        jc["moduleName"].extend(["2.GL"] * n_e)
        jc["journal"].extend([int(r() * 4) for _ in range(n_e)])
        jc["entity"].extend(ents)
        jc["audit.createdDateTime"].extend(created)
        jc["audit.modifiedDateTime"].extend(modified)
        jc["audit.createdBy"].extend(by_c)
        jc["audit.modifiedBy"].extend(by_m)
        je.commit_bulk(priv)
        # lines: balanced amounts per entry (integer cents), everything else repeated or drawn column-wise
        money: list[str] = []
        for k in ks:
            total = int(r() * 1_000_000) + 1000
            nd = k // 2
            for m in (nd, k - nd):
                ws = [1.0 + r() for _ in range(m)]
                sw = sum(ws)
                parts = [int(total * w / sw) for w in ws]
                parts[-1] += total - sum(parts)
                money += [f'"{a // 100}.{a % 100:02d}"' for a in parts]

        def rep(values):
            return list(chain.from_iterable(map(repeat, values, ks)))

        first = jl.n
        n_new = sum(ks)
        line_ents = rep(ents)
        line_posting = rep(posting)
        sides = {k: ["debit"] * (k // 2) + ["credit"] * (k - k // 2) for k in set(ks)}
        c["journalEntry"].extend(rep(erows))
        c["lineNumber"].extend(chain.from_iterable(range(1, k + 1) for k in ks))
        c["txnType"].extend(chain.from_iterable(map(sides.__getitem__, ks)))
        c["txnAmount"].extend(money)
        c["baseAmount"].extend(money)
        c["entryDate"].extend(line_posting)
        c["documentId"].extend([None] * n_new)
        c["state"].extend(rep(state))
        bc = rep(cur)
        c["currency.baseCurrency"].extend(bc)
        c["currency.txnCurrency"].extend(bc)
        c["currency.exchangeRate"].extend([1.0] * n_new)
        c["entity"].extend(line_ents)
        c["audit.createdDateTime"].extend(rep(created))
        c["audit.modifiedDateTime"].extend(rep(modified))
        c["audit.createdBy"].extend(rep(by_c))
        c["audit.modifiedBy"].extend(rep(by_m))
        cost_centers = ("CC-100", "CC-200", "CC-300", "CC-400", None, None)
        n_acc = st.table("general-ledger/account").n
        c["description"].extend([LINE_TEXT[int(r() * 50)] for _ in range(n_new)])
        c["isBillable"].extend([r() < 0.05 for _ in range(n_new)])
        c["nsp::COST_CENTER_CODE"].extend([cost_centers[int(r() * 6)] for _ in range(n_new)])
        c["nsp::APPROVED_ON"].extend([p + 1 if r() < 0.3 else 0 for p in line_posting])
        c["glAccount"].extend([int(r() * n_acc) for _ in range(n_new)])
        for d, path, p_none in (
                ("department", "company-config/department", 0.1), ("location", "company-config/location", 0.05),
                ("class", "company-config/class", 0.6), ("project", "projects/project", 0.75),
                ("vendor", "accounts-payable/vendor", 0.8), ("customer", "accounts-receivable/customer", 0.8),
                ("employee", "company-config/employee", 0.9), ("item", "inventory-control/item", 0.9)):
            elig = [self._eligible(path, e) for e in range(len(ENTITIES))]
            c[f"dimensions.{d}"].extend(
                [-1 if r() < p_none else (el := elig[e])[int(r() * len(el))] for e in line_ents])
        jl.commit_bulk(rep(priv))
        line_rows = list(range(first, first + n_new))
        entry_rows = erows
        return entry_rows if return_entries else line_rows
