{{ config(meta={'dagster': {'ref': {'name': 'ar_aging'}},
                'description': "Per entity: the aging's open total equals the invoices' own amount due (Intacct's totalBaseAmountDue) plus what was applied to them after the as-of date."}) }}
{{ aging_tie_out('ar') }}
