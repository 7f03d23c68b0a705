"""The whole class in browsers: an instructor creates a class, two students join with the
code in separate browser contexts, the board shows them progressing live, the
instructor injects the disabled-key drill, sees a student resolve it, messages the
class and exports the results.

Two things happen outside the browsers, as they would in production: the students work
through boto3 (as a lab asks), and the test runs what the Celery worker and beat would
(provisioning, then the refresh of lab progress), since no worker serves the live server.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from classroom_support import PASSWORD, make_instructor, student_identity
from playwright.sync_api import expect
from support import screenshot

from kmsconsole.classroom.enrollment import provision_pending
from kmsconsole.classroom.models import Classroom
from kmsconsole.classroom.refresh import refresh_class

PII_ALIAS = "alias/user-pii-key"
POLLED = 15_000  # ms: the board polls every 5 s, the students' messages every 10 s


def signed_in_instructor(browser, live_endpoint):
    teacher = make_instructor()
    viewport = {"width": 1360, "height": 900}
    context = browser.new_context(base_url=live_endpoint, viewport=viewport, accept_downloads=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.goto("/login/")
    tab.fill("input[name=username]", teacher.username)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    return context, tab


def joined_guest(browser, live_endpoint, code: str, name: str):
    context = browser.new_context(base_url=live_endpoint, viewport={"width": 1200, "height": 800})
    context.set_default_timeout(20_000)
    tab = context.new_page()
    tab.goto("/classes/join/")
    tab.get_by_label("Join code").fill(code.lower())
    tab.get_by_role("button", name="Continue").click()
    tab.get_by_label("Your name on the class board").fill(name)
    tab.get_by_role("button", name="Join as a guest").click()
    expect(tab.get_by_text(f"Joined as {name}")).to_be_visible()
    return context, tab


def test_an_instructor_runs_a_class_with_two_students(browser, live_endpoint, orm):
    teacher_context, teacher = signed_in_instructor(browser, live_endpoint)
    teacher.goto("/classes/new/")
    teacher.get_by_label("Name").fill("KMS bootcamp")
    teacher.get_by_label("Lab 1").select_option("envelope-encryption")
    teacher.get_by_role("button", name="Create the class").click()
    code = teacher.locator("code.join-code.big").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    classroom = Classroom.objects.get(join_code=code)

    ada_context, ada = joined_guest(browser, live_endpoint, code, "Ada")
    bob_context, bob = joined_guest(browser, live_endpoint, code, "Bob")
    expect(ada.get_by_text("Being built")).to_be_visible()
    provision_pending(classroom.pk)  # what the Celery worker does
    expect(ada.get_by_text("Ready", exact=True)).to_be_visible(timeout=POLLED)
    expect(bob.get_by_role("link", name="Envelope encryption with data keys")).to_be_visible()
    screenshot(ada, "classroom-student")

    teacher.reload()
    expect(teacher.get_by_role("cell", name="Ada")).to_be_visible()
    screenshot(teacher, "classroom-instructor")
    teacher.get_by_role("link", name="Live board").first.click()
    expect(teacher.locator("td.cell.done")).to_have_count(0)

    ada_enrollment = classroom.enrollments.get(display_name="Ada")
    kms = student_identity(ada_enrollment).client("kms", live_endpoint)
    with pytest.raises(kms.exceptions.ClientError):
        kms.encrypt(KeyId=PII_ALIAS, Plaintext=b"x" * 6144)  # step 1: meet the 4 KB limit
    kms.generate_data_key(KeyId=PII_ALIAS, KeySpec="AES_256")
    refresh_class(classroom)  # what the beat's refresh task does
    expect(teacher.locator("tr", has_text="Ada").locator("td.cell.done")).to_have_count(2, timeout=POLLED)
    expect(teacher.locator("tr", has_text="Bob").locator("td.cell.done")).to_have_count(0)

    teacher.get_by_role("link", name="Incident drills").first.click()
    teacher.get_by_label("A key in production is disabled").check()
    teacher.get_by_role("button", name="Inject the incident").click()
    expect(teacher.get_by_text("injected into 2 workspace(s)")).to_be_visible()
    key_id = kms.describe_key(KeyId="alias/prod-orders")["KeyMetadata"]["KeyId"]
    kms.enable_key(KeyId=key_id)
    teacher.get_by_role("link", name="Live board").first.click()
    ada_row = teacher.locator("tr", has_text="Ada")
    expect(ada_row.locator("td.drill .badge.ok")).to_be_visible()
    expect(teacher.locator("tr", has_text="Bob").locator("td.drill")).to_contain_text("open")

    teacher.get_by_label("Message to the class").fill("Ten minutes left")
    teacher.get_by_role("button", name="Send to the class").click()
    expect(bob.get_by_text("Ten minutes left")).to_be_visible(timeout=POLLED)
    screenshot(teacher, "classroom-board")

    teacher.get_by_role("link", name="Results").first.click()
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text()
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["Ada"]["steps_done"] == "2" and rows["Ada"]["incidents_resolved"] == "1"
    assert rows["Bob"]["steps_done"] == "0" and rows["Bob"]["incidents_resolved"] == "0"
    screenshot(teacher, "classroom-results")

    for context in (teacher_context, ada_context, bob_context):
        context.close()
