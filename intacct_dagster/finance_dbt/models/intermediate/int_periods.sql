-- Monthly fiscal periods from the first to the last month with a posting in the general ledger.
with bounds as (

    select
        min(period_start) as first_month,
        max(period_start) as last_month
    from {{ ref('general_ledger') }}

), digits as (

    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9

), numbers as (

    select a.d + 10 * b.d + 100 * c.d + 1000 * e.d as n
    from digits as a cross join digits as b cross join digits as c cross join digits as e

), months as (

    select cast({{ dbt.dateadd('month', 'numbers.n', 'bounds.first_month') }} as date) as period_start
    from bounds
    cross join numbers
    where bounds.first_month is not null
      and numbers.n <= (cast(extract(year from bounds.last_month) as integer) * 12
                        + cast(extract(month from bounds.last_month) as integer))
                       - (cast(extract(year from bounds.first_month) as integer) * 12
                          + cast(extract(month from bounds.first_month) as integer))

)

select
    {{ fiscal_year('period_start') }} as fiscal_year,
    {{ fiscal_period('period_start') }} as fiscal_period,
    period_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }} as date) as period_end
from months
