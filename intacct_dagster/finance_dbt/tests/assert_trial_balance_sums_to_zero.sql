{{ config(meta={'description': 'Per entity and fiscal period: opening and closing balances sum to zero and debits equal credits (base currency).'}) }}
-- Rows returned = (entity, period) pairs whose trial balance does not balance.
select
    entity_key,
    max(entity_id) as entity_id,
    period_start,
    sum(opening_balance) as opening_total,
    sum(debits) - sum(credits) as net_change,
    sum(closing_balance) as closing_total
from {{ ref('trial_balance') }}
group by entity_key, period_start
having sum(opening_balance) <> 0 or sum(debits) <> sum(credits) or sum(closing_balance) <> 0
