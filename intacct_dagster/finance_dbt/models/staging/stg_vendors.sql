-- One row per vendor. Raw table `vendors`; see macros/staging.sql.
{{ intacct_stage('vendors', [
    ['key', 'vendor_key', 'text'],
    ['id', 'vendor_id', 'text'],
    ['name', 'vendor_name', 'text'],
    ['status', 'status', 'text'],
    ['currency', 'currency', 'text'],
    ['total_due', 'total_due', 'money'],
    ['credit_limit', 'credit_limit', 'number'],
    ['is_on_hold', 'is_on_hold', 'bool'],
    ['vendor_type_id', 'vendor_type_id', 'text'],
    ['term_key', 'term_key', 'text'],
    ['term_id', 'term_id', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
