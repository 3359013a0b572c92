-- One row per item. Raw table `items`; see macros/staging.sql.
{{ intacct_stage('items', [
    ['key', 'item_key', 'text'],
    ['id', 'item_id', 'text'],
    ['name', 'item_name', 'text'],
    ['status', 'status', 'text'],
    ['item_type', 'item_type', 'text'],
    ['cost_method', 'cost_method', 'text'],
    ['purchasing_standard_cost', 'standard_cost', 'number'],
    ['sales_base_price', 'base_price', 'number'],
    ['sales_is_taxable', 'is_taxable', 'bool'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
