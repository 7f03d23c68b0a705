"""Fixtures for lab tests: ``lab_run(slug)`` provisions a lab's setup in a fresh workspace
and gives a ``LabRun`` (``.session``: a LabSession against the live server,
``.check_all()``: every step's check results, ``.solve()``: the lab's solution).

Test modules in this directory import helpers with ``from conftest import ...``, which
resolves to this file (pytest imports each directory's conftest as ``conftest``), so the
shared helpers of tests/conftest.py are re-exported here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.db import connections

from labs.solutions import LabRun, start_run


def _shared_conftest() -> ModuleType:
    name = "kmsconsole_tests_shared_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent.parent / "conftest.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


cli_json = _shared_conftest().cli_json
screenshot = _shared_conftest().screenshot

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


def assert_nothing_passes(run: LabRun) -> None:
    """On a fresh start no check passes, and each says why."""
    for step_id, results in run.check_all().items():
        for result in results:
            assert not result.passed, f"{step_id}: passed on a fresh start: {result.reason}"
            assert len(result.reason) > 20, f"{step_id}: an unhelpful reason: {result.reason!r}"


def assert_everything_passes(run: LabRun) -> None:
    failures = [
        f"{step_id}: {result.reason}"
        for step_id, results in run.check_all().items()
        for result in results
        if not result.passed
    ]
    assert not failures, "\n".join(failures)
