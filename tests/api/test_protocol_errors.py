"""The AWS JSON 1.1 wire as a client that gets things wrong sees it.

Raw HTTP requests (signed with botocore's own SigV4 signer where a valid signature is
needed) against the live server: every mistake is an AWS-shaped 4xx with ``__type``,
``message`` and ``x-amzn-RequestId``, never a 5xx.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from support import REGION, Identity, identity_of

from kmsconsole.engine import shapes
from kmsconsole.iam.provisioning import create_workspace

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


# ---------------------------------------------------------------- raw requests


def signed_headers(
    endpoint: str,
    body: bytes,
    *,
    target: str,
    access_key_id: str,
    secret_access_key: str,
    service: str = "kms",
    region: str = REGION,
) -> dict[str, str]:
    """The headers botocore would send for ``body``, signed for ``service``/``region``."""
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(access_key_id, secret_access_key), service, region).add_auth(request)
    return dict(request.headers.items())


def post(endpoint: str, body: bytes, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
    return HTTP.request("POST", endpoint + "/", body=body, headers=headers)


def call_as(identity: Identity, endpoint: str, target: str, body: bytes, **signing: Any) -> urllib3.BaseHTTPResponse:
    headers = signed_headers(
        endpoint,
        body,
        target=target,
        access_key_id=identity.access_key_id,
        secret_access_key=identity.secret_access_key,
        **signing,
    )
    return post(endpoint, body, headers)


def assert_aws_error(
    response: urllib3.BaseHTTPResponse, code: str, message: str | None = None, *, status: int = 400
) -> dict[str, Any]:
    """The response is AWS's error shape: status, ``__type``, ``message``, request id."""
    assert response.status == status, response.data
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    uuid.UUID(response.headers["x-amzn-RequestId"])
    body = json.loads(response.data)
    assert body["__type"] == code
    assert isinstance(body["message"], str)
    if message is not None:
        assert body["message"] == message
    return body


def kms_json(identity: Identity, endpoint: str, operation: str, payload: Any) -> urllib3.BaseHTTPResponse:
    return call_as(identity, endpoint, f"TrentService.{operation}", json.dumps(payload).encode())


# ---------------------------------------------------------------- authentication


def test_it_asks_for_a_token_when_there_is_no_authorization_header(endpoint):
    response = post(endpoint, b"{}", {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "TrentService.ListKeys"})
    assert_aws_error(response, "MissingAuthenticationTokenException", "Missing Authentication Token")


def test_it_calls_a_garbage_authorization_header_an_incomplete_signature(endpoint):
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        "X-Amz-Target": "TrentService.ListKeys",
        "X-Amz-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": "AWS4-HMAC-SHA256 garbage",
    }
    body = assert_aws_error(post(endpoint, b"{}", headers), "IncompleteSignatureException")
    assert body["message"] == (
        "'garbage' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 garbage'."
    )


@pytest.mark.parametrize("authorization", ["garbage", "AWS4-HMAC-SHA256 Credential=a/b, Signature=c", "Bearer x=y"])
def test_it_calls_any_unusable_authorization_header_an_incomplete_signature(endpoint, authorization):
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        "X-Amz-Target": "TrentService.ListKeys",
        "X-Amz-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": authorization,
    }
    assert_aws_error(post(endpoint, b"{}", headers), "IncompleteSignatureException")


def test_it_does_not_recognise_an_unknown_access_key(endpoint):
    headers = signed_headers(
        endpoint, b"{}", target="TrentService.ListKeys", access_key_id="AKIAUNKNOWN000000000", secret_access_key="x"
    )
    response = post(endpoint, b"{}", headers)
    assert_aws_error(response, "UnrecognizedClientException", "The security token included in the request is invalid.")


def test_it_rejects_a_signature_made_with_the_wrong_secret(endpoint, alice):
    headers = signed_headers(
        endpoint,
        b"{}",
        target="TrentService.ListKeys",
        access_key_id=alice.access_key_id,
        secret_access_key=alice.secret_access_key[:-1] + ("A" if alice.secret_access_key[-1] != "A" else "B"),
    )
    assert_aws_error(post(endpoint, b"{}", headers), "InvalidSignatureException", SIGNATURE_MISMATCH)


def test_it_rejects_a_body_changed_after_signing(endpoint, alice):
    headers = signed_headers(
        endpoint,
        b'{"Limit": 1}',
        target="TrentService.ListKeys",
        access_key_id=alice.access_key_id,
        secret_access_key=alice.secret_access_key,
    )
    response = post(endpoint, b'{"Limit": 2}', headers)
    assert_aws_error(response, "InvalidSignatureException")


