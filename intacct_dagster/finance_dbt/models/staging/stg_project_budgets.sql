-- One row per project budget (custom object `nsp::project_budget`). Raw table `project_budgets`; see macros/staging.sql.
{{ intacct_stage('project_budgets', [
    ['key', 'project_budget_key', 'text'],
    ['id', 'project_budget_id', 'text'],
    ['name', 'budget_name', 'text'],
    ['fiscal_year', 'fiscal_year', 'int'],
    ['budget_amount', 'budget_amount', 'money'],
    ['approved', 'approved', 'bool'],
    ['description', 'description', 'text'],
    ['project_key', 'project_key', 'text'],
    ['project_id', 'project_id', 'text'],
    ['project_name', 'project_name', 'text'],
    ['audit_created_date_time', 'created_at', 'timestamp'],
    ['audit_modified_date_time', 'modified_at', 'timestamp']
]) }}
