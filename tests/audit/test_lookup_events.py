"""CloudTrail ``LookupEvents`` on the kmsconsole endpoint, through boto3 and the aws CLI:
an account's own event history, filtered by one lookup attribute and a time window, paged
with ``NextToken``, refusing bad input with CloudTrail's own error codes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from support import REGION, Identity, cli_json

from kmsconsole.iam.clock import move_clock

MARKER = b"lookup-events-plaintext-marker"
KMS_ONLY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})


def iam_user(alice: Identity, endpoint: str, name: str, policy: str) -> Identity:
    """A user of alice's account created with the IAM API, with one inline policy."""
    iam = alice.client("iam", endpoint)
    user = iam.create_user(UserName=name)["User"]
    iam.put_user_policy(UserName=name, PolicyName="Inline", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Identity(alice.account_id, user["Arn"], key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture
def cloudtrail(alice: Identity, endpoint: str) -> Any:
    return alice.client("cloudtrail", endpoint)


@pytest.fixture
def history(kms: Any, alice: Identity, endpoint: str) -> dict[str, Any]:
    """Alice's admin creates, uses and disables a key; dave, a user she creates, describes it."""
    key = kms.create_key(Description="history")["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=MARKER)["CiphertextBlob"]
    kms.decrypt(CiphertextBlob=blob)
    kms.disable_key(KeyId=key["KeyId"])
    dave = iam_user(alice, endpoint, "dave", KMS_ONLY)
    dave.client("kms", endpoint).describe_key(KeyId=key["Arn"])
    return {"key": key, "dave": dave}


def everything(cloudtrail: Any, **members: Any) -> list[dict[str, Any]]:
    """Every event a lookup finds, following NextToken to the end."""
    events: list[dict[str, Any]] = []
    for page in cloudtrail.get_paginator("lookup_events").paginate(**members):
        events += page["Events"]
    return events


def lookup(cloudtrail: Any, key: str, value: str, **members: Any) -> list[str]:
    """Names of the events matching one lookup attribute, newest first."""
    found = everything(cloudtrail, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **members)
    return [event["EventName"] for event in found]


def code_of(call: Any, **members: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**members)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


# ---------------------------------------------------------------- what an event looks like


def test_it_lists_the_accounts_events_newest_first(cloudtrail, history):
    names = [event["EventName"] for event in everything(cloudtrail)]
    kms_calls = [name for name in names if name in ("CreateKey", "Encrypt", "Decrypt", "DisableKey", "DescribeKey")]
    assert kms_calls == ["DescribeKey", "DisableKey", "Decrypt", "Encrypt", "CreateKey"]
    assert {"CreateUser", "PutUserPolicy", "CreateAccessKey"} <= set(names)
    times = [event["EventTime"] for event in everything(cloudtrail)]
    assert times == sorted(times, reverse=True)


def test_an_event_carries_cloudtrails_summary_fields_and_the_record_as_a_string(cloudtrail, history, alice):
    [event] = everything(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DisableKey"}])
    record = json.loads(event["CloudTrailEvent"])
    assert event["EventId"] == record["eventID"]
    assert event["EventSource"] == "kms.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["Username"] == "admin"
    assert event["AccessKeyId"] == alice.access_key_id
    assert event["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": history["key"]["Arn"]}]
    assert event["EventTime"].microsecond == 0
    assert event["EventTime"].strftime("%Y-%m-%dT%H:%M:%SZ") == record["eventTime"]
    assert abs(event["EventTime"] - datetime.now(UTC)) < timedelta(minutes=1)
    assert record["eventName"] == "DisableKey"
    assert record["userIdentity"]["arn"] == alice.arn
    assert record["requestParameters"] == {"keyId": history["key"]["KeyId"]}


def test_no_cloudtrail_event_holds_plaintext_or_ciphertext(cloudtrail, history):
    records = " ".join(event["CloudTrailEvent"] for event in everything(cloudtrail))
    for form in (MARKER.decode(), base64.b64encode(MARKER).decode(), MARKER.hex()):
        assert form not in records
    decrypt = json.loads(
        everything(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}])[0][
            "CloudTrailEvent"
        ]
    )
    assert "ciphertextBlob" not in decrypt["requestParameters"]
    assert decrypt["responseElements"] is None


def test_lookups_are_not_recorded_as_events(cloudtrail, history):
    everything(cloudtrail)
    assert lookup(cloudtrail, "EventName", "LookupEvents") == []


# ---------------------------------------------------------------- one lookup attribute


def test_it_finds_one_event_by_its_id(cloudtrail, history):
    encrypt = everything(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])
    assert lookup(cloudtrail, "EventId", encrypt[0]["EventId"]) == ["Encrypt"]
    assert lookup(cloudtrail, "EventId", "00000000-0000-0000-0000-000000000000") == []