def test_it_says_a_ten_minute_old_signature_expired(endpoint, alice, monkeypatch):
    signed_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
    response = call_as(alice, endpoint, "TrentService.ListKeys", b"{}")
    body = assert_aws_error(response, "InvalidSignatureException")
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    prefix, _, rest = body["message"].partition(" is now earlier than ")
    assert prefix == f"Signature expired: {stamp}"
    limit, now = rest.removesuffix(" - 5 min.)").split(" (")
    limit_at = datetime.strptime(limit, "%Y%m%dT%H%M%SZ")
    now_at = datetime.strptime(now, "%Y%m%dT%H%M%SZ")
    assert now_at - limit_at == timedelta(minutes=5)
    assert abs(now_at - (signed_at + timedelta(minutes=10))) < timedelta(minutes=1)


def test_it_refuses_a_signature_scoped_to_sts_on_a_kms_target(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b"{}", service="sts")
    assert_aws_error(response, "InvalidSignatureException", "Credential should be scoped to correct service: 'kms'. ")


def test_it_refuses_a_signature_scoped_to_a_region_that_does_not_exist(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b"{}", region="mars-central-1")
    body = assert_aws_error(response, "InvalidSignatureException")
    assert body["message"].startswith("Credential should be scoped to a valid region")


# ---------------------------------------------------------------- operations and bodies


@pytest.mark.parametrize("target", ["TrentService.Nope", "Foo.Bar", ""])
def test_it_answers_an_unknown_target_with_unknown_operation(endpoint, alice, target):
    response = call_as(alice, endpoint, target, b"{}")
    assert_aws_error(response, "UnknownOperationException", "")


@pytest.mark.parametrize(
    "body",
    [b"{", b"{'KeyId': 'x'}", b"not json", b'{"KeyId": "x"} trailing', b"[1, 2"],
    ids=["unclosed", "single-quotes", "text", "trailing", "unclosed-list"],
)
def test_it_calls_malformed_json_a_serialization_error(endpoint, alice, body):
    response = call_as(alice, endpoint, "TrentService.DescribeKey", body)
    assert_aws_error(response, "SerializationException")


def test_it_refuses_a_json_array_body(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b"[]")
    assert_aws_error(response, "SerializationException", "Start of list found where not expected")


@pytest.mark.parametrize("body", [b'"text"', b"5", b"null", b"true"])
def test_it_refuses_a_body_that_is_a_bare_json_value(endpoint, alice, body):
    response = call_as(alice, endpoint, "TrentService.ListKeys", body)
    assert_aws_error(response, "SerializationException")


@pytest.mark.parametrize(
    ("operation", "payload", "message"),
    [
        ("DescribeKey", {"KeyId": 5}, "NUMBER_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": True}, None),
        ("DescribeKey", {"KeyId": {"nested": "object"}}, None),
        ("DescribeKey", {"KeyId": ["a"]}, "Start of list found where not expected"),
        ("GenerateRandom", {"NumberOfBytes": "x"}, None),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": "not base64!"}, None),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": 12}, None),
        ("ListKeys", {"Limit": 1.5}, None),
        ("ListKeys", {"Limit": True}, None),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": "eA==", "EncryptionContext": {"a": 1}}, None),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": "eA==", "EncryptionContext": ["a"]}, None),
        ("Encrypt", {"KeyId": "alias/x", "Plaintext": "eA==", "DryRun": "yes"}, None),
        ("CreateKey", {"Tags": {"TagKey": "a"}}, None),
        ("CreateKey", {"Tags": [{"TagKey": 1}]}, None),
    ],
)
def test_it_refuses_members_of_the_wrong_json_type(endpoint, alice, operation, payload, message):
    response = kms_json(alice, endpoint, operation, payload)
    assert_aws_error(response, "SerializationException", message)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_it_refuses_nan_and_infinity_literals(endpoint, alice, literal):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b'{"Limit": ' + literal + b"}")
    assert_aws_error(response, "SerializationException")


def test_it_refuses_a_number_too_large_for_any_member(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b'{"Limit": 1e400}')
    assert_aws_error(response, "SerializationException")


