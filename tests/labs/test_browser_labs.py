"""Browser tests of the labs in headless Chromium: a learner completes the envelope
encryption lab with boto3 calls (as from their own terminal) while the lab page turns
each step green by itself, takes the quiz and gets a certificate anyone can verify; and a
key policy step is done in the console. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import json
import re

import pytest
from botocore.exceptions import ClientError
from support import screenshot

from labs.format import get_lab
from labs.models import Certificate, LabAttempt
from labs.solutions import LabSession
from labs.solutions.envelope_encryption import USER_PII, envelope_decrypt, envelope_encrypt
from labs.solutions.key_policies import split_policy

pytestmark = pytest.mark.live

expect = pytest.importorskip("playwright.sync_api").expect
PASSED = re.compile(r"\bpassed\b")


def start_lab(page, title: str) -> None:
    page.goto("/labs/")
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="Start the lab").click()
    expect(page.get_by_role("heading", name="Your credentials")).to_be_visible()


def learner_session(console_user, slug: str, endpoint: str, tmp_path) -> LabSession:
    attempt = LabAttempt.objects.get(user__username=console_user.username, lab_slug=slug)
    return LabSession(endpoint, attempt.workspace, attempt.refs, workdir=tmp_path)


def test_a_learner_completes_the_envelope_lab_while_the_checks_turn_green(
    console_user, live_endpoint, tmp_path, page, browser
):
    page.goto("/labs/")
    expect(page.get_by_role("heading", name="Labs", exact=True)).to_be_visible()
    screenshot(page, "lab-catalogue")
    start_lab(page, "Envelope encryption with data keys")

    session = learner_session(console_user, "envelope-encryption", live_endpoint, tmp_path)
    kms, alias = session.client("kms"), session.alias("pii-key")
    with pytest.raises(ClientError, match="ValidationException"):
        kms.encrypt(KeyId=alias, Plaintext=b"r" * 6144)
    expect(page.locator("#status-meet-the-limit")).to_have_class(PASSED)

    record = envelope_encrypt(kms, USER_PII, alias)
    expect(page.locator("#status-generate-data-key")).to_have_class(PASSED)
    page.get_by_label("The stored record (the JSON envelope_encrypt returned)").fill(json.dumps(record))
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#status-envelope-in-python")).to_have_class(PASSED)

    assert envelope_decrypt(kms, record) == USER_PII
    expect(page.locator("#status-decrypt-and-discard")).to_have_class(PASSED)
    expect(page.get_by_text("4 of 4 steps done")).to_be_visible()
    expect(page.locator("#lab-panel")).to_contain_text("Decrypt")
    page.get_by_role("button", name="Show a hint (1 of 1)").click()
    expect(page.get_by_text("InvalidCiphertextException usually means")).to_be_visible()
    page.get_by_role("heading", name="Envelope encryption with data keys").scroll_into_view_if_needed()
    screenshot(page, "lab-page")

    page.get_by_role("link", name="Take the quiz", exact=True).click()
    for question in get_lab("envelope-encryption").quiz:
        for choice in question.choices:
            if choice.correct:
                page.get_by_label(choice.text, exact=True).check()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_text("You scored 5 of 5")).to_be_visible()
    page.get_by_role("link", name="See your completion page").click()
    expect(page.get_by_role("heading", name="Lab completed")).to_be_visible()
    screenshot(page, "lab-certificate")

    code = Certificate.objects.get(attempt__user__username=console_user.username).code
    stranger = browser.new_context(base_url=live_endpoint)
    public = stranger.new_page()
    public.goto(f"/labs/certificates/{code}/")
    expect(public.get_by_text(console_user.username, exact=True)).to_be_visible()
    expect(public.get_by_text("Envelope encryption with data keys")).to_be_visible()
    stranger.close()


def test_a_key_policy_step_done_in_the_console_turns_green(console_user, live_endpoint, tmp_path, page):
    start_lab(page, "Key policies and least privilege")
    session = learner_session(console_user, "key-policies", live_endpoint, tmp_path)

    page.get_by_role("button", name="Open this workspace in the console").click()
    page.goto(f"/keys/{session.key_id('payroll-key')}/?tab=policy")
    page.get_by_label("Key policy (JSON)").fill(json.dumps(split_policy(session), indent=2))
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_text("Key policy saved.")).to_be_visible()

    page.goto("/labs/key-policies/")
    expect(page.locator("#status-split-duties")).to_have_class(PASSED)
    expect(page.locator("#status-split-duties")).to_contain_text("cannot encrypt or decrypt with it")
    expect(page.locator("#status-read-the-policy")).not_to_have_class(PASSED)
    screenshot(page, "lab-console-step")
