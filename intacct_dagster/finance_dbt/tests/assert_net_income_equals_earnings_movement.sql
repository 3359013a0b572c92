{{ config(meta={'dagster': {'ref': {'name': 'profit_and_loss'}},
                'description': "Per entity and period: P&L net income equals the change in the balance sheet's earnings (retained earnings closed from prior years + current-year earnings) since the previous period."}) }}
with net_income as (
    select entity_key, period_start, sum(net_income_amount) as net_income
    from {{ ref('profit_and_loss') }}
    group by entity_key, period_start
), earnings as (
    select entity_key, period_start,
           sum(case when line_type in ('retained_earnings', 'current_year_earnings') then amount else 0 end) as earnings
    from {{ ref('balance_sheet') }}
    group by entity_key, period_start
), movement as (
    select entity_key, period_start,
           earnings - coalesce(lag(earnings) over (partition by entity_key order by period_start), 0) as movement
    from earnings
)
select
    coalesce(m.entity_key, n.entity_key) as entity_key,
    coalesce(m.period_start, n.period_start) as period_start,
    m.movement,
    n.net_income
from movement as m
full outer join net_income as n
    on coalesce(n.entity_key, '') = coalesce(m.entity_key, '') and n.period_start = m.period_start
where coalesce(m.movement, 0) <> coalesce(n.net_income, 0)
