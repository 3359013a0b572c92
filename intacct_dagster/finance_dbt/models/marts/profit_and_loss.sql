-- Profit and loss: one row per fiscal period x entity x income-statement account with activity or a year-to-date
-- balance, in base currency. `amount`/`ytd_amount` are shown the way the statement reads (revenue and income
-- positive when earned, costs and expenses positive when incurred); `net_income_amount`/`ytd_net_income_amount`
-- are the account's contribution to net income (credits - debits), so they sum to net income.
select
    fiscal_year,
    fiscal_period,
    period_start,
    period_end,
    entity_key,
    entity_id,
    entity_name,
    base_currency,
    statement_section,
    section_order,
    gl_account_key,
    account_id,
    account_name,
    case when statement_section in ('revenue', 'other_income') then credits - debits else debits - credits end
        as amount,
    case when statement_section in ('revenue', 'other_income') then -closing_balance else closing_balance end
        as ytd_amount,
    credits - debits as net_income_amount,
    -closing_balance as ytd_net_income_amount
from {{ ref('trial_balance') }}
where statement = 'income_statement'
  and (debits <> 0 or credits <> 0 or closing_balance <> 0)
