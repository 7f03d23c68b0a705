"""The key lists: customer managed and AWS managed keys, filter, pagination, query counts."""

import random
import uuid

import pytest

from kmsconsole.audit.models import Event
from kmsconsole.console.views.keys_list import PAGE_SIZE
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations.aliases import create_alias
from kmsconsole.kms.operations.lifecycle import create_key

pytestmark = pytest.mark.django_db


def root_of(provisioned, label="A"):
    account = provisioned.workspace.accounts.get(label=label)
    return Caller(principal=account.principals.get(kind="Root"), region=provisioned.workspace.region)


def make_keys(caller, count, description="", alias_prefix=None):
    key_ids = []
    for number in range(count):
        key_id = create_key(caller, {"Description": description})["KeyMetadata"]["KeyId"]
        if alias_prefix:
            create_alias(caller, {"AliasName": f"alias/{alias_prefix}-{number}", "TargetKeyId": key_id})
        key_ids.append(key_id)
    return key_ids


def attach_inline_policy(principal, name, document):
    """``put_inline_policy``, after moving the principal's policy revision past any value an
    earlier test reached: the authorizer caches parsed identity policies per (principal id,
    revision), and SQLite hands out again the ids of rows a rolled-back test created."""
    Principal.objects.filter(pk=principal.pk).update(policy_revision=random.randint(10**6, 10**9))
    principal.refresh_from_db(fields=["policy_revision"])
    put_inline_policy(principal, name, document)


def test_the_customer_key_list_shows_each_key_with_its_columns(client, learner):
    caller = root_of(learner)
    [key_id] = make_keys(caller, 1, alias_prefix="payments")
    create_alias(caller, {"AliasName": "alias/billing", "TargetKeyId": key_id})
    response = client.get("/keys/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/keys/{key_id}/"' in page
    assert "alias/billing" in page and "(+1 more)" in page
    assert '<span class="badge ok">Enabled</span>' in page
    for column in ("Symmetric", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Single-Region"):
        assert column in page
    assert "alias/aws/" not in page


def test_the_aws_managed_list_shows_only_aws_managed_keys(client, learner):
    [customer_key] = make_keys(root_of(learner), 1)
    response = client.get("/keys/aws/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "alias/aws/s3" in page and "alias/aws/ebs" in page
    assert customer_key not in page


def test_an_asymmetric_and_an_hmac_key_show_their_type(client, learner):
    caller = root_of(learner)
    create_key(caller, {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})
    create_key(caller, {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"})
    page = client.get("/keys/").content.decode()
    assert "Asymmetric" in page and "ECC_NIST_P256" in page and "SIGN_VERIFY" in page
    assert "HMAC" in page and "GENERATE_VERIFY_MAC" in page


def test_the_filter_matches_alias_key_id_and_description_ignoring_case(client, learner):
    caller = root_of(learner)
    [aliased] = make_keys(caller, 1, alias_prefix="Orders")
    [described] = make_keys(caller, 1, description="Backups of the ledger")
    [other] = make_keys(caller, 1)
    by_alias = client.get("/keys/", {"q": "orders"}).content.decode()
    assert aliased in by_alias and described not in by_alias and other not in by_alias
    by_description = client.get("/keys/", {"q": "LEDGER"}).content.decode()
    assert described in by_description and aliased not in by_description
    by_id = client.get("/keys/", {"q": other[:13]}).content.decode()
    assert other in by_id and aliased not in by_id
    nothing = client.get("/keys/", {"q": "no-such-thing"}).content.decode()
    assert "No key matches" in nothing


def test_the_filter_box_updates_only_the_table_for_htmx(client, learner):
    make_keys(root_of(learner), 1, alias_prefix="reports")
    response = client.get("/keys/", {"q": "reports"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="key-table"')
    assert "<html" not in fragment and "alias/reports-0" in fragment


def test_the_filter_box_asks_htmx_for_the_table_and_still_works_as_a_form(client, learner):
    page = client.get("/keys/").content.decode()
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-get="/keys/"' in page and 'hx-target="#key-table"' in page
    assert '<form class="key-filter" method="get" action="/keys/"' in page


def test_pages_follow_the_listkeys_marker_without_repeating_keys(client, learner):
    key_ids = set(make_keys(root_of(learner), PAGE_SIZE + 3))
    first = client.get("/keys/")
    seen = {key_id for key_id in key_ids if key_id in first.content.decode()}
    assert len(seen) == PAGE_SIZE
    marker = first.context["next_marker"]
    assert marker
    second = client.get("/keys/", {"marker": marker}).content.decode()
    rest = {key_id for key_id in key_ids if key_id in second}
    assert len(rest) == 3 and not rest & seen
    assert "First page" in second and 'rel="next"' not in second


def test_a_marker_that_listkeys_did_not_issue_is_shown_as_its_error(client, learner):
    response = client.get("/keys/", {"marker": "bm90LWEtbWFya2Vy"})
    assert response.status_code == 200
    assert "InvalidMarkerException" in response.content.decode()


def test_listing_is_a_listkeys_call_by_the_consoles_principal(client, learner):
    client.get("/keys/")
    event = Event.objects.filter(workspace=learner.workspace, event_name="ListKeys").latest("id")
    assert event.principal_arn == root_of(learner).arn
    assert event.record["userAgent"] == "kmsconsole-console"


def test_a_principal_denied_listkeys_sees_the_access_denied_error(client, learner):
    account = learner.workspace.accounts.get(label="A")
    admin = account.principals.get(name="admin")
    deny = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:ListKeys", "Resource": "*"}]}'
    attach_inline_policy(admin, "NoListing", deny)
    client.post("/context/", {"workspace": learner.workspace.pk, "account": account.pk, "principal": admin.pk})
    page = client.get("/keys/").content.decode()
    assert "AccessDeniedException" in page and "kms:ListKeys" in page


@pytest.mark.parametrize("url", ["/keys/", "/keys/aws/"])
def test_key_lists_require_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_keys_of_another_workspace_or_account_never_appear(client, learner):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    [foreign] = make_keys(root_of(stranger), 1)
    [other_account_key] = make_keys(root_of(learner, "B"), 1)
    page = client.get("/keys/", {"q": foreign[:8]}).content.decode() + client.get("/keys/").content.decode()
    assert foreign not in page and other_account_key not in page


def test_descriptions_and_aliases_with_markup_are_escaped(client, learner):
    make_keys(root_of(learner), 1, description="<script>alert(1)</script>")
    page = client.get("/keys/", {"q": "<script>"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# The session, the user, the console context and the header take 10 queries; the ListKeys
# call 4 (its savepoint, its query, its audit event); the page 2: its keys, then their aliases.
QUERY_BUDGET = 16


@pytest.mark.parametrize("query", ["", "key"])
def test_the_list_makes_as_many_queries_at_50_keys_as_at_5(client, learner, django_assert_max_num_queries, query):
    caller = root_of(learner)
    make_keys(caller, 5, description="key", alias_prefix="few")
    client.get("/keys/")  # warm the session and caches
    with django_assert_max_num_queries(QUERY_BUDGET) as few:
        assert client.get("/keys/", {"q": query}).status_code == 200
    make_keys(caller, 45, description="key", alias_prefix="many")
    with django_assert_max_num_queries(QUERY_BUDGET) as many:
        assert client.get("/keys/", {"q": query}).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