def test_it_filters_by_event_name(cloudtrail, history):
    assert lookup(cloudtrail, "EventName", "CreateKey") == ["CreateKey"]
    assert lookup(cloudtrail, "EventName", "createkey") == []


def test_it_filters_by_read_only(cloudtrail, history):
    reads = lookup(cloudtrail, "ReadOnly", "true")
    writes = lookup(cloudtrail, "ReadOnly", "false")
    assert {"Encrypt", "Decrypt", "DescribeKey"} <= set(reads)
    assert {"CreateKey", "DisableKey", "CreateUser"} <= set(writes)
    assert not set(reads) & set(writes)


def test_it_filters_by_user_name(cloudtrail, history):
    assert lookup(cloudtrail, "Username", "dave") == ["DescribeKey"]
    assert "dave" not in {e.get("Username") for e in everything(cloudtrail) if e["EventName"] == "CreateKey"}
    assert set(lookup(cloudtrail, "Username", "admin")) >= {"CreateKey", "DisableKey", "CreateUser"}


def test_it_filters_by_access_key(cloudtrail, history):
    assert lookup(cloudtrail, "AccessKeyId", history["dave"].access_key_id) == ["DescribeKey"]


def test_it_filters_by_event_source(cloudtrail, history):
    assert lookup(cloudtrail, "EventSource", "iam.amazonaws.com") == ["CreateAccessKey", "PutUserPolicy", "CreateUser"]
    assert "CreateUser" not in lookup(cloudtrail, "EventSource", "kms.amazonaws.com")


def test_it_filters_by_resource_type(cloudtrail, history):
    key_events = lookup(cloudtrail, "ResourceType", "AWS::KMS::Key")
    assert key_events == ["DescribeKey", "DisableKey", "Decrypt", "Encrypt", "CreateKey"]
    assert lookup(cloudtrail, "ResourceType", "AWS::S3::Bucket") == []


def test_it_filters_by_resource_name_given_as_the_key_arn_or_its_id(cloudtrail, history):
    key = history["key"]
    by_arn = lookup(cloudtrail, "ResourceName", key["Arn"])
    assert by_arn == ["DescribeKey", "DisableKey", "Decrypt", "Encrypt", "CreateKey"]
    assert lookup(cloudtrail, "ResourceName", key["KeyId"]) == by_arn
    assert lookup(cloudtrail, "ResourceName", key["KeyId"][:8]) == []


# ---------------------------------------------------------------- time window


def test_the_time_window_is_inclusive_to_the_second(cloudtrail, history):
    [create] = everything(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}])
    at = create["EventTime"]
    by_name = [{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}]
    assert len(everything(cloudtrail, LookupAttributes=by_name, StartTime=at, EndTime=at)) == 1
    assert everything(cloudtrail, LookupAttributes=by_name, StartTime=at + timedelta(seconds=1)) == []
    assert everything(cloudtrail, LookupAttributes=by_name, EndTime=at - timedelta(seconds=1)) == []


def test_history_reaches_back_90_days_on_the_workspace_clock(cloudtrail, history, workspace):
    long_ago = datetime.now(UTC) - timedelta(days=365)
    move_clock(workspace.workspace, timedelta(days=89))
    assert "CreateKey" in lookup(cloudtrail, "ResourceType", "AWS::KMS::Key", StartTime=long_ago)
    move_clock(workspace.workspace, timedelta(days=2))
    assert lookup(cloudtrail, "ResourceType", "AWS::KMS::Key", StartTime=long_ago) == []


def test_it_refuses_a_start_time_after_the_end_time(cloudtrail, history):
    now = datetime.now(UTC)
    code, message = code_of(cloudtrail.lookup_events, StartTime=now, EndTime=now - timedelta(hours=1))
    assert code == "InvalidTimeRangeException"
    assert "start time" in message


# ---------------------------------------------------------------- paging


def test_pages_follow_next_token_without_gaps_or_repeats(cloudtrail, history):
    whole = cloudtrail.lookup_events()["Events"]
    assert "NextToken" not in cloudtrail.lookup_events()
    walked: list[dict[str, Any]] = []
    page = cloudtrail.lookup_events(MaxResults=2)
    while True:
        assert len(page["Events"]) <= 2
        walked += page["Events"]
        if "NextToken" not in page:
            break
        page = cloudtrail.lookup_events(MaxResults=2, NextToken=page["NextToken"])
    assert [e["EventId"] for e in walked] == [e["EventId"] for e in whole]


