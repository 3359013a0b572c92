{{ config(meta={'dagster': {'ref': {'name': 'ar_aging'}},
                'description': "Per entity: the aging's open total equals the invoices' own amount due (Intacct's totalBaseAmountDue) plus what was applied to them after the as-of date."}) }}
with as_of as (
    select {{ as_of_date() }} as as_of_date
), aged as (
    select entity_key, sum(open_base_amount) as open_total
    from {{ ref('ar_aging') }}
    group by entity_key
), applied_later as (
    select d.invoice_key, sum(coalesce(d.base_payment_amount, 0) + coalesce(d.base_inline_amount, 0) + coalesce(d.base_adjustment_amount, 0) + coalesce(d.base_posted_advance_amount, 0) + coalesce(d.base_negative_invoice_amount, 0) + coalesce(d.base_posted_over_payment_amount, 0)) as amount
    from {{ ref('stg_ar_payment_details') }} as d
    left join {{ ref('stg_ar_payments') }} as p on p.ar_payment_key = d.ar_payment_key
    cross join as_of
    where coalesce(d.payment_date, p.payment_date) > as_of.as_of_date
      
      and coalesce(p.state, '') not in {{ sql_list(var('excluded_payment_states')) }}
    group by d.invoice_key
), expected as (
    select docs.entity_key,
           sum(coalesce(docs.total_base_amount_due, 0) + coalesce(applied_later.amount, 0)) as open_total
    from {{ ref('stg_ar_invoices') }} as docs
    cross join as_of
    left join applied_later on applied_later.invoice_key = docs.invoice_key
    where docs.state in {{ sql_list(var('ar_invoice_states')) }}
      and docs.invoice_date <= as_of.as_of_date
    group by docs.entity_key
)
select
    coalesce(e.entity_key, a.entity_key) as entity_key,
    e.open_total as expected_open_total,
    a.open_total as aging_open_total
from expected as e
full outer join aged as a on coalesce(a.entity_key, '') = coalesce(e.entity_key, '')
where coalesce(e.open_total, 0) <> coalesce(a.open_total, 0)
