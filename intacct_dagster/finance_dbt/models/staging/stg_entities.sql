-- One row per entity. Raw table `entities`; see macros/staging.sql.
{{ intacct_stage('entities', [
    ['key', 'entity_key', 'text'],
    ['id', 'entity_id', 'text'],
    ['name', 'entity_name', 'text'],
    ['status', 'status', 'text'],
    ['base_currency_id', 'base_currency', 'text'],
    ['first_fiscal_month', 'first_fiscal_month', 'text'],
    ['is_root', 'is_root', 'bool'],
    ['start_date', 'start_date', 'date'],
    ['operating_country', 'operating_country', 'text'],
    ['accounting_type', 'accounting_type', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
