"""Browser tests of the keys area in headless Chromium: create a key through the wizard,
alias it, disable and re-enable it, schedule and cancel its deletion, turn its policy into
a denial for the console's own principal and meet the AccessDenied error, and use the
rotation tab. Screenshots go to tests/artifacts/.

The ``browser`` fixture is session-scoped, so Playwright's synchronous API is already
running when the per-test fixtures create the console user with the ORM; Django would
refuse that from a thread with a running event loop, hence the autouse fixture below.
"""

import json
import re

import pytest
from support import identity_of, screenshot

pytestmark = pytest.mark.live

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def account_a(console_user):
    return identity_of(console_user.workspace, "A")


@pytest.fixture
def kms_a(account_a, live_endpoint):
    """boto3 KMS client of the console user's account A admin."""
    return account_a.client("kms", live_endpoint)


def create_key_through_the_wizard(page, alias):
    page.goto("/keys/")
    page.get_by_role("link", name="Create key").click()
    expect(page.get_by_role("heading", name="Configure key")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Alias").fill(alias)
    page.get_by_label("Description (optional)").fill("Created in the browser")
    page.get_by_label("Tag key").fill("team")
    page.get_by_label("Tag value").fill("learning")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("admin (IAM user)").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("admin (IAM user)").check()
    page.get_by_label("Other AWS accounts").fill("111122223333")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page.get_by_label("Key policy")).to_contain_text("Allow access for Key Administrators")


def test_a_key_from_the_wizard_to_a_denial_the_learner_caused(account_a, page):
    create_key_through_the_wizard(page, "browser-demo")
    screenshot(page, "keys-wizard-review")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="alias/browser-demo")).to_be_visible()
    expect(page.get_by_text("Created the key alias/browser-demo")).to_be_visible()

    page.get_by_role("tab", name="Aliases").click()
    page.get_by_label("New alias").fill("browser-second")
    page.get_by_role("button", name="Create alias").click()
    expect(page.get_by_role("cell", name="alias/browser-second", exact=True)).to_be_visible()

    state = page.locator(".key-facts .badge")
    page.get_by_role("button", name="Disable").click()
    expect(state).to_have_text("Disabled")
    page.get_by_role("button", name="Enable").click()
    expect(state).to_have_text("Enabled")

    page.get_by_role("link", name="Schedule key deletion").click()
    page.get_by_label("Waiting period (days)").fill("7")
    page.get_by_label('Type "delete" to confirm').fill("delete")
    page.get_by_role("button", name="Schedule deletion").click()
    expect(page.get_by_text("The key is pending deletion. KMS deletes it on")).to_be_visible()
    expect(state).to_have_text("Pending deletion")
    page.get_by_role("button", name="Cancel key deletion").click()
    expect(state).to_have_text("Disabled")
    page.get_by_role("button", name="Enable").click()
    expect(state).to_have_text("Enabled")

    page.get_by_role("tab", name="Key policy").click()
    expect(page.get_by_text("Statement 1 (Enable IAM User Permissions)")).to_be_visible()
    root = f"arn:aws:iam::{account_a.account_id}:root"
    policy = json.loads(page.get_by_label("Key policy (JSON)").input_value())
    policy["Statement"].append(
        {
            "Sid": "NoDisabling",
            "Effect": "Deny",
            "Principal": {"AWS": root},
            "Action": "kms:DisableKey",
            "Resource": "*",
        }
    )
    page.get_by_label("Key policy (JSON)").fill(json.dumps(policy, indent=2))
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_text("Key policy saved.")).to_be_visible()
    expect(page.get_by_text("Statement 5 (NoDisabling)")).to_be_visible()
    screenshot(page, "key-detail-policy")

    page.get_by_role("button", name="Disable").click()
    denial = page.get_by_role("alert")
    expect(denial).to_contain_text(f"AccessDeniedException: User: {root} is not authorized to perform: kms:DisableKey")
    expect(denial).to_contain_text("with an explicit deny in a resource-based policy")
    expect(state).to_have_text("Enabled")
    denial.get_by_role("link", name="Why was this denied?").click()
    expect(page.get_by_role("heading", name="DisableKey")).to_be_visible()
    expect(page.get_by_text("AccessDeniedException").first).to_be_visible()


def test_the_rotation_tab_and_the_key_list(kms_a, page):
    create_key_through_the_wizard(page, "rotating")
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("tab", name="Key rotation").click()
    page.get_by_label("Rotation period (days)").fill("90")
    page.get_by_role("button", name="Enable automatic rotation").click()
    expect(page.get_by_text("Automatic rotation every 90 days is on.")).to_be_visible()
    page.get_by_role("button", name="Rotate now").click()
    expect(page.get_by_role("cell", name="On demand")).to_be_visible()
    expect(page.get_by_text("9 of 10 on-demand rotations left.")).to_be_visible()
    screenshot(page, "key-detail-rotation")

    for alias, request in (
        ("release-signing", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}),
        ("webhook-mac", {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
        ("legacy-reports", {}),
    ):
        key_id = kms_a.create_key(Description=f"The {alias} key", **request)["KeyMetadata"]["KeyId"]
        kms_a.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key_id)
    kms_a.disable_key(KeyId=key_id)
    page.goto("/keys/")
    page.get_by_label("Filter by alias, key ID or description").fill("rotat")
    expect(page.get_by_role("cell", name="alias/rotating")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/keys/\?q=rotat$"))
    page.get_by_label("Filter by alias, key ID or description").fill("")
    expect(page.locator("#key-table tbody tr")).to_have_count(4)
    screenshot(page, "keys-list")
