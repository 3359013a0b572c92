"""Fixtures for sandbox tests (``sandbox``/``sandbox_factory`` come from the top-level conftest)."""

from __future__ import annotations

import json

import pytest

from .helpers import Api, Spec, find_spec


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox)


@pytest.fixture(scope="session")
def spec() -> Spec:
    return Spec(json.loads(find_spec().read_text()))
