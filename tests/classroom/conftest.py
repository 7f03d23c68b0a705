"""Fixtures for the classroom tests; helpers live in ``classroom_support.py``."""

from __future__ import annotations

import pytest
from classroom_support import make_class, make_instructor
from django.contrib.auth.models import User

from kmsconsole.classroom.models import Classroom


@pytest.fixture
def instructor(orm: None) -> User:
    return make_instructor()


@pytest.fixture
def classroom(instructor: User) -> Classroom:
    return make_class(instructor)
