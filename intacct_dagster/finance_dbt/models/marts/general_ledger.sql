-- The general ledger: one row per journal entry line of an entry in the GL (var('gl_states')), with its fiscal
-- period, account, entity, dimensions and amounts in base and transaction currency.
-- A line's entity is its journal entry's entity and its GL date the entry's posting date; a line whose entry is
-- not loaded cannot be placed and is left out (the relationships test on stg_journal_entry_lines warns).
with lines as (

    select * from {{ ref('stg_journal_entry_lines') }}

), entries as (

    select * from {{ ref('stg_journal_entries') }}

), accounts as (

    select * from {{ ref('int_accounts') }}

), entities as (

    select * from {{ ref('stg_entities') }}

), joined as (

    select
        lines.journal_entry_line_key,
        lines.journal_entry_key,
        entries.journal_entry_id,
        entries.txn_number,
        lines.line_number,
        coalesce(entries.posting_date, lines.entry_date) as posting_date,
        lines.entry_date,
        entries.state,
        entries.gl_journal_id as journal_id,
        entries.gl_journal_name as journal_name,
        entries.module_name,
        entries.reference_number,
        coalesce(lines.description, entries.description) as description,
        entries.entity_key,
        coalesce(entities.entity_id, entries.entity_id) as entity_id,
        coalesce(entities.entity_name, entries.entity_name) as entity_name,
        lines.gl_account_key,
        coalesce(accounts.account_id, lines.gl_account_id) as account_id,
        coalesce(accounts.account_name, lines.gl_account_name) as account_name,
        accounts.account_type,
        accounts.normal_balance,
        accounts.category as account_category,
        coalesce(accounts.statement, 'balance_sheet') as statement,
        coalesce(accounts.statement_section, 'asset') as statement_section,
        {%- for dim in ['department', 'location', 'class', 'project', 'vendor', 'customer', 'employee', 'item'] %}
        lines.{{ dim }}_key,
        coalesce({{ dim }}s.{{ dim }}_id, lines.{{ dim }}_id) as {{ dim }}_id,
        coalesce({{ dim }}s.{{ dim }}_name, lines.{{ dim }}_name) as {{ dim }}_name,
        {%- endfor %}
        lines.txn_type,
        coalesce(lines.base_currency, entities.base_currency) as base_currency,
        coalesce(lines.txn_currency, lines.base_currency, entities.base_currency) as txn_currency,
        lines.exchange_rate,
        coalesce(lines.base_amount, 0) as base_amount,
        coalesce(lines.txn_amount, 0) as txn_amount
    from lines
    join entries on entries.journal_entry_key = lines.journal_entry_key
    left join accounts on accounts.gl_account_key = lines.gl_account_key
    left join entities on entities.entity_key = entries.entity_key
    {%- for dim, model in [('department', 'departments'), ('location', 'locations'), ('class', 'classes'),
                           ('project', 'projects'), ('vendor', 'vendors'), ('customer', 'customers'),
                           ('employee', 'employees'), ('item', 'items')] %}
    left join {{ ref('stg_' ~ model) }} as {{ dim }}s on {{ dim }}s.{{ dim }}_key = lines.{{ dim }}_key
    {%- endfor %}

)

select
    journal_entry_line_key,
    journal_entry_key,
    journal_entry_id,
    txn_number,
    line_number,
    posting_date,
    entry_date,
    {{ fiscal_year('posting_date') }} as fiscal_year,
    {{ fiscal_period('posting_date') }} as fiscal_period,
    {{ month_start('posting_date') }} as period_start,
    state,
    journal_id,
    journal_name,
    module_name,
    reference_number,
    description,
    entity_key,
    entity_id,
    entity_name,
    gl_account_key,
    account_id,
    account_name,
    account_type,
    normal_balance,
    account_category,
    statement,
    statement_section,
    department_key, department_id, department_name,
    location_key, location_id, location_name,
    class_key, class_id, class_name,
    project_key, project_id, project_name,
    vendor_key, vendor_id, vendor_name,
    customer_key, customer_id, customer_name,
    employee_key, employee_id, employee_name,
    item_key, item_id, item_name,
    case when vendor_key is not null then 'vendor' when customer_key is not null then 'customer' end
        as counterparty_type,
    coalesce(vendor_id, customer_id) as counterparty_id,
    coalesce(vendor_name, customer_name) as counterparty_name,
    txn_type,
    base_currency,
    txn_currency,
    exchange_rate,
    base_amount,
    case when txn_type = 'debit' then base_amount else 0 end as debit_amount,
    case when txn_type = 'credit' then base_amount else 0 end as credit_amount,
    case when txn_type = 'debit' then base_amount when txn_type = 'credit' then -base_amount else 0 end
        as net_amount,
    txn_amount,
    case when txn_type = 'debit' then txn_amount when txn_type = 'credit' then -txn_amount else 0 end
        as txn_net_amount
from joined
where state in {{ sql_list(var('gl_states')) }}
