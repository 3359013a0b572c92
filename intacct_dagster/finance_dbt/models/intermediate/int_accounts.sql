-- GL accounts with their statement (balance_sheet / income_statement), statement section, and for income-statement
-- accounts the retained earnings account their fiscal-year result closes to: the account's closeToGLAccount, else
-- var('retained_earnings_account_id'), else the account whose closingType is closedToAccount, else one
-- categorised or named "retained earnings", else a computed "Retained earnings" line.
with accounts as (

    select * from {{ ref('stg_gl_accounts') }}

), typed as (

    select
        accounts.*,
        case
            when account_type = 'incomeStatement' then 'income_statement'
            when account_type = 'balanceSheet' then 'balance_sheet'
            when closing_type = 'closingAccount' then 'income_statement'
            else 'balance_sheet'
        end as statement
    from accounts

), candidates as (

    select
        gl_account_key,
        case
            {% if var('retained_earnings_account_id') %}
            when account_id = '{{ var("retained_earnings_account_id") | replace("'", "''") }}' then 0
            {% endif %}
            when closing_type = 'closedToAccount' then 1
            when lower(coalesce(category, '')) like '%retained earnings%' then 2
            when lower(coalesce(account_name, '')) like '%retained earnings%' then 3
            else 9
        end as priority,
        account_id
    from typed
    where statement = 'balance_sheet'

), default_re as (

    select gl_account_key
    from (
        select gl_account_key, row_number() over (order by priority, account_id, gl_account_key) as rn
        from candidates
        where priority < 9
    ) ranked
    where rn = 1

), classified as (

    select
        typed.gl_account_key,
        typed.account_id,
        typed.account_name,
        typed.account_type,
        typed.normal_balance,
        typed.closing_type,
        typed.category,
        typed.status,
        typed.statement,
        {{ statement_section('typed.statement', 'typed.category', 'typed.account_name', 'typed.normal_balance',
                             'typed.account_id') }} as statement_section,
        case
            when typed.statement = 'income_statement'
                then coalesce(close_to.gl_account_key, (select gl_account_key from default_re), '__retained_earnings__')
        end as retained_earnings_account_key
    from typed
    left join typed as close_to
        on close_to.gl_account_key = typed.close_to_gl_account_key
        and close_to.statement = 'balance_sheet'

)

select
    *,
    {{ section_order('statement_section') }} as section_order
from classified

union all

-- the computed retained earnings line, only when the company has no account to close to
select
    '__retained_earnings__' as gl_account_key,
    'RETAINED_EARNINGS' as account_id,
    'Retained earnings (computed)' as account_name,
    'balanceSheet' as account_type,
    'credit' as normal_balance,
    'closedToAccount' as closing_type,
    'Retained Earnings' as category,
    'active' as status,
    'balance_sheet' as statement,
    'equity' as statement_section,
    cast(null as varchar) as retained_earnings_account_key,
    3 as section_order
where exists (select 1 from classified where retained_earnings_account_key = '__retained_earnings__')