def test_it_refuses_json_nested_deeper_than_it_parses(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.ListKeys", b'{"Limit": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert_aws_error(response, "SerializationException")


def test_it_refuses_an_oversize_body_with_413(endpoint, alice):
    body = b'{"Description": "' + b"x" * settings.KMSCONSOLE_MAX_REQUEST_BYTES + b'"}'
    response = call_as(alice, endpoint, "TrentService.CreateKey", body)
    assert_aws_error(response, "RequestEntityTooLargeException", status=413)


def test_it_refuses_a_body_that_is_not_utf8(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.DescribeKey", b'{"KeyId": "\xff\xfe"}')
    assert_aws_error(response, "SerializationException")


def test_it_reads_bodies_as_utf8_only(endpoint, alice):
    utf16 = '{"Limit": 1}'.encode("utf-16")
    response = call_as(alice, endpoint, "TrentService.ListKeys", utf16)
    assert_aws_error(response, "SerializationException")


def test_it_names_a_missing_required_member_in_an_empty_body(endpoint, alice):
    response = call_as(alice, endpoint, "TrentService.DescribeKey", b"")
    assert_aws_error(
        response,
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    )


def test_it_lists_every_missing_required_member(endpoint, alice):
    response = kms_json(alice, endpoint, "Encrypt", {})
    assert_aws_error(
        response,
        "ValidationException",
        "2 validation errors detected: "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'plaintext' failed to satisfy constraint: Member must not be null",
    )


def test_it_answers_a_valid_raw_request_like_boto3_does(endpoint, alice):
    response = kms_json(alice, endpoint, "ListKeys", {"Limit": 1})
    assert response.status == 200
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert json.loads(response.data)["Truncated"] is True


def calls_carrying(text: str, key_id: str) -> list[tuple[str, dict[str, Any]]]:
    """Requests that put ``text`` where it would be looked up, stored or logged."""
    plaintext = base64.b64encode(b"x").decode()
    return [
        ("DescribeKey", {"KeyId": text}),
        ("DescribeKey", {"KeyId": f"alias/{text}"}),
        ("Encrypt", {"KeyId": key_id, "Plaintext": plaintext, "EncryptionContext": {text: text}}),
        ("CreateKey", {"Description": text}),
        ("CreateKey", {"Tags": [{"TagKey": text, "TagValue": text}]}),
        ("ListKeys", {"Marker": text}),
        ("CreateAlias", {"AliasName": f"alias/{text}", "TargetKeyId": key_id}),
        ("TagResource", {"KeyId": key_id, "Tags": [{"TagKey": text, "TagValue": text}]}),
        ("UpdateKeyDescription", {"KeyId": key_id, "Description": text}),
        ("RevokeGrant", {"KeyId": key_id, "GrantId": text}),
        ("RetireGrant", {"GrantToken": text}),
    ]


@pytest.mark.parametrize(
    "text", ["nul\u0000inside", "\ud800lone surrogate", "\udfff"], ids=["nul", "high-surrogate", "low-surrogate"]
)
def test_it_refuses_strings_no_database_can_store(endpoint, alice, text):
    """A deviation from AWS (see ``kmsconsole.engine.shapes``), so that such strings
    never reach a lookup, a row or an audit record."""
    key_id = json.loads(kms_json(alice, endpoint, "CreateKey", {}).data)["KeyMetadata"]["KeyId"]
    for operation, payload in calls_carrying(text, key_id):
        response = kms_json(alice, endpoint, operation, payload)  # lone surrogates travel as \u escapes
        assert_aws_error(response, "SerializationException", "Strings must be valid Unicode without U+0000 characters.")


def test_it_takes_characters_beyond_the_basic_plane_everywhere(endpoint, alice):
    key_id = json.loads(kms_json(alice, endpoint, "CreateKey", {}).data)["KeyMetadata"]["KeyId"]
    for operation, payload in calls_carrying("key \U0001f511", key_id):
        response = kms_json(alice, endpoint, operation, payload)
        assert response.status < 500, (operation, response.data)
        if response.status != 200:
            assert_aws_error(response, json.loads(response.data)["__type"])
    described = kms_json(alice, endpoint, "DescribeKey", {"KeyId": key_id})
    assert json.loads(described.data)["KeyMetadata"]["Description"] == "key \U0001f511"


# ---------------------------------------------------------------- no partial writes

LOCKOUT_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Encrypt", "Resource": "*"}],
    }
)


