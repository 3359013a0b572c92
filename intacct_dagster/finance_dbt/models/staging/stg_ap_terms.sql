-- One row per AP payment term. Raw table `ap_terms`; see macros/staging.sql.
{{ intacct_stage('ap_terms', [
    ['key', 'term_key', 'text'],
    ['id', 'term_id', 'text'],
    ['status', 'status', 'text'],
    ['description', 'description', 'text'],
    ['due_days', 'due_days', 'int'],
    ['due_from', 'due_from', 'text'],
    ['discount_days', 'discount_days', 'int'],
    ['discount_amount', 'discount_amount', 'money'],
    ['discount_unit', 'discount_unit', 'text'],
    ['discount_from', 'discount_from', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
