"""What ``manage.py labs validate`` checks beyond the file format: every check a lab
names exists and accepts the parameters given, prerequisites name real labs, and the lab
has a solution."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checks import get_check
from .format import CONTENT_DIR, Lab, LabFormatError, lab_files, load_lab
from .solutions import solution_of


@dataclass(frozen=True)
class Problem:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def lab_problems(directory: Path = CONTENT_DIR) -> tuple[list[Lab], list[Problem]]:
    """Every lab that loads, and every problem found in any lab file."""
    labs: list[Lab] = []
    problems: list[Problem] = []
    for path in lab_files(directory):
        try:
            labs.append(load_lab(path))
        except LabFormatError as error:
            problems.append(Problem(path.name, f"{error.path}: {error.message}" if error.path else error.message))
    slugs = {lab.slug for lab in labs} | {path.stem for path in lab_files(directory)}
    for lab in labs:
        problems += [Problem(f"{lab.slug}.yaml", message) for message in _references(lab, slugs)]
    return labs, problems


def _references(lab: Lab, slugs: set[str]) -> list[str]:
    messages = [
        f"prerequisites[{index}]: there is no lab {slug!r}"
        for index, slug in enumerate(lab.prerequisites)
        if slug not in slugs
    ]
    for step_index, step in enumerate(lab.steps):
        for check_index, spec in enumerate(step.checks):
            where = f"steps[{step_index}].checks[{check_index}]"
            registered = get_check(spec.check)
            if registered is None:
                messages.append(f"{where}.check: no check named {spec.check!r} is registered in labs/checks/")
            elif problem := registered.params_problem(spec.params):
                messages.append(f"{where}.params: {problem} (check {spec.check!r})")
    try:
        solution_of(lab)
    except LookupError as missing:
        messages.append(f"solution: {missing}")
    return messages
