"""``manage.py labs list | validate | run-solution``, as authors and CI run them."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labs.format import CONTENT_DIR, lab_files

MY_LABS = ("envelope-encryption", "encryption-context", "key-policies", "iam-delegation")


def run(*args: str, stderr: StringIO | None = None, **options: object) -> tuple[str, str]:
    out, err = StringIO(), stderr or StringIO()
    call_command("labs", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A lab directory holding copies of some real labs."""
    for slug in MY_LABS:
        shutil.copy(CONTENT_DIR / f"{slug}.yaml", tmp_path / f"{slug}.yaml")
    return tmp_path


def test_list_prints_one_slug_per_line():
    out, _ = run("list")
    assert sorted(out.splitlines()) == sorted(path.stem for path in lab_files())


def test_list_orders_labs_as_the_catalogue_does(content):
    out, _ = run("list", "--directory", str(content))
    assert out.splitlines() == list(MY_LABS)


def test_validate_accepts_valid_labs(content):
    out, err = run("validate", "--directory", str(content))
    assert out.strip() == "4 labs are valid."
    assert err == ""


def test_validate_names_the_file_and_field_of_each_problem(content):
    policies = content / "key-policies.yaml"
    policies.write_text(policies.read_text().replace("check: no_public_statement", "check: no_such_check"))
    context = content / "encryption-context.yaml"
    context.write_text(context.read_text().replace("level: intermediate", "level: expert"))
    (content / "orphan-lab.yaml").write_text(
        (CONTENT_DIR / "envelope-encryption.yaml").read_text().replace("slug: envelope-encryption", "slug: orphan-lab")
    )
    delegation = content / "iam-delegation.yaml"
    delegation.write_text(delegation.read_text().replace("via: analyst, account: A", "via: analyst, acount: A"))

    with pytest.raises(CommandError, match="4 problem"):
        run("validate", "--directory", str(content), stderr=(err := StringIO()))

    problems = err.getvalue()
    assert "key-policies.yaml: steps[1].checks[0].check: no check named 'no_such_check'" in problems
    assert "encryption-context.yaml: level: 'expert' is not one of: beginner, intermediate, advanced" in problems
    assert "orphan-lab.yaml: solution: Lab 'orphan-lab' has no solution module labs.solutions.orphan_lab." in problems
    assert "iam-delegation.yaml: steps[1].checks[0].params: got an unexpected keyword argument 'acount'" in problems


def test_validate_reports_a_placeholder_naming_no_setup_ref(content):
    lab = content / "envelope-encryption.yaml"
    lab.write_text(lab.read_text().replace("{key:pii-key:alias}", "{key:pii:alias}", 1))
    with pytest.raises(CommandError):
        run("validate", "--directory", str(content), stderr=(err := StringIO()))
    assert "steps[0].instructions: placeholder {key:pii:alias}: no key with ref 'pii' in the setup" in err.getvalue()


@pytest.mark.live
def test_run_solution_prints_every_check_against_a_given_server(live_endpoint, orm):
    out, _ = run("run-solution", "key-policies", endpoint=live_endpoint)
    assert out.startswith("key-policies: Key policies and least privilege")
    assert "  step split-duties: Rewrite the policy with administrators and users" in out
    assert "PASS no_public_statement: No statement opens the key to everyone." in out
    assert "All 9 checks passed." in out


@pytest.mark.live
def test_run_solution_starts_its_own_server_when_given_none(live_endpoint, orm):
    out, _ = run("run-solution", "envelope-encryption")
    assert "All 5 checks passed." in out


def test_run_solution_refuses_an_unknown_lab(orm):
    with pytest.raises(CommandError, match="There is no lab 'nope'"):
        run("run-solution", "nope", endpoint="http://127.0.0.1:9")
