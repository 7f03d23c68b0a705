"""Fixtures for lab tests: ``lab_run(slug)`` provisions a lab's setup in a fresh workspace
and gives a ``LabRun`` (``.session``: a LabSession against the live server,
``.check_all()``: every step's check results, ``.solve()``: the lab's solution).

Helpers that are not fixtures live in ``lab_support.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections

from labs.solutions import LabRun, start_run

LabRunner = Callable[[str], LabRun]


@pytest.fixture(autouse=True)
def _close_connections_after_orm_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Once the session's Playwright browser runs, a test's ORM work gets a connection of
    its own context that session teardown cannot see, and PostgreSQL then refuses to drop
    the test database; closing it after each test that used the ORM prevents that."""
    yield
    if "orm" in request.fixturenames:
        connections.close_all()


@pytest.fixture
def lab_run(live_endpoint: str, orm: None, tmp_path: Path) -> LabRunner:
    """Start a lab in a fresh workspace: ``run = lab_run("envelope-encryption")``."""

    def start(slug: str) -> LabRun:
        return start_run(slug, live_endpoint, workdir=tmp_path / slug)

    return start
