"""Forward the extraction layer's progress lines (pages, rows, throttle waits, retries) to Dagster.

`intacct_dagster.intacct` logs with the standard `logging` module and knows nothing of Dagster. Without
a bridge those lines reach the Dagster event log only if the instance's dagster.yaml lists the logger
under `python_logs.managed_python_loggers`; with it they show in the run's logs in the UI, the CLI and
scheduled runs on any instance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

EXTRACTION_LOGGER = "intacct_dagster.intacct"


class _DagsterLogHandler(logging.Handler):
    def __init__(self, dagster_log) -> None:
        super().__init__(level=logging.INFO)
        self._log = dagster_log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.levelno >= logging.ERROR:
                self._log.error(message)
            elif record.levelno >= logging.WARNING:
                self._log.warning(message)
            else:
                self._log.info(message)
        except Exception:  # logging must never break a load
            self.handleError(record)


@contextmanager
def extraction_logs_to(dagster_log) -> Iterator[None]:
    """While active, INFO+ records of the extraction logger go to `dagster_log` (e.g. `context.log`)."""
    logger = logging.getLogger(EXTRACTION_LOGGER)
    handler = _DagsterLogHandler(dagster_log)
    previous_level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