@pytest.mark.parametrize(
    ("request_members", "code"),
    [
        ({"Description": "ok", "Tags": [{"TagKey": "team", "TagValue": "a"}, {"TagKey": "aws:x", "TagValue": "b"}]},
         "TagException"),
        ({"Description": "ok", "Tags": [{"TagKey": "team", "TagValue": "a"}, {"TagKey": "team", "TagValue": "b"}]},
         "TagException"),
        ({"Description": "ok", "Tags": [{"TagKey": "t" * 129, "TagValue": "a"}]}, "ValidationException"),
        ({"Description": "ok", "Policy": "{not json"}, "MalformedPolicyDocumentException"),
        ({"Description": "ok", "Policy": LOCKOUT_POLICY}, "MalformedPolicyDocumentException"),
        ({"Description": "ok", "KeySpec": "RSA_2048"}, "ValidationException"),
        ({"Description": "ok", "MultiRegion": True, "KeySpec": "HMAC_256", "KeyUsage": "ENCRYPT_DECRYPT"},
         "ValidationException"),
    ],
    ids=["reserved-tag", "duplicate-tag", "long-tag", "malformed-policy", "lockout-policy", "no-usage", "bad-usage"],
)  # fmt: skip
def test_a_failed_create_key_leaves_no_key_behind(kms, request_members, code):
    before = kms.list_keys(Limit=1000)["Keys"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_key(**request_members)
    assert raised.value.response["Error"]["Code"] == code
    assert kms.list_keys(Limit=1000)["Keys"] == before


# ---------------------------------------------------------------- arbitrary JSON


FUZZED_OPERATIONS = (
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateRandom",
    "CreateAlias",
    "TagResource",
    "ScheduleKeyDeletion",
    "CreateGrant",
    "PutKeyPolicy",
)
SLOW_ENUM_VALUES = frozenset({"RSA_3072", "RSA_4096"})  # key generation alone takes seconds
KMS_SHAPES = shapes.service_model("kms")["shapes"]


@pytest.fixture(scope="module")
def fuzz_target(django_db_setup, django_db_blocker, live_endpoint) -> tuple[Identity, str, list[str]]:
    """One identity, and names and blobs of its own for examples to use, so that fuzzed
    requests reach the operations' rules and not only "not found"."""
    with django_db_blocker.unblock():
        identity = identity_of(create_workspace(f"fuzz-{uuid.uuid4().hex[:12]}"), "A")
    metadata = json.loads(kms_json(identity, live_endpoint, "CreateKey", {}).data)["KeyMetadata"]
    kms_json(identity, live_endpoint, "CreateAlias", {"AliasName": "alias/fuzz", "TargetKeyId": metadata["KeyId"]})
    plaintext = base64.b64encode(b"fuzz").decode()
    encrypted = kms_json(identity, live_endpoint, "Encrypt", {"KeyId": metadata["KeyId"], "Plaintext": plaintext})
    blob = json.loads(encrypted.data)["CiphertextBlob"]
    return identity, live_endpoint, [metadata["KeyId"], metadata["Arn"], "alias/fuzz", "alias/aws/s3", blob]


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=12,
    )


def well_typed(shape_name: str, names: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON of the type the model declares for ``shape_name`` (values still arbitrary),
    so that requests get past decoding into validation and the operations."""
    shape = KMS_SHAPES[shape_name]
    kind = shape["type"]
    if kind == "structure":
        members = {name: well_typed(spec["shape"], names, depth + 1) for name, spec in shape["members"].items()}
        return st.fixed_dictionaries({}, optional=members) if depth < 3 else st.just({})
    if kind == "list":
        return st.lists(well_typed(shape["member"]["shape"], names, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=8), well_typed(shape["value"]["shape"], names, depth + 1), max_size=3)
    if kind == "string" and "enum" in shape:
        return st.sampled_from([value for value in shape["enum"] if value not in SLOW_ENUM_VALUES])
    if kind == "string":
        return st.sampled_from(names) | st.text(max_size=24)
    if kind == "blob":
        return st.sampled_from(names[-1:]) | st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode())
    if kind in ("integer", "long"):
        return st.integers(-10, 5000)
    if kind == "boolean":
        return st.booleans()
    return json_values()


@st.composite
def request_bodies(draw: st.DrawFn, names: list[str]) -> tuple[str, Any]:
    """An operation and a body for it: well typed, well typed but for one member, or any JSON."""
    operation = draw(st.sampled_from(FUZZED_OPERATIONS))
    typed = well_typed(shapes.input_shape_name("kms", operation), names)
    one_member_off = st.tuples(typed, st.text(max_size=12), json_values()).map(lambda t: {**t[0], t[1]: t[2]})
    return operation, draw(st.one_of(typed, one_member_off, json_values()))


@given(data=st.data())
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_it_answers_any_json_with_200_or_an_aws_shaped_4xx(fuzz_target, data):
    identity, endpoint, names = fuzz_target
    operation, payload = data.draw(request_bodies(names))
    response = kms_json(identity, endpoint, operation, payload)
    assert response.status == 200 or 400 <= response.status < 500, (operation, payload, response.data)
    if response.status != 200:
        assert_aws_error(response, json.loads(response.data)["__type"], status=response.status)
