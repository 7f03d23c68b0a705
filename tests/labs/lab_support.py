"""Assertions the lab tests share."""

from __future__ import annotations

from labs.solutions import LabRun


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
