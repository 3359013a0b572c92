{#- The names of one kind of document ('ap': bills, 'ar': invoices) and of the payment details applied to them. -#}
{% macro aging_kind(kind) %}
{%- if kind == 'ap' -%}
  {{ return({'docs': 'stg_ap_bills', 'doc_key': 'bill_key', 'number': 'bill_number', 'party': 'vendor',
             'doc_date': 'coalesce(docs.posting_date, docs.created_date)',
             'details': 'stg_ap_payment_details', 'payments': 'stg_ap_payments', 'pay_key': 'ap_payment_key',
             'amounts': ['payment_amount', 'inline_amount', 'discount_amount', 'adjustment_amount',
                         'posted_advance_amount'],
             'states': var('ap_bill_states')}) }}
{%- else -%}
  {{ return({'docs': 'stg_ar_invoices', 'doc_key': 'invoice_key', 'number': 'invoice_number', 'party': 'customer',
             'doc_date': 'docs.invoice_date',
             'details': 'stg_ar_payment_details', 'payments': 'stg_ar_payments', 'pay_key': 'ar_payment_key',
             'amounts': ['payment_amount', 'inline_amount', 'adjustment_amount', 'posted_advance_amount',
                         'negative_invoice_amount', 'posted_over_payment_amount'],
             'states': var('ar_invoice_states')}) }}
{%- endif -%}
{% endmacro %}

{#-
  Amounts applied to each document (base_applied, txn_applied) through the payment details of payments that took
  effect, dated `op` the as-of date ('<=': through it; '>': after it). Reads the caller's `as_of` CTE.
-#}
{% macro applied_to_documents(kind, op) %}
{%- set k = aging_kind(kind) -%}
    select
        d.{{ k.doc_key }},
        sum({% for a in k.amounts %}coalesce(d.base_{{ a }}, 0){{ " + " if not loop.last }}{% endfor %}) as base_applied,
        sum({% for a in k.amounts %}coalesce(d.txn_{{ a }}, 0){{ " + " if not loop.last }}{% endfor %}) as txn_applied
    from {{ ref(k.details) }} as d
    left join {{ ref(k.payments) }} as p on p.{{ k.pay_key }} = d.{{ k.pay_key }}
    cross join as_of
    where d.{{ k.doc_key }} is not null
      {%- if kind == 'ap' %}
      and coalesce(d.state, 'confirmed') <> 'draft'
      {%- endif %}
      and coalesce(p.state, '') not in {{ sql_list(var('excluded_payment_states')) }}
      and coalesce(d.payment_date, p.payment_date) {{ op }} as_of.as_of_date
    group by d.{{ k.doc_key }}
{%- endmacro %}

{#-
  AP/AR aging as of var('as_of_date') (default: today), in base currency, one row per open document.

  What a document still owes on the as-of date is its base total minus everything applied to it through payment
  details dated on or before that date (payment, inline credit, discount, adjustment, advance, over-payment and
  negative-invoice amounts), counting only details of payments that took effect (not draft, voided, declined,
  reversed...). Documents dated after the as-of date, and drafts, are not aged. Days past due = as-of date - due
  date (the document date when there is no due date); buckets: current (not yet due), 1-30, 31-60, 61-90, over 90.
-#}
{% macro aging(kind) %}
{%- set k = aging_kind(kind) -%}
{%- set docs, doc_key, number, party, doc_date = k.docs, k.doc_key, k.number, k.party, k.doc_date -%}
with as_of as (

    select {{ as_of_date() }} as as_of_date

), applied as (

    -- amounts applied to each document through payment details dated on or before the as-of date
{{ applied_to_documents(kind, '<=') }}

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
    where docs.state in {{ sql_list(k.states) }}
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

{#-
  Data test: per entity, the aging's open total equals the documents' own amount due (Intacct's
  totalBaseAmountDue) plus what was applied to them after the as-of date. Returns the entities that differ.
-#}
{% macro aging_tie_out(kind) %}
{%- set k = aging_kind(kind) -%}
with as_of as (
    select {{ as_of_date() }} as as_of_date
), aged as (
    select entity_key, sum(open_base_amount) as open_total
    from {{ ref(kind ~ '_aging') }}
    group by entity_key
), applied_later as (
{{ applied_to_documents(kind, '>') }}
), expected as (
    select docs.entity_key,
           sum(coalesce(docs.total_base_amount_due, 0) + coalesce(applied_later.base_applied, 0)) as open_total
    from {{ ref(k.docs) }} as docs
    cross join as_of
    left join applied_later on applied_later.{{ k.doc_key }} = docs.{{ k.doc_key }}
    where docs.state in {{ sql_list(k.states) }}
      and {{ k.doc_date }} <= as_of.as_of_date
    group by docs.entity_key
)
select
    coalesce(e.entity_key, a.entity_key) as entity_key,
    e.open_total as expected_open_total,
    a.open_total as aging_open_total
from expected as e
full outer join aged as a on coalesce(a.entity_key, '') = coalesce(e.entity_key, '')
where coalesce(e.open_total, 0) <> coalesce(a.open_total, 0)
{% endmacro %}
