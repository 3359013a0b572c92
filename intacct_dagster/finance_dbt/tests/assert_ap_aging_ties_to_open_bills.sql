{{ config(meta={'dagster': {'ref': {'name': 'ap_aging'}},
                'description': "Per entity: the aging's open total equals the bills' own amount due (Intacct's totalBaseAmountDue) plus what was applied to them after the as-of date."}) }}
{{ aging_tie_out('ap') }}
