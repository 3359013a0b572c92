{#- Fiscal calendar: months are periods; the fiscal year starts in var('fiscal_year_start_month') and is named
    after the calendar year in which it ends (start month 4: April 2025 - March 2026 is fiscal year 2026). -#}

{% macro fiscal_start_month() -%}
  {%- set m = var('fiscal_year_start_month') | int -%}
  {%- if m < 1 or m > 12 -%}
    {{ exceptions.raise_compiler_error("fiscal_year_start_month must be 1..12, got " ~ var('fiscal_year_start_month')) }}
  {%- endif -%}
  {{ return(m) }}
{%- endmacro %}

{% macro fiscal_year(date_expr) -%}
  {%- set m = fiscal_start_month() -%}
  {%- if m == 1 -%}
    cast(extract(year from {{ date_expr }}) as integer)
  {%- else -%}
    (cast(extract(year from {{ date_expr }}) as integer)
     + case when cast(extract(month from {{ date_expr }}) as integer) >= {{ m }} then 1 else 0 end)
  {%- endif -%}
{%- endmacro %}

{% macro fiscal_period(date_expr) -%}
  {%- set m = fiscal_start_month() -%}
  ((cast(extract(month from {{ date_expr }}) as integer) - {{ m }} + 12) % 12 + 1)
{%- endmacro %}

{% macro month_start(date_expr) -%}
  cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{#- The aging date: var('as_of_date') (YYYY-MM-DD) or, when not set, the database's current date. -#}
{% macro as_of_date() -%}
  {%- set value = var('as_of_date') -%}
  {%- if value is none or value == '' -%}
    current_date
  {%- else -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', value | string) -%}
      {{ exceptions.raise_compiler_error("as_of_date must be YYYY-MM-DD, got " ~ value) }}
    {%- endif -%}
    cast('{{ value }}' as date)
  {%- endif -%}
{%- endmacro %}

{% macro sql_list(values) -%}
  ({%- for v in values -%}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
