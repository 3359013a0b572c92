"""`python -m intacct_dagster [demo|discover|settings]`: see `intacct_dagster/cli.py`."""

import sys

from intacct_dagster.cli import main

sys.exit(main())
