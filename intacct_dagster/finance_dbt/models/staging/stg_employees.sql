-- One row per employee. Raw table `employees`; see macros/staging.sql.
{{ intacct_stage('employees', [
    ['key', 'employee_key', 'text'],
    ['id', 'employee_id', 'text'],
    ['name', 'employee_name', 'text'],
    ['status', 'status', 'text'],
    ['job_title', 'job_title', 'text'],
    ['start_date', 'start_date', 'date'],
    ['end_date', 'end_date', 'date'],
    ['default_currency', 'default_currency', 'text'],
    ['department_key', 'department_key', 'text'],
    ['department_id', 'department_id', 'text'],
    ['location_key', 'location_key', 'text'],
    ['location_id', 'location_id', 'text'],
    ['class_key', 'class_key', 'text'],
    ['class_id', 'class_id', 'text'],
    ['manager_key', 'manager_key', 'text'],
    ['manager_id', 'manager_id', 'text'],
    ['entity_key', 'entity_key', 'text'],
    ['entity_id', 'entity_id', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
