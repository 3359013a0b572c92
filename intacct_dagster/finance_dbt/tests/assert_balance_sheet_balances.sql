{{ config(meta={'description': 'Per entity and period: total assets = total liabilities + total equity (retained and current-year earnings included).'}) }}
select
    entity_key,
    max(entity_id) as entity_id,
    period_start,
    sum(case when statement_section = 'asset' then amount else 0 end) as assets,
    sum(case when statement_section in ('liability', 'equity') then amount else 0 end) as liabilities_and_equity
from {{ ref('balance_sheet') }}
group by entity_key, period_start
having sum(case when statement_section = 'asset' then amount else 0 end)
    <> sum(case when statement_section in ('liability', 'equity') then amount else 0 end)
