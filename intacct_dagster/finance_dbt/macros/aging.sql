{#-
  AP/AR aging as of var('as_of_date') (default: today), in base currency, one row per open document.

  What a document still owes on the as-of date is its base total minus everything applied to it through payment
  details dated on or before that date (payment, inline credit, discount, adjustment, advance, over-payment and
  negative-invoice amounts), counting only details of payments that took effect (not draft, voided, declined,
  reversed...). Documents dated after the as-of date, and drafts, are not aged. Days past due = as-of date - due
  date (the document date when there is no due date); buckets: current (not yet due), 1-30, 31-60, 61-90, over 90.
-#}
{% macro aging(kind) %}
{%- if kind == 'ap' -%}
  {%- set docs, doc_key, number, party = 'stg_ap_bills', 'bill_key', 'bill_number', 'vendor' -%}
  {%- set doc_date = 'coalesce(docs.posting_date, docs.created_date)' -%}
  {%- set details, payments, pay_key = 'stg_ap_payment_details', 'stg_ap_payments', 'ap_payment_key' -%}
  {%- set amounts = ['payment_amount', 'inline_amount', 'discount_amount', 'adjustment_amount', 'posted_advance_amount'] -%}
  {%- set states = var('ap_bill_states') -%}
{%- else -%}
  {%- set docs, doc_key, number, party = 'stg_ar_invoices', 'invoice_key', 'invoice_number', 'customer' -%}
  {%- set doc_date = 'docs.invoice_date' -%}
  {%- set details, payments, pay_key = 'stg_ar_payment_details', 'stg_ar_payments', 'ar_payment_key' -%}
  {%- set amounts = ['payment_amount', 'inline_amount', 'adjustment_amount', 'posted_advance_amount',
                     'negative_invoice_amount', 'posted_over_payment_amount'] -%}
  {%- set states = var('ar_invoice_states') -%}
{%- endif -%}
with as_of as (

    select {{ as_of_date() }} as as_of_date

), applied as (

    -- amounts applied to each document through payment details dated on or before the as-of date
    select
        d.{{ doc_key }},
        sum({% for a in amounts %}coalesce(d.base_{{ a }}, 0){{ " + " if not loop.last }}{% endfor %}) as base_applied,
        sum({% for a in amounts %}coalesce(d.txn_{{ a }}, 0){{ " + " if not loop.last }}{% endfor %}) as txn_applied
    from {{ ref(details) }} as d
    left join {{ ref(payments) }} as p on p.{{ pay_key }} = d.{{ pay_key }}
    cross join as_of
    where d.{{ doc_key }} is not null
      {%- if kind == 'ap' %}
      and coalesce(d.state, 'confirmed') <> 'draft'
      {%- endif %}
      and coalesce(p.state, '') not in {{ sql_list(var('excluded_payment_states')) }}
      and coalesce(d.payment_date, p.payment_date) <= as_of.as_of_date
    group by d.{{ doc_key }}

), open_documents as (

    select
        as_of.as_of_date,
        docs.entity_key,
        docs.entity_id,
        docs.entity_name,
        docs.{{ party }}_key,
        docs.{{ party }}_id,
        docs.{{ party }}_name,
        docs.{{ doc_key }},
        docs.{{ number }},
        docs.state,
        {{ doc_date }} as document_date,
        docs.due_date,
        docs.base_currency,
        docs.txn_currency,
        coalesce(docs.total_base_amount, 0) as total_base_amount,
        coalesce(applied.base_applied, 0) as applied_base_amount,
        coalesce(docs.total_base_amount, 0) - coalesce(applied.base_applied, 0) as open_base_amount,
        coalesce(docs.total_txn_amount, 0) - coalesce(applied.txn_applied, 0) as open_txn_amount,
        as_of.as_of_date - coalesce(docs.due_date, {{ doc_date }}) as days_past_due
    from {{ ref(docs) }} as docs
    cross join as_of
    left join applied on applied.{{ doc_key }} = docs.{{ doc_key }}
    where docs.state in {{ sql_list(states) }}
      and {{ doc_date }} <= as_of.as_of_date

)

select
    *,
    case
        when days_past_due <= 0 then 'current'
        when days_past_due <= 30 then '1-30'
        when days_past_due <= 60 then '31-60'
        when days_past_due <= 90 then '61-90'
        else 'over_90'
    end as aging_bucket,
    case when days_past_due <= 0 then open_base_amount else 0 end as current_amount,
    case when days_past_due between 1 and 30 then open_base_amount else 0 end as past_due_1_30,
    case when days_past_due between 31 and 60 then open_base_amount else 0 end as past_due_31_60,
    case when days_past_due between 61 and 90 then open_base_amount else 0 end as past_due_61_90,
    case when days_past_due > 90 then open_base_amount else 0 end as past_due_over_90
from open_documents
where open_base_amount <> 0
{% endmacro %}
