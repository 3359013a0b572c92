-- One row per department. Raw table `departments`; see macros/staging.sql.
{{ intacct_stage('departments', [
    ['key', 'department_key', 'text'],
    ['id', 'department_id', 'text'],
    ['name', 'department_name', 'text'],
    ['status', 'status', 'text'],
    ['report_title', 'report_title', 'text'],
    ['parent_key', 'parent_key', 'text'],
    ['parent_id', 'parent_id', 'text'],
    ['supervisor_key', 'supervisor_key', 'text'],
    ['supervisor_id', 'supervisor_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
