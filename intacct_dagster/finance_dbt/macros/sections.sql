{#- Statement section of a GL account from its statement (balance_sheet / income_statement), its category (Intacct's
    account categories, falling back to its name) and normal balance. Override any account with
    var('account_sections'): {"<account id>": "<section>"}. Sections: asset, liability, equity (balance sheet);
    revenue, cost_of_sales, operating_expense, other_income, other_expense (profit and loss). -#}

{% macro _like_any(expr, patterns) -%}
  ({%- for p in patterns -%}{{ expr }} like '{{ p }}'{{ " or " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro statement_section(statement, category, name, normal_balance, account_id) -%}
  {%- set text = "lower(coalesce(" ~ category ~ ", " ~ name ~ ", ''))" -%}
  {%- set overrides = var('account_sections') or {} -%}
  case
  {%- for id, section in overrides.items() %}
    when {{ account_id }} = '{{ id | replace("'", "''") }}' then '{{ section | replace("'", "''") }}'
  {%- endfor %}
    when {{ statement }} = 'balance_sheet' then
      case
        when {{ _like_any(text, ['%equity%', '%capital%', '%common stock%', '%preferred stock%', '%retained%',
                                 '%dividend%', '%distribution%', '%partner%', '%owner%', '%drawing%']) }} then 'equity'
        when {{ _like_any(text, ['%payable%', '%liabilit%', '%debt%', '%accrued%', '%accrual%', '%deferred revenue%',
                                 '%unearned%', '%loan%', '%borrowing%', '%credit card%']) }} then 'liability'
        when {{ _like_any(text, ['%cash%', '%bank%', '%receivable%', '%inventor%', '%prepaid%', '%asset%',
                                 '%depreciation%', '%amortization%', '%investment%', '%deposit%']) }} then 'asset'
        when {{ normal_balance }} = 'credit' then 'liability'
        else 'asset'
      end
    else
      case
        when {{ _like_any(text, ['%cost of%', '%cogs%']) }} then 'cost_of_sales'
        when {{ _like_any(text, ['%other income%', '%interest income%', '%gain%']) }} then 'other_income'
        when {{ _like_any(text, ['%other expense%', '%interest expense%', '%income tax%', '%loss%']) }} then 'other_expense'
        when {{ _like_any(text, ['%revenue%', '%sales%', '%income%']) }} then 'revenue'
        when {{ normal_balance }} = 'credit' then 'revenue'
        else 'operating_expense'
      end
  end
{%- endmacro %}

{% macro section_order(section) -%}
  case {{ section }}
    when 'asset' then 1 when 'liability' then 2 when 'equity' then 3
    when 'revenue' then 1 when 'cost_of_sales' then 2 when 'operating_expense' then 3
    when 'other_income' then 4 when 'other_expense' then 5 else 9
  end
{%- endmacro %}
