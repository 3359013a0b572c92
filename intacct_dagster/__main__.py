"""`python -m intacct_dagster` is the demo (see `python -m intacct_dagster.demo --help`)."""

import sys

from intacct_dagster.demo import main

sys.exit(main())
