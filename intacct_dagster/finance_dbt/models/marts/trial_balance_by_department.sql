-- Trial balance at department grain: one row per fiscal period x entity x department x GL account (department
-- null for lines without one). Summed over departments it equals `trial_balance`.
{{ trial_balance(by_department=true) }}
