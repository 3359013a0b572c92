-- AR aging: invoices still open on var('as_of_date'), one row per invoice, in base currency. See macros/aging.sql.
{{ aging('ar') }}
