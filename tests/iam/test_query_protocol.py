"""The Query protocol codec (pure decode/encode) and ``dispatch_query`` called directly
with requests signed by botocore, independent of how the endpoint routes to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.test import RequestFactory
from support import Identity

from kmsconsole.api import query_protocol
from kmsconsole.api.query_dispatch import dispatch_query
from kmsconsole.engine.errors import NoSuchEntity, UnrecognizedClientException

IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"


def test_it_decodes_members_lists_and_nested_structures():
    form = {
        "Action": "CreateRole",
        "Version": "2010-05-08",
        "RoleName": "R",
        "AssumeRolePolicyDocument": "{}",
        "MaxSessionDuration": "7200",
        "Tags.member.1.Key": "team",
        "Tags.member.1.Value": "blue",
        "Tags.member.2.Key": "env",
        "Tags.member.2.Value": "",
    }
    assert query_protocol.decode_input("iam", "CreateRole", form) == {
        "RoleName": "R",
        "AssumeRolePolicyDocument": "{}",
        "MaxSessionDuration": 7200,
        "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": ""}],
    }


def test_an_empty_list_is_sent_as_an_empty_value():
    decoded = query_protocol.decode_input("sts", "AssumeRole", {"RoleArn": "a", "TransitiveTagKeys": ""})
    assert decoded == {"RoleArn": "a", "TransitiveTagKeys": []}


def test_a_malformed_number_is_a_validation_error():
    with pytest.raises(query_protocol.ValidationError):
        query_protocol.decode_input("sts", "AssumeRole", {"DurationSeconds": "soon"})


def test_it_encodes_results_as_aws_xml():
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    payload = {
        "Role": {"RoleName": "R", "CreateDate": created, "AssumeRolePolicyDocument": '{"a": 1}', "Tags": []},
    }
    response = query_protocol.success("iam", "GetRole", payload, "req-1")
    root = ElementTree.fromstring(response.content)
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    assert root.tag == f"{IAM_NS}GetRoleResponse"
    role = root.find(f"{IAM_NS}GetRoleResult/{IAM_NS}Role")
    assert role is not None
    assert role.findtext(f"{IAM_NS}CreateDate") == "2026-01-02T03:04:05.000Z"
    assert role.findtext(f"{IAM_NS}AssumeRolePolicyDocument") == "%7B%22a%22%3A%201%7D"
    assert root.findtext(f"{IAM_NS}ResponseMetadata/{IAM_NS}RequestId") == "req-1"


def test_it_encodes_list_items_as_members():
    response = query_protocol.success("iam", "ListRolePolicies", {"PolicyNames": ["a", "b"], "IsTruncated": False}, "r")
    result = ElementTree.fromstring(response.content).find(f"{IAM_NS}ListRolePoliciesResult")
    assert result is not None
    assert [m.text for m in result.iter(f"{IAM_NS}member")] == ["a", "b"]
    assert result.findtext(f"{IAM_NS}IsTruncated") == "false"


def test_it_encodes_errors_with_the_query_code_and_status():
    response = query_protocol.error("iam", NoSuchEntity("The user with name x cannot be found."), "r")
    root = ElementTree.fromstring(response.content)
    assert response.status_code == 404
    assert root.findtext(f"{IAM_NS}Error/{IAM_NS}Type") == "Sender"
    assert root.findtext(f"{IAM_NS}Error/{IAM_NS}Code") == "NoSuchEntity"
    assert root.findtext(f"{IAM_NS}RequestId") == "r"
    renamed = query_protocol.error("sts", UnrecognizedClientException("bad"), "r")
    assert renamed.status_code == 403
    assert ElementTree.fromstring(renamed.content).findtext(f"{STS_NS}Error/{STS_NS}Code") == "InvalidClientTokenId"


def signed(identity: Identity, service: str, form: dict[str, str], *, secret: str | None = None) -> object:
    """A Django request for ``form``, signed by botocore as ``identity`` for ``service``."""
    body = urlencode(form)
    aws_request = AWSRequest(
        method="POST",
        url="http://kmsconsole.test/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    credentials = Credentials(identity.access_key_id, secret or identity.secret_access_key)
    SigV4Auth(credentials, service, "us-east-1").add_auth(aws_request)
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in aws_request.headers.items()}
    headers.pop("HTTP_CONTENT_TYPE")
    return RequestFactory().post(
        "/",
        data=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        HTTP_HOST="kmsconsole.test",  # the host botocore signed
        **headers,
    )


def test_dispatch_answers_an_sts_call_signed_for_sts(alice, orm):
    request = signed(alice, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    response = dispatch_query(request, str(uuid.uuid4()))
    root = ElementTree.fromstring(response.content)
    assert response.status_code == 200
    assert root.findtext(f"{STS_NS}GetCallerIdentityResult/{STS_NS}Arn") == alice.arn


def test_dispatch_routes_by_the_signing_scope(alice, orm):
    request = signed(alice, "iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": "scoped"})
    response = dispatch_query(request, "r")
    user = ElementTree.fromstring(response.content).find(f"{IAM_NS}CreateUserResult/{IAM_NS}User")
    assert user is not None and user.findtext(f"{IAM_NS}UserName") == "scoped"


def test_dispatch_refuses_an_unknown_action(alice, orm):
    response = dispatch_query(signed(alice, "sts", {"Action": "Fly", "Version": "2011-06-15"}), "r")
    root = ElementTree.fromstring(response.content)
    assert response.status_code == 400
    assert root.findtext(f"{STS_NS}Error/{STS_NS}Code") == "InvalidAction"
    assert root.findtext(f"{STS_NS}Error/{STS_NS}Message") == "Could not find operation Fly for version 2011-06-15"


def test_dispatch_answers_a_bad_signature_in_the_query_dialect(alice, orm):
    request = signed(alice, "iam", {"Action": "ListUsers", "Version": "2010-05-08"}, secret="wrong" * 8)
    response = dispatch_query(request, "r")
    assert response.status_code == 403
    assert ElementTree.fromstring(response.content).findtext(f"{IAM_NS}Error/{IAM_NS}Code") == "SignatureDoesNotMatch"
