"""Fixtures of the portfolio tests: the fixed organisation of ``fixed_org``."""

import pytest

from tests.portfolio.fixed_org import Clock, build_fixed


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def fixed(db, clock):
    return build_fixed(clock)
