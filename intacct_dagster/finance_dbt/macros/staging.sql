{#
  Staging: one typed, renamed select per raw Intacct table.

  The raw tables are created by the loader from each company's object model, so a column (a dimension the
  company does not use, multi-currency fields in a single-currency company) or a whole table (an object with no
  records yet) can be missing. `intacct_stage` selects every listed column that exists, casts it to its type, and
  puts a typed NULL where it does not; a missing table gives an empty, correctly typed relation. Rows flagged
  `_intacct_deleted` are excluded (the loader hard-deletes them too).

  columns: list of [raw column, staged name, type], type one of text, money, number, int, date, timestamp, bool.
#}

{% macro intacct_type(kind) -%}
  {%- if kind == 'money' -%} decimal(28, 2)
  {%- elif kind == 'number' -%} decimal(38, 16)
  {%- elif kind == 'rate' -%} decimal(38, 16)
  {%- elif kind == 'int' -%} bigint
  {%- elif kind == 'date' -%} date
  {%- elif kind == 'timestamp' -%} timestamp with time zone
  {%- elif kind == 'bool' -%} boolean
  {%- else -%} varchar
  {%- endif -%}
{%- endmacro %}

{% macro intacct_source_columns(table) -%}
  {#- {lower-cased name: column} of the raw table, or none when it does not exist (only known at execution) -#}
  {%- if not execute -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set src = source('intacct', table) -%}
  {%- set relation = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
  {%- if relation is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set columns = {} -%}
  {%- for column in adapter.get_columns_in_relation(relation) -%}
    {%- do columns.update({column.name | lower: column}) -%}
  {%- endfor -%}
  {{ return(columns) }}
{%- endmacro %}

{% macro intacct_stage(table, columns) -%}
  {%- set present = intacct_source_columns(table) -%}
  {%- set src = source('intacct', table) -%}
  select
  {%- for raw, name, kind in columns %}
    {% if present is not none and raw in present -%}
      {%- if kind in ('money', 'number', 'rate', 'int', 'date', 'timestamp', 'bool') and present[raw].is_string() -%}
      cast(nullif(trim(src.{{ adapter.quote(raw) }}), '') as {{ intacct_type(kind) }})
      {%- else -%}
      cast(src.{{ adapter.quote(raw) }} as {{ intacct_type(kind) }})
      {%- endif -%}
    {%- else -%}
      cast(null as {{ intacct_type(kind) }})
    {%- endif %} as {{ name }}{{ "," if not loop.last }}
  {%- endfor %}
  {% if present is not none -%}
  from {{ src }} as src
  {%- if '_intacct_deleted' in present %}
  where src._intacct_deleted is not true
  {%- endif %}
  {%- else -%}
  {#- the raw table does not exist (yet): an empty relation with the same columns -#}
  from (select 1 as one) as src
  where 1 = 0
  {%- endif %}
{%- endmacro %}
