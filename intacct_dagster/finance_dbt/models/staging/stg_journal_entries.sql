-- One row per journal entry (GL batch). Raw table `journal_entries`; see macros/staging.sql.
{{ intacct_stage('journal_entries', [
    ['key', 'journal_entry_key', 'text'],
    ['id', 'journal_entry_id', 'text'],
    ['txn_number', 'txn_number', 'int'],
    ['description', 'description', 'text'],
    ['posting_date', 'posting_date', 'date'],
    ['automatic_reversal_date', 'automatic_reversal_date', 'date'],
    ['reversed_from_date', 'reversed_from_date', 'date'],
    ['module_name', 'module_name', 'text'],
    ['reference_number', 'reference_number', 'text'],
    ['state', 'state', 'text'],
    ['txn_source', 'txn_source', 'text'],
    ['gl_journal_key', 'gl_journal_key', 'text'],
    ['gl_journal_id', 'gl_journal_id', 'text'],
    ['gl_journal_name', 'gl_journal_name', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['entity_name', 'entity_name', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
