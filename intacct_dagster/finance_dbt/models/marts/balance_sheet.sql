-- Balance sheet: balances at the end of every fiscal period per entity, in base currency, one row per line:
--   line_type 'account'               a balance-sheet account's own postings (retained earnings accounts included)
--   line_type 'retained_earnings'     prior fiscal years' net income closed to a retained earnings account
--   line_type 'current_year_earnings' this fiscal year's net income to date (one row per entity and period)
-- `amount` is shown the way the statement reads: assets debit-positive, liabilities and equity credit-positive,
-- so total assets = total liabilities + total equity.
with tb as (

    select * from {{ ref('trial_balance') }}

), entity_periods as (

    select p.fiscal_year, p.fiscal_period, p.period_start, p.period_end,
           e.entity_key, e.entity_id, e.entity_name, e.base_currency
    from (
        select entity_key, max(entity_id) as entity_id, max(entity_name) as entity_name,
               max(base_currency) as base_currency, min(period_start) as first_period
        from tb
        group by entity_key
    ) as e
    join {{ ref('int_periods') }} as p on p.period_start >= e.first_period

), balance_sheet_accounts as (

    select
        tb.*,
        sum(year_end_close) over (
            partition by entity_key, gl_account_key
            order by period_start
            rows between unbounded preceding and current row
        ) as closed_earnings
    from tb
    where statement = 'balance_sheet'

), lines as (

    select fiscal_year, fiscal_period, period_start, period_end, entity_key, entity_id, entity_name, base_currency,
           statement_section, section_order, 'account' as line_type, gl_account_key, account_id, account_name,
           closing_balance - closed_earnings as debit_balance
    from balance_sheet_accounts
    where closing_balance - closed_earnings <> 0

    union all

    select fiscal_year, fiscal_period, period_start, period_end, entity_key, entity_id, entity_name, base_currency,
           'equity', 3, 'retained_earnings', gl_account_key, account_id, account_name,
           closed_earnings
    from balance_sheet_accounts
    where closed_earnings <> 0

    union all

    select ep.fiscal_year, ep.fiscal_period, ep.period_start, ep.period_end, ep.entity_key, ep.entity_id,
           ep.entity_name, ep.base_currency, 'equity', 3, 'current_year_earnings', cast(null as varchar),
           cast(null as varchar), 'Current year earnings', coalesce(ytd.balance, 0)
    from entity_periods as ep
    left join (
        select entity_key, period_start, sum(closing_balance) as balance
        from tb
        where statement = 'income_statement'
        group by entity_key, period_start
    ) as ytd
        on coalesce(ytd.entity_key, '') = coalesce(ep.entity_key, '') and ytd.period_start = ep.period_start

)

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
    line_type,
    gl_account_key,
    account_id,
    account_name,
    cast(case when statement_section = 'asset' then debit_balance else -debit_balance end as decimal(28, 2)) as amount
from lines
