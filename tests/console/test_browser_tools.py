"""Browser tests of the console's tools in headless Chromium: the envelope walk-through,
the blob inspector, a denial explained in the event history, the policy simulator and the
credentials page. Each saves a screenshot under tests/artifacts/.

Scenes are set with boto3 against the live server, as a learner's script would. The
fixtures that create the console user still use the ORM while Playwright's synchronous API
(an asyncio loop in this thread) runs, which Django refuses unless told it is safe here.
"""

import json

import pytest
from support import identity_of, screenshot

pytestmark = pytest.mark.live

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def admin_a(console_user):
    return identity_of(console_user.workspace, "A")


@pytest.fixture
def kms_a(admin_a, live_endpoint):
    """boto3 KMS client of the console user's account A admin."""
    return admin_a.client("kms", live_endpoint)


def test_the_envelope_walk_through_and_the_blob_inspector(kms_a, page):
    key_arn = kms_a.create_key(Description="envelope demo")["KeyMetadata"]["Arn"]
    page.goto("/playground/")
    page.get_by_role("link", name="Envelope encryption").click()
    envelope = page.locator("#envelope")
    envelope.get_by_label("KMS key").select_option(key_arn)
    envelope.get_by_label("Your text").fill("The quarterly numbers")
    envelope.get_by_label("Context key 1").fill("department")
    envelope.get_by_label("Context value 1").fill("finance")
    page.get_by_role("button", name="1. Generate a data key").click()
    expect(page.get_by_role("heading", name="1. GenerateDataKey")).to_be_visible()
    data_key = page.locator("#envelope-data-key").inner_text()
    page.get_by_role("button", name="2. Encrypt my text locally").click()
    expect(page.get_by_role("heading", name="3. The stored package")).to_be_visible()
    page.get_by_role("button", name="4. Discard the plaintext data key").click()
    expect(page.locator("#envelope-data-key")).to_have_text("discarded: the application no longer holds it")
    page.get_by_role("button", name="5. Decrypt the data key with KMS, then my text").click()
    expect(page.get_by_role("heading", name="6. Decrypt locally")).to_be_visible()
    expect(page.locator("#step-open pre")).to_have_text("The quarterly numbers")
    assert data_key not in page.content()
    screenshot(page, "playground-envelope")

    package = json.loads(page.locator("#step-package pre").inner_text())
    page.goto("/blob-inspector/")
    page.get_by_label("Ciphertext blob (base64)").fill(package["encryptedDataKey"])
    page.get_by_role("button", name="Inspect").click()
    header = page.get_by_role("region", name="Blob header")
    expect(header).to_contain_text(key_arn.rsplit("/", 1)[1])
    expect(header).to_contain_text("envelope demo")
    expect(header).to_contain_text("32 bytes of ciphertext")
    screenshot(page, "blob-inspector")


def test_a_denied_encrypt_is_explained_in_the_event_history(kms_a, admin_a, page):
    key_arn = kms_a.create_key(Description="locked down")["KeyMetadata"]["Arn"]
    admin = admin_a
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OnlyTheAdminUser", "Effect": "Allow", "Principal": {"AWS": admin.arn}, "Action": "kms:*",
             "Resource": "*"}
        ],
    }  # fmt: skip
    kms_a.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=json.dumps(policy))

    page.goto("/playground/")
    encrypt = page.locator("#encrypt-tool")
    encrypt.get_by_label("KMS key").select_option(key_arn)
    encrypt.get_by_label("Plaintext").fill("hello")
    encrypt.get_by_role("button", name="Encrypt").click()
    expect(page.locator("#encrypt-tool").get_by_role("alert")).to_contain_text("AccessDeniedException")

    page.get_by_role("navigation", name="Console sections").get_by_role("link", name="Event history").click()
    root = f"arn:aws:iam::{admin.account_id}:root"
    why = page.locator("tr.why").first
    expect(why).to_contain_text(f"The key policy has no statement that allows {root} to call kms:Encrypt")
    why.get_by_role("link", name="Explain this denial").click()
    explanation = page.get_by_role("region", name="Why it was denied")
    expect(explanation).to_contain_text("OnlyTheAdminUser")
    expect(explanation.locator("table.trace")).to_contain_text(f"Principal {root} is not {admin.arn}")
    screenshot(page, "event-history-denial")


def test_the_simulator_shows_a_decision_and_its_reasons(kms_a, console_user, page):
    key_arn = kms_a.create_key(Description="shared with B?")["KeyMetadata"]["Arn"]
    outsider = identity_of(console_user.workspace, "B")
    page.goto("/simulator/")
    page.get_by_label("Principal").select_option(label=f"B ({outsider.account_id}) · user admin")
    page.get_by_label("Action").select_option("kms:Decrypt")
    page.get_by_label("Key", exact=True).fill(key_arn)
    page.get_by_label("Context key 1").fill("app")
    page.get_by_label("Context value 1").fill("payroll")
    page.get_by_role("button", name="Simulate").click()
    result = page.locator("#simulation")
    expect(result).to_contain_text("Denied")
    expect(result).to_contain_text("a cross-account call needs both")
    screenshot(page, "simulator")


def test_the_credentials_page_shows_a_new_secret_once(console_user, page):
    page.goto("/credentials/")
    expect(page.get_by_role("heading", name="Access keys of admin")).to_be_visible()
    page.get_by_role("button", name="Create access key").click()
    secret = page.locator("#new-secret")
    expect(secret).to_be_visible()
    value = secret.inner_text()
    expect(page.get_by_label("boto3 snippet")).to_contain_text(value)
    expect(page.get_by_label("aws configure commands")).to_contain_text("--endpoint-url http://127.0.0.1:")
    screenshot(page, "credentials")
    page.reload()
    expect(page.get_by_role("heading", name="Access keys of admin")).to_be_visible()
    assert value not in page.content()
