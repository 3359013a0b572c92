"""The job schedules launch: every Intacct asset and its checks, with retries for transient failures.

Retries re-run the whole load; that is safe because tables merge on `key` and dagster-dlt
restores the incremental cursors from the destination before each attempt. Configuration errors
(missing credentials) raise `Failure(allow_retries=False)` and are not retried.
"""

from __future__ import annotations

from dagster import AssetSelection, Backoff, Jitter, RetryPolicy, define_asset_job

from intacct_dagster.translator import GROUP

RETRY_POLICY = RetryPolicy(max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)

intacct_job = define_asset_job(
    name="intacct_job",
    selection=AssetSelection.groups(GROUP),
    description="Load every Sage Intacct table (incremental by default; see run config `mode`) and check it.",
    op_retry_policy=RETRY_POLICY,
    tags={"intacct/pipeline": "intacct"},
)
