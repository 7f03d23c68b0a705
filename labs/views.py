"""The learner's pages: the catalogue, a lab with its live panel and checks, the quiz, the
completion page, and the public certificate check.

Every page but the certificate check needs a signed-in user, and every attempt is looked
up by (user, lab slug): no URL names an attempt, so no one can reach another learner's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from kmsconsole.audit.models import Event
from kmsconsole.console.context import ConsoleContext, remember
from kmsconsole.engine.enums import KeyManager
from kmsconsole.iam.models import PrincipalType
from kmsconsole.kms.models import Key

from .format import LEVELS, TOPICS, Lab, Step, get_lab, load_all, render_instructions
from .models import Certificate, LabAttempt
from .progress import (
    StepView,
    latest_event_id,
    recheck_if_new_events,
    record_checks,
    reveal_next_hint,
    save_submission,
    step_views,
    submit_quiz,
)
from .provisioning import FrozenWorkspace, lab_identities, placeholder_values, reset_lab, start_lab

PANEL_EVENTS = 12
SUBMISSION_LIMIT = 20_000


# ---------------------------------------------------------------- helpers


def _lab_or_404(slug: str) -> Lab:
    lab = get_lab(slug)
    if lab is None:
        raise Http404("No such lab.")
    return lab


def _learner(request: HttpRequest) -> User:
    """The signed-in user (every view that calls this requires sign-in)."""
    assert isinstance(request.user, User)
    return request.user


def _attempt(request: HttpRequest, slug: str) -> LabAttempt | None:
    attempts = LabAttempt.objects.select_related("workspace", "certificate")
    return attempts.filter(user=_learner(request), lab_slug=slug).first()


def _active_attempt(request: HttpRequest, slug: str) -> LabAttempt:
    """The signed-in user's attempt at ``slug`` with its workspace, or 404."""
    attempt = _attempt(request, slug)
    if attempt is None or attempt.workspace is None:
        raise Http404("Start the lab first.")
    return attempt