def test_a_page_exactly_full_at_the_end_has_no_next_token(cloudtrail, history):
    by_source = [{"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}]
    page = cloudtrail.lookup_events(LookupAttributes=by_source, MaxResults=3)
    assert len(page["Events"]) == 3
    assert "NextToken" not in page


def test_a_next_token_only_continues_the_request_it_came_from(cloudtrail, history, bob, endpoint):
    by_name = [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
    token = cloudtrail.lookup_events(LookupAttributes=by_name, MaxResults=1)["NextToken"]
    other_filter = [{"AttributeKey": "ReadOnly", "AttributeValue": "true"}]
    for call in (
        {"LookupAttributes": other_filter, "NextToken": token},
        {"NextToken": token},
        {"LookupAttributes": by_name, "NextToken": token[:-2] + "xx"},
        {"LookupAttributes": by_name, "NextToken": "not-a-token"},
    ):
        assert code_of(cloudtrail.lookup_events, **call)[0] == "InvalidNextTokenException"
    bobs = bob.client("cloudtrail", endpoint)
    assert code_of(bobs.lookup_events, LookupAttributes=by_name, NextToken=token)[0] == "InvalidNextTokenException"
    assert cloudtrail.lookup_events(LookupAttributes=by_name, MaxResults=5, NextToken=token)["Events"]


def test_the_cli_pages_through_the_history(aws_cli, history):
    result = cli_json(
        aws_cli(
            "cloudtrail", "lookup-events", "--page-size", "1",
            "--lookup-attributes", "AttributeKey=ResourceType,AttributeValue=AWS::KMS::Key",
        )
    )  # fmt: skip
    assert [event["EventName"] for event in result["Events"]] == [
        "DescribeKey",
        "DisableKey",
        "Decrypt",
        "Encrypt",
        "CreateKey",
    ]
    assert all(isinstance(event["CloudTrailEvent"], str) for event in result["Events"])


# ---------------------------------------------------------------- bad input


def test_it_refuses_more_than_one_lookup_attribute(cloudtrail, history):
    two = [
        {"AttributeKey": "EventName", "AttributeValue": "Decrypt"},
        {"AttributeKey": "Username", "AttributeValue": "admin"},
    ]
    assert code_of(cloudtrail.lookup_events, LookupAttributes=two)[0] == "InvalidLookupAttributesException"


def test_it_refuses_a_read_only_value_other_than_true_or_false(cloudtrail, history):
    attribute = [{"AttributeKey": "ReadOnly", "AttributeValue": "yes"}]
    code, message = code_of(cloudtrail.lookup_events, LookupAttributes=attribute)
    assert code == "InvalidLookupAttributesException"
    assert "'yes'" in message


def test_the_only_event_category_is_insight_and_there_are_no_insight_events(cloudtrail, history):
    assert cloudtrail.lookup_events(EventCategory="insight")["Events"] == []


def test_it_refuses_more_than_50_results_per_page(cloudtrail, history):
    code, message = code_of(cloudtrail.lookup_events, MaxResults=51)
    assert code == "InvalidMaxResultsException"
    assert "51" in message


def test_it_refuses_an_unknown_event_category(cloudtrail, history):
    assert code_of(cloudtrail.lookup_events, EventCategory="data")[0] == "InvalidEventCategoryException"


def test_it_refuses_an_unknown_lookup_attribute_key(cloudtrail, history):
    attribute = [{"AttributeKey": "ErrorCode", "AttributeValue": "AccessDenied"}]
    assert code_of(cloudtrail.lookup_events, LookupAttributes=attribute)[0] == "InvalidLookupAttributesException"


# ---------------------------------------------------------------- who sees what


def test_other_accounts_and_workspaces_do_not_see_alices_events(history, cloudtrail, bob, charlie, endpoint):
    alices = {event["EventId"] for event in everything(cloudtrail)}
    for stranger in (bob, charlie):
        client = stranger.client("kms", endpoint)
        client.list_keys()
        theirs = everything(stranger.client("cloudtrail", endpoint))
        assert theirs, "each account sees its own history"
        assert not alices & {event["EventId"] for event in theirs}
        assert {json.loads(e["CloudTrailEvent"])["recipientAccountId"] for e in theirs} == {stranger.account_id}
        key_arn = history["key"]["Arn"]
        assert lookup(stranger.client("cloudtrail", endpoint), "ResourceName", key_arn) == []


def test_a_region_shows_only_its_own_events(history, alice, endpoint):
    other_region = alice.client("cloudtrail", endpoint, region="eu-west-1")
    assert REGION != "eu-west-1"
    assert everything(other_region) == []


def test_looking_up_events_needs_cloudtrail_lookup_events_permission(history, alice, endpoint):
    dave = history["dave"]
    code, message = code_of(dave.client("cloudtrail", endpoint).lookup_events)
    assert code == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in message
    auditor_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}],
        }
    )
    auditor = iam_user(alice, endpoint, "auditor", auditor_policy)
    assert lookup(auditor.client("cloudtrail", endpoint), "Username", "dave") == ["DescribeKey"]
