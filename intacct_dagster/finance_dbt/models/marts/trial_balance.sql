-- Trial balance: one row per fiscal period x entity x GL account, base currency, debit-positive.
-- See macros/trial_balance.sql.
{{ trial_balance(by_department=false) }}
