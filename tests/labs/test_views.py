"""The learner's pages: catalogue, lab page, checks, hints, submissions, reset, quiz,
completion and certificates; sign-in, CSRF and isolation between learners."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.console.context import SESSION_KEY
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Principal, Workspace
from kmsconsole.kms.operations import find
from labs.format import get_lab
from labs.models import Certificate, HintReveal, LabAttempt, StepProgress
from labs.progress import complete_if_done, submit_quiz

pytestmark = pytest.mark.django_db

SLUG = "envelope-encryption"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def learner(client):
    user = User.objects.create_user("ada", password="pw-for-tests-only", first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    return user


@pytest.fixture
def started(client, learner) -> LabAttempt:
    client.post(f"/labs/{SLUG}/start/")
    return LabAttempt.objects.get(user=learner, lab_slug=SLUG)


def admin_caller(attempt: LabAttempt) -> Caller:
    admin = Principal.objects.get(account__workspace=attempt.workspace, account__label="A", name="admin")
    return Caller(principal=admin, region=attempt.workspace.region)


def encrypt_too_much(attempt: LabAttempt) -> None:
    """What a learner does in step 1: an Encrypt KMS refuses."""
    with pytest.raises(AWSError):
        find("kms", "Encrypt")(admin_caller(attempt), {"KeyId": "alias/user-pii-key", "Plaintext": b"x" * 6000})


# ---------------------------------------------------------------- catalogue


def test_lab_pages_require_sign_in(client):
    for url in ("/labs/", f"/labs/{SLUG}/", f"/labs/{SLUG}/quiz/", f"/labs/{SLUG}/complete/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_catalogue_lists_every_lab_with_its_level_and_time(client, learner):
    response = client.get("/labs/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Envelope encryption with data keys" in content
    assert "Key policies and least privilege" in content
    assert "25 min" in content
    assert "Not started" in content


def test_the_catalogue_filters_by_topic_and_level(client, learner):
    by_topic = client.get("/labs/", {"topic": "iam"}).content.decode()
    assert "IAM delegation" in by_topic
    assert "Envelope encryption" not in by_topic
    by_level = client.get("/labs/", {"level": "beginner"}).content.decode()
    assert "Envelope encryption" in by_level
    assert "Key policies and least privilege" not in by_level


def test_with_htmx_the_catalogue_answers_only_the_list(client, learner):
    response = client.get("/labs/", {"topic": "policies"}, **HTMX)
    content = response.content.decode()
    assert content.lstrip().startswith('<ul id="lab-list"')
    assert "<html" not in content


def test_the_catalogue_shows_progress_per_lab(client, started):
    encrypt_too_much(started)
    client.post(f"/labs/{SLUG}/check/")
    content = client.get("/labs/").content.decode()
    assert "In progress" in content
    assert "1 of 4 steps" in content


# ---------------------------------------------------------------- the lab page


def test_before_starting_the_lab_page_shows_objectives_and_a_start_button(client, learner):
    content = client.get(f"/labs/{SLUG}/").content.decode()
    assert "You will learn to" in content
    assert "Start the lab" in content
    assert "Your credentials" not in content


def test_an_unknown_lab_is_not_found(client, learner):
    assert client.get("/labs/no-such-lab/").status_code == 404
    assert client.post("/labs/no-such-lab/start/").status_code == 404


def test_starting_builds_a_workspace_of_the_learner_and_switches_the_console_to_it(client, learner):
    response = client.post(f"/labs/{SLUG}/start/")
    assert response.status_code == 302
    attempt = LabAttempt.objects.get(user=learner, lab_slug=SLUG)
    assert attempt.workspace.owner == learner
    assert client.session[SESSION_KEY]["workspace"] == attempt.workspace.pk
    assert attempt.workspace.accounts.get(label="A").keys.filter(aliases__name="alias/user-pii-key").exists()


def test_starting_twice_keeps_one_attempt_and_one_workspace(client, learner, started):
    client.post(f"/labs/{SLUG}/start/")
    assert LabAttempt.objects.filter(user=learner).count() == 1
    assert Workspace.objects.filter(owner=learner).count() == 1


def test_starting_needs_a_csrf_token(learner):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(f"/labs/{SLUG}/start/").status_code == 403
    assert not LabAttempt.objects.filter(user=learner).exists()


@pytest.mark.parametrize(
    "path",
    ["check/", "reset/", "console/", "steps/meet-the-limit/hint/", "steps/envelope-in-python/submission/", "quiz/"],
)
def test_every_action_needs_a_csrf_token(learner, started, path):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(f"/labs/{SLUG}/{path}", {"confirm": "on", "text": "x"}).status_code == 403
    assert not started.step_progress.exists() and not started.hint_reveals.exists()


def test_the_console_button_switches_the_console_to_the_lab_workspace(client, learner, started):
    session = client.session
    session[SESSION_KEY] = {}
    session.save()
    response = client.post(f"/labs/{SLUG}/console/")
    assert response.status_code == 302
    assert response["Location"] == "/keys/"
    context = client.session[SESSION_KEY]
    assert context["workspace"] == started.workspace_id
    assert (
        context["principal"]
        == Principal.objects.get(account__workspace=started.workspace, account__label="A", name="admin").pk
    )
    assert "alias/user-pii-key" in client.get("/keys/").content.decode()


def test_the_lab_page_fills_in_the_learners_own_values(client, started):
    content = client.get(f"/labs/{SLUG}/").content.decode()
    admin_key = started.refs["accounts"]["A"]["admin_access_key_id"]
    assert f"export AWS_ACCESS_KEY_ID={admin_key}" in content
    assert "export AWS_ENDPOINT_URL=http://testserver" in content
    assert "--key-id alias/user-pii-key" in content
    assert "{admin:A:access_key_id}" not in content
    assert '<pre><code class="language-bash">' in content


def test_the_live_panel_shows_the_keys_their_policy_and_the_calls(client, started):
    encrypt_too_much(started)
    content = client.get(f"/labs/{SLUG}/panel/").content.decode()
    assert 'id="lab-panel"' in content
    assert "alias/user-pii-key" in content
    assert "key-default-1" in content
    assert "ValidationException" in content


def test_the_polled_panel_answers_204_until_a_new_event_arrives(client, started):
    page = client.get(f"/labs/{SLUG}/panel/").content.decode()
    since = page.split("?since=")[1].split('"')[0]
    assert client.get(f"/labs/{SLUG}/panel/", {"since": since}, **HTMX).status_code == 204
    encrypt_too_much(started)
    assert client.get(f"/labs/{SLUG}/panel/", {"since": since}, **HTMX).status_code == 200


# ---------------------------------------------------------------- checks


def test_check_my_progress_runs_the_checks_and_swaps_each_steps_status(client, started):
    encrypt_too_much(started)
    response = client.post(f"/labs/{SLUG}/check/", **HTMX)
    content = response.content.decode()
    assert '<div id="progress-summary"' in content
    assert 'id="status-meet-the-limit" class="step-status passed" hx-swap-oob="true"' in content
    assert "1 of 4 steps done" in content
    assert "No GenerateDataKey call on alias/user-pii-key yet" in content
    progress = StepProgress.objects.get(attempt=started, step_id="meet-the-limit")
    assert progress.passed and progress.first_passed_at and progress.check_runs == 1


def test_without_htmx_checking_redirects_to_the_steps(client, started):
    response = client.post(f"/labs/{SLUG}/check/")
    assert response.status_code == 302
    assert response["Location"] == f"/labs/{SLUG}/#steps"


def test_the_polled_progress_rechecks_only_after_new_events(client, started):
    assert client.get(f"/labs/{SLUG}/progress/", **HTMX).status_code == 200  # the first poll checks
    assert client.get(f"/labs/{SLUG}/progress/", **HTMX).status_code == 204
    encrypt_too_much(started)
    response = client.get(f"/labs/{SLUG}/progress/", **HTMX)
    assert response.status_code == 200
    assert "1 of 4 steps done" in response.content.decode()
    assert StepProgress.objects.get(attempt=started, step_id="meet-the-limit").check_runs == 2


def test_checking_another_learners_lab_is_not_possible(client, started):
    stranger = User.objects.create_user("mallory", password="pw-for-tests-only")
    client.force_login(stranger)
    assert client.post(f"/labs/{SLUG}/check/").status_code == 404
    assert client.get(f"/labs/{SLUG}/panel/").status_code == 404
    page = client.get(f"/labs/{SLUG}/").content.decode()
    assert "Start the lab" in page
    assert started.refs["accounts"]["A"]["admin_access_key_id"] not in page


# ---------------------------------------------------------------- hints and submissions


def test_hints_are_revealed_one_at_a_time_and_recorded(client, started):
    first = client.post(f"/labs/{SLUG}/steps/meet-the-limit/hint/", **HTMX).content.decode()
    assert "Hint 1." in first and "Hint 2." not in first
    assert "Show a hint (2 of 2)" in first
    second = client.post(f"/labs/{SLUG}/steps/meet-the-limit/hint/", **HTMX).content.decode()
    assert "Hint 2." in second and "Show a hint" not in second
    client.post(f"/labs/{SLUG}/steps/meet-the-limit/hint/", **HTMX)
    reveals = HintReveal.objects.filter(attempt=started, step_id="meet-the-limit")
    assert sorted(reveals.values_list("hint_index", flat=True)) == [0, 1]
    assert "Hint 2." in client.get(f"/labs/{SLUG}/").content.decode()


def test_a_hint_of_an_unknown_step_is_not_found(client, started):
    assert client.post(f"/labs/{SLUG}/steps/nope/hint/").status_code == 404


def test_a_submission_is_stored_checked_and_shown_escaped(client, started):
    response = client.post(
        f"/labs/{SLUG}/steps/envelope-in-python/submission/", {"text": "<script>alert(1)</script>"}, **HTMX
    )
    assert "is not the dictionary envelope_encrypt returns" in response.content.decode()
    page = client.get(f"/labs/{SLUG}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_a_step_without_a_box_takes_no_submission(client, started):
    client.post(f"/labs/{SLUG}/steps/meet-the-limit/submission/", {"text": "hello"})
    assert not StepProgress.objects.filter(attempt=started, step_id="meet-the-limit").exists()


# ---------------------------------------------------------------- reset


def test_reset_needs_the_confirmation(client, started):
    response = client.post(f"/labs/{SLUG}/reset/", follow=True)
    assert "Tick the box to confirm" in response.content.decode()
    started.refresh_from_db()
    assert started.resets == 0


def test_reset_replaces_the_workspace_and_clears_step_results(client, started):
    old_workspace = started.workspace_id
    encrypt_too_much(started)
    client.post(f"/labs/{SLUG}/check/")
    client.post(f"/labs/{SLUG}/steps/meet-the-limit/hint/")
    client.post(f"/labs/{SLUG}/reset/", {"confirm": "on"})
    started.refresh_from_db()
    assert started.workspace_id != old_workspace
    assert not Workspace.objects.filter(pk=old_workspace).exists()
    assert started.resets == 1
    assert not started.step_progress.exists()
    assert started.hint_reveals.count() == 1
    assert client.session[SESSION_KEY]["workspace"] == started.workspace_id


# ---------------------------------------------------------------- quiz, completion, certificates


def correct_answers(slug: str) -> dict[str, list[str]]:
    lab = get_lab(slug)
    return {f"q{i}": [str(c) for c in sorted(q.correct_indexes)] for i, q in enumerate(lab.quiz)}


def test_the_quiz_needs_every_answer(client, started):
    response = client.post(f"/labs/{SLUG}/quiz/", {"q0": "0"})
    assert response.status_code == 200
    assert "Answer every question" in response.content.decode()


def test_the_quiz_scores_and_explains_every_answer(client, started):
    answers = correct_answers(SLUG)
    answers["q0"] = ["1"]  # a wrong choice
    response = client.post(f"/labs/{SLUG}/quiz/", answers, follow=True)
    content = response.content.decode()
    lab = get_lab(SLUG)
    assert f"You scored <strong>{len(lab.quiz) - 1} of {len(lab.quiz)}</strong>" in content
    assert "It does not work at all." in content  # the explanation of the wrong choice taken
    started.refresh_from_db()
    assert started.quiz_score == len(lab.quiz) - 1


def test_the_completion_page_lists_what_is_missing(client, started):
    content = client.get(f"/labs/{SLUG}/complete/").content.decode()
    assert "Not complete yet" in content
    assert "Meet the 4 KB limit of Encrypt" in content
    assert "quiz" in content


def test_a_completed_lab_gets_a_certificate_anyone_can_verify(client, learner, started):
    lab = get_lab(SLUG)
    for step in lab.steps:  # the checks' own passing is covered by the solution tests
        StepProgress.objects.create(attempt=started, step_id=step.id, passed=True)
    submit_quiz(started, lab, {i: sorted(q.correct_indexes) for i, q in enumerate(lab.quiz)})
    certificate = Certificate.objects.get(attempt=started)
    assert complete_if_done(started, lab) == certificate  # issued once

    content = client.get(f"/labs/{SLUG}/complete/").content.decode()
    assert certificate.code in content
    assert "Ada Lovelace" in content

    client.logout()
    public = client.get(f"/labs/certificates/{certificate.code}/").content.decode()
    assert "Ada Lovelace" in public
    assert "Envelope encryption with data keys" in public
    assert started.refs["accounts"]["A"]["admin_access_key_id"] not in public
    assert client.get("/labs/certificates/KMS-AAAA-BBBB-CCCC/").status_code == 404


def test_another_learners_completion_page_shows_their_own_state(client, learner, started):
    lab = get_lab(SLUG)
    for step in lab.steps:
        StepProgress.objects.create(attempt=started, step_id=step.id, passed=True)
    submit_quiz(started, lab, {i: sorted(q.correct_indexes) for i, q in enumerate(lab.quiz)})
    code = Certificate.objects.get(attempt=started).code
    client.force_login(User.objects.create_user("mallory", password="pw-for-tests-only"))
    response = client.get(f"/labs/{SLUG}/complete/")
    assert response.status_code == 302
    assert code not in client.get(f"/labs/{SLUG}/").content.decode()
