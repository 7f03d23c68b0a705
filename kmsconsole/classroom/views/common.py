"""Helpers shared by the classroom views."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from .. import access
from ..board import build_board
from ..models import Classroom

LEADERBOARD_SIZE = 10


def class_for_instructor(request: HttpRequest, classroom_id: int) -> Classroom:
    """The class if the signed-in user teaches it, else 404 (never 403: whether a class
    exists is not a stranger's business)."""
    return access.taught_class(request.user, classroom_id)


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: int
    name: str
    steps_done: int


def leaderboard(classroom: Classroom) -> list[LeaderboardEntry]:
    """The students with the most steps done (fastest first among equals)."""
    rows = build_board(classroom).rows
    ranked = sorted(rows, key=lambda row: (-row.steps_done, row.student.time_spent))
    return [
        LeaderboardEntry(rank, row.student.enrollment.display_name, row.steps_done)
        for rank, row in enumerate(ranked[:LEADERBOARD_SIZE], start=1)
    ]
