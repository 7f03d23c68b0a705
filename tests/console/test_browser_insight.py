"""Browser tests of monitoring, the clock's fast-forward and the cost estimator in
headless Chromium. Each saves screenshots under tests/artifacts/.

Calls are made with boto3 against the live server, as a learner's application would;
the console is driven as a learner drives it.
"""

import pytest
from support import identity_of, screenshot

pytestmark = pytest.mark.live

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def kms_a(console_user, live_endpoint):
    """boto3 KMS client of the console user's account A admin."""
    return identity_of(console_user.workspace, "A").client("kms", live_endpoint)


def test_a_decrypt_spike_alarm_fires_after_a_fast_forward_and_shows_in_the_inbox(kms_a, page):
    page.goto("/monitoring/")
    page.get_by_role("link", name="Create alarm").click()
    screenshot(page, "monitoring-create-alarm")
    page.get_by_label("KMS-DecryptSpike: Unusual Decrypt volume").check()
    page.get_by_label("Threshold", exact=True).first.fill("3")
    page.get_by_role("button", name="Create from template").click()
    expect(page.locator("#alarm-state")).to_have_text("INSUFFICIENT_DATA")

    key_id = kms_a.create_key(Description="payments")["KeyMetadata"]["KeyId"]
    blob = kms_a.encrypt(KeyId=key_id, Plaintext=b"card")["CiphertextBlob"]
    for _ in range(4):
        kms_a.decrypt(CiphertextBlob=blob)

    clock_before = page.locator("#workspace-clock").get_attribute("datetime")
    page.get_by_label("Fast-forward days").fill("1")
    page.get_by_role("button", name="Fast-forward").click()
    expect(page.get_by_text("The workspace clock moved forward 1 day")).to_be_visible()
    assert page.locator("#workspace-clock").get_attribute("datetime") != clock_before

    page.get_by_role("navigation", name="Console sections").get_by_role("link", name="Monitoring").click()
    page.get_by_role("button", name="Evaluate now").click()
    expect(page.get_by_text("KMS-DecryptSpike changed state")).to_be_visible()
    page.get_by_role("link", name="KMS-DecryptSpike").click()
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("INSUFFICIENT_DATA → ALARM")
    expect(history).to_contain_text("ALARM → OK")
    page.get_by_role("navigation", name="Chart range").get_by_role("link", name="Last 7 days").click()
    chart = page.locator("#alarm-chart")
    expect(chart.locator("rect.bar.breaching")).to_have_count(1)
    expect(chart.locator("line.threshold")).to_have_count(1)
    screenshot(page, "monitoring-alarm")

    page.goto("/monitoring/")
    page.get_by_role("navigation", name="Monitoring sections").get_by_role("link", name="Inbox").click()
    inbox = page.get_by_role("region", name="Inbox")
    expect(inbox).to_contain_text('ALARM: "KMS-DecryptSpike"')
    screenshot(page, "monitoring-inbox")
    inbox.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("region", name="Inbox").locator(".badge", has_text="unread")).to_have_count(0)


def test_a_key_without_rotation_fails_the_rotation_rule(kms_a, page):
    key_arn = kms_a.create_key(Description="no rotation")["KeyMetadata"]["Arn"]
    page.goto("/monitoring/")
    page.get_by_role("navigation", name="Monitoring sections").get_by_role("link", name="Compliance").click()
    rules = page.get_by_role("region", name="Compliance rules")
    expect(rules.get_by_role("row", name="cmk-backing-key-rotation-enabled")).to_contain_text("NON_COMPLIANT")
    screenshot(page, "monitoring-compliance")
    rules.get_by_role("link", name="cmk-backing-key-rotation-enabled").click()
    expect(page.get_by_role("region", name="Non-compliant keys")).to_contain_text(key_arn)
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("NON_COMPLIANT")


def test_the_cost_estimator_shows_the_bucket_key_effect(kms_a, page):
    key_id = kms_a.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms_a.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    page.goto("/costs/")
    expect(page.locator("#current-total")).to_have_text("$1.00")
    expect(page.locator("figure.cost-chart svg rect.bar.current")).not_to_have_count(0)
    page.get_by_label("S3 PUTs per month (SSE-KMS)").fill("10000000")
    page.get_by_label("S3 Bucket Key enabled").check()
    s3_row = page.locator("table.bill").get_by_role("row", name="S3 SSE-KMS GenerateDataKey")
    expect(s3_row).to_contain_text("$0.003")
    expect(page.locator("#what-if-total")).to_have_text("$1.00")  # $1.003, billed in cents
    bucket_key = page.get_by_role("note")
    expect(bucket_key).to_contain_text("$30.00")
    expect(bucket_key).to_contain_text("$0.003")
    assert "s3_bucket_key=on" in page.url
    screenshot(page, "cost-estimator")
