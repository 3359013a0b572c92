{#-
  Trial balance by fiscal period x entity x account (x department when by_department), in base currency.

  Balances are debit-positive. Every (entity[, department], account) that ever had a posting gets a row for every
  period from the entity's first period on, so a balance carries forward through months without activity; rows
  where everything is zero are left out. Income-statement accounts restart each fiscal year: at the first period
  of a fiscal year their previous-year balance is closed to their retained earnings account (`year_end_close`,
  included in `opening_balance`), so every period's balances sum to zero per entity.
-#}
{% macro trial_balance(by_department=false) %}
{#- every CTE carries a department column dk; without departments it is '' throughout (one department) -#}
{%- set dk = "coalesce(department_key, '')" if by_department else "''" -%}
with gl as (

    select
        coalesce(entity_key, '') as ek,
        {{ dk }} as dk,
        gl_account_key,
        period_start,
        debit_amount,
        credit_amount
    from {{ ref('general_ledger') }}

), accounts as (

    select * from {{ ref('int_accounts') }}

), periods as (

    select * from {{ ref('int_periods') }}

), entity_info as (

    select
        coalesce(entity_key, '') as ek,
        max(entity_id) as entity_id,
        max(entity_name) as entity_name,
        max(base_currency) as base_currency,
        min(period_start) as first_period
    from {{ ref('general_ledger') }}
    group by coalesce(entity_key, '')

{%- if by_department %}
), department_info as (

    select
        coalesce(department_key, '') as dk,
        max(department_id) as department_id,
        max(department_name) as department_name
    from {{ ref('general_ledger') }}
    group by coalesce(department_key, '')
{%- endif %}

), activity as (

    select ek, dk, gl_account_key, period_start,
           sum(debit_amount) as debits, sum(credit_amount) as credits
    from gl
    group by ek, dk, gl_account_key, period_start

), fiscal_year_result as (

    -- each income-statement account's result for a fiscal year ...
    select a.ek, a.dk, a.gl_account_key, acc.retained_earnings_account_key, p.fiscal_year,
           sum(a.debits - a.credits) as result
    from activity as a
    join accounts as acc on acc.gl_account_key = a.gl_account_key
    join periods as p on p.period_start = a.period_start
    where acc.statement = 'income_statement'
    group by a.ek, a.dk, a.gl_account_key, acc.retained_earnings_account_key, p.fiscal_year

), closes as (

    -- ... moves to its retained earnings account at the first period of the next fiscal year
    select r.ek, r.dk, r.gl_account_key, p.period_start, -r.result as year_end_close
    from fiscal_year_result as r
    join periods as p on p.fiscal_year = r.fiscal_year + 1 and p.fiscal_period = 1
    union all
    select r.ek, r.dk, r.retained_earnings_account_key, p.period_start, r.result
    from fiscal_year_result as r
    join periods as p on p.fiscal_year = r.fiscal_year + 1 and p.fiscal_period = 1

), movements as (

    select ek, dk, gl_account_key, period_start,
           sum(debits) as debits, sum(credits) as credits, sum(year_end_close) as year_end_close
    from (
        select ek, dk, gl_account_key, period_start, debits, credits, 0 as year_end_close from activity
        union all
        select ek, dk, gl_account_key, period_start, 0, 0, year_end_close from closes
    ) as m
    group by ek, dk, gl_account_key, period_start

), grid as (

    select pairs.ek, pairs.dk, pairs.gl_account_key,
           p.fiscal_year, p.fiscal_period, p.period_start, p.period_end
    from (select distinct ek, dk, gl_account_key from movements) as pairs
    join entity_info as e on e.ek = pairs.ek
    join periods as p on p.period_start >= e.first_period

), balances as (

    select
        g.*,
        coalesce(m.debits, 0) as debits,
        coalesce(m.credits, 0) as credits,
        coalesce(m.year_end_close, 0) as year_end_close,
        sum(coalesce(m.debits, 0) - coalesce(m.credits, 0) + coalesce(m.year_end_close, 0)) over (
            partition by g.ek, g.dk, g.gl_account_key
            order by g.period_start
            rows between unbounded preceding and current row
        ) as closing_balance
    from grid as g
    left join movements as m
        on m.ek = g.ek and m.dk = g.dk and m.gl_account_key = g.gl_account_key and m.period_start = g.period_start

)

select
    b.fiscal_year,
    b.fiscal_period,
    b.period_start,
    b.period_end,
    nullif(b.ek, '') as entity_key,
    e.entity_id,
    e.entity_name,
    e.base_currency,
    {%- if by_department %}
    nullif(b.dk, '') as department_key,
    di.department_id,
    di.department_name,
    {%- endif %}
    b.gl_account_key,
    coalesce(acc.account_id, b.gl_account_key) as account_id,
    acc.account_name,
    acc.account_type,
    acc.normal_balance,
    coalesce(acc.statement, 'balance_sheet') as statement,
    coalesce(acc.statement_section, 'asset') as statement_section,
    coalesce(acc.section_order, 1) as section_order,
    cast(b.closing_balance - b.debits + b.credits as decimal(28, 2)) as opening_balance,
    cast(b.year_end_close as decimal(28, 2)) as year_end_close,
    cast(b.debits as decimal(28, 2)) as debits,
    cast(b.credits as decimal(28, 2)) as credits,
    cast(b.debits - b.credits as decimal(28, 2)) as net_change,
    cast(b.closing_balance as decimal(28, 2)) as closing_balance
from balances as b
join entity_info as e on e.ek = b.ek
{%- if by_department %}
left join department_info as di on di.dk = b.dk
{%- endif %}
left join accounts as acc on acc.gl_account_key = b.gl_account_key
where b.closing_balance <> 0
   or b.debits <> 0
   or b.credits <> 0
   or b.year_end_close <> 0
   or b.closing_balance - b.debits + b.credits <> 0
{% endmacro %}
