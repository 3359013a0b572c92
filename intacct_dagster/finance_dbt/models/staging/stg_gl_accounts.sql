-- One row per GL account. Raw table `gl_accounts`; see macros/staging.sql.
{{ intacct_stage('gl_accounts', [
    ['key', 'gl_account_key', 'text'],
    ['id', 'account_id', 'text'],
    ['name', 'account_name', 'text'],
    ['account_type', 'account_type', 'text'],
    ['normal_balance', 'normal_balance', 'text'],
    ['closing_type', 'closing_type', 'text'],
    ['close_to_gl_account_key', 'close_to_gl_account_key', 'text'],
    ['close_to_gl_account_id', 'close_to_gl_account_id', 'text'],
    ['category', 'category', 'text'],
    ['alternative_gl_account', 'alternative_gl_account', 'text'],
    ['disallow_direct_posting', 'disallow_direct_posting', 'bool'],
    ['status', 'status', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
