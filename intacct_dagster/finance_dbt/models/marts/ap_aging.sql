-- AP aging: bills still open on var('as_of_date'), one row per bill, in base currency. See macros/aging.sql.
{{ aging('ap') }}
