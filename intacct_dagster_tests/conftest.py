"""Shared pytest fixtures: a running Intacct sandbox (``sandbox``) and a factory for custom ones.

Each test folder may add its own conftest.py on top of these.
"""

from __future__ import annotations

import os

import pytest

# Tests talk only to 127.0.0.1: keep dlt's usage telemetry off however pytest is started.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from intacct_dagster.sandbox import Sandbox


@pytest.fixture
def sandbox():
    """A started sandbox with small data (600 journal-entry lines); stopped after the test."""
    sb = Sandbox(lines=600, seed=7)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def sandbox_factory():
    """Call with ``Sandbox`` kwargs (e.g. ``sandbox_factory(lines=5000, token_lifetime_s=5)``); returns a
    started sandbox. All are stopped at teardown."""
    made: list[Sandbox] = []

    def make(**kwargs) -> Sandbox:
        kwargs.setdefault("lines", 600)
        sb = Sandbox(**kwargs)
        sb.start()
        made.append(sb)
        return sb

    try:
        yield make
    finally:
        for sb in made:
            sb.stop()
