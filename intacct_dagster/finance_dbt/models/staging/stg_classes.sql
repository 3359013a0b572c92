-- One row per class. Raw table `classes`; see macros/staging.sql.
{{ intacct_stage('classes', [
    ['key', 'class_key', 'text'],
    ['id', 'class_id', 'text'],
    ['name', 'class_name', 'text'],
    ['status', 'status', 'text'],
    ['description', 'description', 'text'],
    ['parent_key', 'parent_key', 'text'],
    ['parent_id', 'parent_id', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
