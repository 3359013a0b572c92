-- One row per location. Raw table `locations`; see macros/staging.sql.
{{ intacct_stage('locations', [
    ['key', 'location_key', 'text'],
    ['id', 'location_id', 'text'],
    ['name', 'location_name', 'text'],
    ['status', 'status', 'text'],
    ['location_type', 'location_type', 'text'],
    ['base_currency', 'base_currency', 'text'],
    ['start_date', 'start_date', 'date'],
    ['parent_key', 'parent_key', 'text'],
    ['parent_id', 'parent_id', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
