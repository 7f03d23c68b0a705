"""Every lab file's solution, run against a fresh workspace and a live server, passes
every check of its lab. Labs are discovered from labs/content/, so a new lab is tested
as soon as its file exists."""

from __future__ import annotations

import pytest
from lab_support import assert_everything_passes

from labs.format import lab_files

pytestmark = pytest.mark.live


@pytest.mark.parametrize("slug", [path.stem for path in lab_files()])
def test_the_solution_passes_every_check(lab_run, slug):
    run = lab_run(slug)
    run.solve()
    assert_everything_passes(run)