def _endpoint(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _use_lab_workspace(request: HttpRequest, attempt: LabAttempt) -> None:
    """Point the console at the lab's workspace, as account A's admin (the identity whose
    credentials the lab hands out first)."""
    workspace = attempt.workspace
    assert workspace is not None
    account = workspace.accounts.get(label="A")
    admin = account.principals.get(kind=PrincipalType.USER, name="admin")
    remember(request, ConsoleContext(workspace, account, workspace.region, admin))


def _lab_page_redirect(slug: str, anchor: str = "") -> HttpResponse:
    response = redirect("labs:lab", slug=slug)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# ---------------------------------------------------------------- catalogue


class CatalogueFilter(forms.Form):
    topic = forms.ChoiceField(choices=[("", "Any topic")] + [(t, t) for t in TOPICS], required=False)
    level = forms.ChoiceField(choices=[("", "Any level")] + [(v, v) for v in LEVELS], required=False)


@dataclass(frozen=True)
class CatalogueEntry:
    lab: Lab
    state: str  # "new" | "started" | "completed"
    steps_done: int

    @property
    def steps_total(self) -> int:
        return len(self.lab.steps)


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilter(request.GET)
    chosen = form.cleaned_data if form.is_valid() else {"topic": "", "level": ""}
    labs = [
        lab
        for lab in load_all().values()
        if (not chosen["topic"] or lab.topic == chosen["topic"])
        and (not chosen["level"] or lab.level == chosen["level"])
    ]
    attempts = {
        attempt.lab_slug: attempt
        for attempt in LabAttempt.objects.filter(user=_learner(request)).annotate(
            done=Count("step_progress", filter=Q(step_progress__passed=True))
        )
    }
    entries = [_catalogue_entry(lab, attempts.get(lab.slug)) for lab in labs]
    template = "labs/catalogue.html#lab-list" if request.htmx else "labs/catalogue.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "entries": entries})


def _catalogue_entry(lab: Lab, attempt: LabAttempt | None) -> CatalogueEntry:
    if attempt is None:
        return CatalogueEntry(lab, "new", 0)
    state = "completed" if attempt.completed_at else "started"
    return CatalogueEntry(lab, state, attempt.done)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the lab page


@dataclass(frozen=True)
class RenderedStep:
    view: StepView
    number: int
    instructions: SafeString
    hints: list[SafeString]

    @property
    def step(self) -> Step:
        return self.view.step


@login_required
@require_GET
def lab_page(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    attempt = _attempt(request, slug)
    page: dict[str, Any] = {"lab": lab, "attempt": attempt, "prerequisites": _prerequisites(lab)}
    if attempt is not None and attempt.workspace is not None:
        page.update(_workspace_page(request, lab, attempt))
    return render(request, "labs/lab.html", page)


def _prerequisites(lab: Lab) -> list[Lab]:
    return [found for slug in lab.prerequisites if (found := get_lab(slug)) is not None]


def _workspace_page(request: HttpRequest, lab: Lab, attempt: LabAttempt) -> dict[str, Any]:
    values = placeholder_values(attempt.refs, _endpoint(request))
    steps = [
        RenderedStep(view, number, _rendered(view.step.instructions, values), _rendered_hints(view, values))
        for number, view in enumerate(step_views(attempt, lab), start=1)
    ]
    return {
        "steps": steps,
        "identities": lab_identities(attempt.refs),
        "endpoint": _endpoint(request),
        "region": attempt.refs.get("region", ""),
        **_progress_summary(lab, [step.view for step in steps]),
        **_panel(attempt),
    }


def _rendered(markdown: str, values: dict[str, str]) -> SafeString:
    # Rendered with raw HTML disabled (labs.format.render_markdown), so marking it safe is sound.
    return mark_safe(render_instructions(markdown, values))


def _rendered_hints(view: StepView, values: dict[str, str]) -> list[SafeString]:
    return [_rendered(text, values) for text in view.hints_shown]


def _progress_summary(lab: Lab, views: list[StepView]) -> dict[str, Any]:
    return {"steps_done": sum(view.passed for view in views), "steps_total": len(lab.steps), "step_views": views}


def _panel(attempt: LabAttempt) -> dict[str, Any]:
    """The live panel: the workspace's customer managed keys with their policies, and the
    latest audit events since the start."""
    workspace = attempt.workspace
    assert workspace is not None
    since = latest_event_id(workspace)  # read first: a newer event only makes the next poll render
    keys = (
        Key.objects.filter(account__workspace=workspace, key_manager=KeyManager.CUSTOMER)
        .select_related("account")
        .prefetch_related("aliases")
        .order_by("account__label", "creation_date")
    )
    events = Event.objects.filter(workspace=workspace, pk__gt=attempt.event_floor).order_by("-id")[:PANEL_EVENTS]
    return {
        "panel_keys": [(key, json.dumps(json.loads(key.policy), indent=2)) for key in keys],
        "panel_events": list(events),
        "panel_since": since,
        "workspace_now": workspace.now(),
    }


@login_required
@require_GET
def panel(request: HttpRequest, slug: str) -> HttpResponse:
    """The live panel, polled: 204 (nothing to swap) while no new event was recorded."""
    attempt = _active_attempt(request, slug)
    since = request.GET.get("since", "")
    if request.htmx and since.isdigit() and int(since) >= latest_event_id(attempt.workspace):  # type: ignore[attr-defined,arg-type]
        return HttpResponse(status=204)
    return render(request, "labs/lab.html#panel", {"lab": _lab_or_404(slug), "attempt": attempt, **_panel(attempt)})


# ---------------------------------------------------------------- starting and resetting


@login_required
@require_POST
def start(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    attempt = start_lab(_learner(request), lab.slug)
    _use_lab_workspace(request, attempt)
    return _lab_page_redirect(slug)


class ResetForm(forms.Form):
    confirm = forms.BooleanField(required=True, label="Replace my lab workspace with a fresh one")


@login_required
@require_POST
def reset(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    attempt = _active_attempt(request, lab.slug)
    if not ResetForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm: resetting replaces your workspace and its keys.")
        return _lab_page_redirect(slug, "reset")
    try:
        attempt = reset_lab(attempt)
    except FrozenWorkspace as frozen:
        messages.error(request, str(frozen))
        return _lab_page_redirect(slug)
    _use_lab_workspace(request, attempt)
    messages.success(request, "The lab is back at its starting state, in a fresh workspace.")
    return _lab_page_redirect(slug)


@login_required
@require_POST
def use_workspace(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch the console to the lab's workspace and open its keys."""
    _use_lab_workspace(request, _active_attempt(request, slug))
    return redirect("console:keys")


# ---------------------------------------------------------------- checks, hints, submissions


def _progress_response(request: HttpRequest, lab: Lab, attempt: LabAttempt) -> HttpResponse:
    """For htmx, the progress summary plus each step's status swapped out of band;
    otherwise back to the lab page."""
    if not request.htmx:  # type: ignore[attr-defined]
        return _lab_page_redirect(lab.slug, "steps")
    page = {"lab": lab, "attempt": attempt, "oob": True, **_progress_summary(lab, step_views(attempt, lab))}
    return render(request, "labs/lab.html#progress", page)


@login_required
@require_POST
def check(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Check my progress": run every check now."""
    lab = _lab_or_404(slug)
    attempt = _active_attempt(request, slug)
    record_checks(attempt, lab)
    return _progress_response(request, lab, attempt)


@login_required
@require_GET
def progress(request: HttpRequest, slug: str) -> HttpResponse:
    """Polled every few seconds: re-checks only when the workspace recorded new events."""
    lab = _lab_or_404(slug)
    attempt = _active_attempt(request, slug)
    if not recheck_if_new_events(attempt, lab) and request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    return _progress_response(request, lab, attempt)


def _step_or_404(lab: Lab, step_id: str) -> Step:
    step = lab.step(step_id)
    if step is None:
        raise Http404("No such step.")
    return step


@login_required
@require_POST
def hint(request: HttpRequest, slug: str, step_id: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    step = _step_or_404(lab, step_id)
    attempt = _active_attempt(request, slug)
    reveal_next_hint(attempt, step)
    if not request.htmx:  # type: ignore[attr-defined]
        return _lab_page_redirect(slug, f"step-{step.id}")
    view = next(view for view in step_views(attempt, lab) if view.step.id == step.id)
    hints = _rendered_hints(view, placeholder_values(attempt.refs, _endpoint(request)))
    return render(request, "labs/lab.html#hints", {"lab": lab, "view": view, "hints": hints})


class SubmissionForm(forms.Form):
    text = forms.CharField(max_length=SUBMISSION_LIMIT, widget=forms.Textarea)


@login_required
@require_POST
def submission(request: HttpRequest, slug: str, step_id: str) -> HttpResponse:
    """Store what the learner pasted into a step's box, then run the checks."""
    lab = _lab_or_404(slug)
    step = _step_or_404(lab, step_id)
    attempt = _active_attempt(request, slug)
    form = SubmissionForm(request.POST)
    if step.submission is None or not form.is_valid():
        messages.error(request, f"Paste some text (at most {SUBMISSION_LIMIT} characters) into the box.")
        return _lab_page_redirect(slug, f"step-{step.id}")
    save_submission(attempt, step, form.cleaned_data["text"])
    record_checks(attempt, lab)
    return _progress_response(request, lab, attempt)


# ---------------------------------------------------------------- quiz, completion, certificates


@login_required
def quiz(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    attempt = _attempt(request, slug)
    if attempt is None:
        return _lab_page_redirect(slug)
    chosen: dict[int, list[int]] = {}
    error = ""
    if request.method == "POST":
        chosen = _chosen_answers(request, lab)
        if len(chosen) < len(lab.quiz):
            error = "Answer every question before you submit."
        else:
            submit_quiz(attempt, lab, chosen)
            return redirect("labs:quiz", slug=slug)
    elif attempt.quiz_submitted_at is not None:
        chosen = {answer.question_index: answer.chosen for answer in attempt.quiz_answers.all()}
    graded = request.method != "POST" and attempt.quiz_submitted_at is not None
    questions = [
        {"number": index + 1, "index": index, "question": question, "chosen": chosen.get(index, [])}
        for index, question in enumerate(lab.quiz)
    ]
    page = {"lab": lab, "attempt": attempt, "questions": questions, "graded": graded, "error": error}
    return render(request, "labs/quiz.html", page)


def _chosen_answers(request: HttpRequest, lab: Lab) -> dict[int, list[int]]:
    """The posted choices per question, keeping only indexes that exist."""
    chosen: dict[int, list[int]] = {}
    for index, question in enumerate(lab.quiz):
        picked = sorted(
            {int(value) for value in request.POST.getlist(f"q{index}") if value.isdigit()}
            & set(range(len(question.choices)))
        )
        if question.kind == "single":
            picked = picked[:1]
        if picked:
            chosen[index] = picked
    return chosen


@login_required
@require_GET
def complete(request: HttpRequest, slug: str) -> HttpResponse:
    lab = _lab_or_404(slug)
    attempt = _attempt(request, slug)
    if attempt is None:
        return _lab_page_redirect(slug)
    views = step_views(attempt, lab)
    certificate = Certificate.objects.filter(attempt=attempt).first()
    page = {
        "lab": lab,
        "attempt": attempt,
        "certificate": certificate,
        "step_views": views,
        "steps_missing": [view.step for view in views if not view.passed],
        "certificate_url": request.build_absolute_uri(certificate_path(certificate)) if certificate else "",
    }
    return render(request, "labs/complete.html", page)


def certificate_path(certificate: Certificate) -> str:
    return reverse("labs:certificate", args=[certificate.code])


@require_GET
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """Public: anyone with the code can check who completed which lab, and when."""
    found = get_object_or_404(Certificate, code=code.strip().upper())
    return render(request, "labs/certificate.html", {"certificate": found})
