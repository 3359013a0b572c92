{{ config(meta={'dagster': {'ref': {'name': 'trial_balance_by_department'}},
                'description': 'Summed over departments, the department trial balance equals the trial balance.'}) }}
with by_department as (
    select entity_key, gl_account_key, period_start,
           sum(opening_balance) as opening_balance, sum(debits) as debits, sum(credits) as credits,
           sum(closing_balance) as closing_balance
    from {{ ref('trial_balance_by_department') }}
    group by entity_key, gl_account_key, period_start
), totals as (
    select entity_key, gl_account_key, period_start, opening_balance, debits, credits, closing_balance
    from {{ ref('trial_balance') }}
)
select
    coalesce(t.entity_key, d.entity_key) as entity_key,
    coalesce(t.gl_account_key, d.gl_account_key) as gl_account_key,
    coalesce(t.period_start, d.period_start) as period_start
from totals as t
full outer join by_department as d
    on coalesce(d.entity_key, '') = coalesce(t.entity_key, '')
    and d.gl_account_key = t.gl_account_key
    and d.period_start = t.period_start
where coalesce(t.opening_balance, 0) <> coalesce(d.opening_balance, 0)
   or coalesce(t.debits, 0) <> coalesce(d.debits, 0)
   or coalesce(t.credits, 0) <> coalesce(d.credits, 0)
   or coalesce(t.closing_balance, 0) <> coalesce(d.closing_balance, 0)
