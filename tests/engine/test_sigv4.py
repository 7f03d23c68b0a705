"""SigV4 verification (kmsconsole.engine.sigv4) against requests signed by botocore's own signer."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from kmsconsole.engine import sigv4
from kmsconsole.engine.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)
from kmsconsole.engine.sigv4 import SignedRequest

ACCESS_KEY = "AKIAKMSCONSOLETEST01"
SECRET = "s3cr3t/Key+ForTests0123456789abcdefGHIJ"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//+=="
SIGNED_AT = datetime(2026, 11, 29, 6, 15, 0, tzinfo=UTC)
AMZ_DATE = "20261129T061500Z"
KMS_URL = "https://kms.us-east-1.amazonaws.com/"
KMS_BODY = b'{"KeyId": "alias/demo", "Plaintext": "aGVsbG8gd29ybGQ="}'
KMS_HEADERS = {"X-Amz-Target": "TrentService.Encrypt", "Content-Type": "application/x-amz-json-1.1"}
MISMATCH = sigv4.SIGNATURE_MISMATCH


@pytest.fixture(autouse=True)
def frozen_signer_clock(monkeypatch):
    """botocore signs as of SIGNED_AT, so dates in messages are exact."""
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: SIGNED_AT.replace(tzinfo=None))


def sign(
    method="POST",
    url=KMS_URL,
    *,
    headers=None,
    body=b"",
    params=None,
    service="kms",
    region="us-east-1",
    token=None,
    presign_expires=None,
) -> SignedRequest:
    """Sign with botocore, then present the request as the server would receive it off the wire."""
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body, params=params or {})
    creds = Credentials(ACCESS_KEY, SECRET, token)
    if presign_expires is None:
        SigV4Auth(creds, service, region).add_auth(request)
    else:
        SigV4QueryAuth(creds, service, region, expires=presign_expires).add_auth(request)
    prepared = request.prepare()
    url_parts = urlsplit(prepared.url)
    wire_headers = dict(prepared.headers)
    wire_headers["Host"] = url_parts.netloc  # added by the HTTP client, signed by botocore from the URL
    wire_body = prepared.body or b""
    if isinstance(wire_body, str):
        wire_body = wire_body.encode()
    return SignedRequest(prepared.method, url_parts.path or "/", url_parts.query, wire_headers, wire_body)


def kms_request(**overrides) -> SignedRequest:
    kwargs = {"headers": KMS_HEADERS, "body": KMS_BODY} | overrides
    return sign(**kwargs)


def authenticate(request, *, services=("kms",), secret=SECRET, now=SIGNED_AT):
    credential = sigv4.parse_authorization(request)
    sigv4.check_scope(credential, request, expected_services=services, now=now)
    sigv4.verify_signature(request, credential, secret)
    return credential


def replace(request: SignedRequest, *, drop=(), **changes) -> SignedRequest:
    """A copy of ``request``: ``headers={...}`` merges over, ``drop`` removes, other fields replace."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in {d.lower() for d in drop}}
    for name, value in changes.pop("headers", {}).items():
        headers = {k: v for k, v in headers.items() if k.lower() != name.lower()} | {name: value}
    fields = {
        "method": request.method,
        "path": request.path,
        "query_string": request.query_string,
        "headers": headers,
        "body": request.body,
    }
    return SignedRequest(**(fields | changes))


def with_auth(request: SignedRequest, authorization: str) -> SignedRequest:
    return replace(request, headers={"Authorization": authorization})


def auth_header(request: SignedRequest) -> str:
    return request.lower_headers["authorization"]


def raises(cls, message, fn, *args, **kwargs):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    assert type(info.value) is cls
    assert info.value.message == message
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    return info.value


# Requests that verify.


def test_kms_json_post_verifies():
    credential = authenticate(kms_request())
    assert credential.access_key_id == ACCESS_KEY
    assert (credential.date, credential.region, credential.service) == ("20261129", "us-east-1", "kms")
    assert credential.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-target")
    assert len(credential.signature) == 64


def test_sts_form_post_verifies():
    request = sign(
        url="https://sts.amazonaws.com/",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"Action=GetCallerIdentity&Version=2011-06-15",
        service="sts",
    )
    assert authenticate(request, services=("sts", "iam")).service == "sts"


def test_session_token_is_signed_and_verifies():
    request = kms_request(token=TOKEN)
    credential = authenticate(request)
    assert "x-amz-security-token" in credential.signed_headers
    tampered = replace(request, headers={"X-Amz-Security-Token": TOKEN + "x"})
    raises(InvalidSignatureException, MISMATCH, authenticate, tampered)


def test_get_with_awkward_query_and_path_verifies():
    params = {"q x": "é ~+/&=", "a": "2", "empty": "", "tilde~": "%7E", "ünï": "😀"}
    request = sign("GET", "https://kms.us-east-1.amazonaws.com/a%20b/c~d/", params=params)
    assert "+" in request.query_string and "~" in request.query_string
    authenticate(request)


def test_non_default_port_and_lowercase_header_names_verify():
    request = kms_request(url="http://localhost:8000/")
    assert request.headers["Host"] == "localhost:8000"
    lowered = replace(request, headers={}, drop=list(request.headers))
    lowered = replace(lowered, headers={k.lower(): v for k, v in request.headers.items()})
    authenticate(lowered)


def test_date_header_instead_of_x_amz_date_verifies():
    request = kms_request(headers=KMS_HEADERS | {"Date": "placeholder"})
    assert "x-amz-date" not in request.lower_headers
    assert "date" in authenticate(request).signed_headers


def test_unsigned_header_may_change_but_signed_header_may_not():
    request = kms_request()
    authenticate(replace(request, headers={"User-Agent": "something-else/1.0"}))
    raises(
        InvalidSignatureException,
        MISMATCH,
        authenticate,
        replace(request, headers={"X-Amz-Target": "TrentService.Decrypt"}),
    )


def test_header_values_are_trimmed_and_inner_spaces_collapsed():
    request = kms_request(headers=KMS_HEADERS | {"X-Custom": "a   b  c"})
    authenticate(replace(request, headers={"X-Custom": "  a b     c "}))


def test_content_sha256_header():
    good = hashlib.sha256(KMS_BODY).hexdigest()
    authenticate(kms_request(headers=KMS_HEADERS | {"X-Amz-Content-SHA256": good}))
    unsigned = kms_request(headers=KMS_HEADERS | {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    authenticate(replace(unsigned, body=b'{"other": "body"}'))
    wrong = kms_request(headers=KMS_HEADERS | {"X-Amz-Content-SHA256": hashlib.sha256(b"x").hexdigest()})
    raises(InvalidSignatureException, sigv4.PAYLOAD_HASH_MISMATCH, authenticate, wrong)


def test_presigned_query_auth_verifies():
    request = sign(
        "GET",
        "https://sts.amazonaws.com/",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        service="sts",
        token=TOKEN,
        presign_expires=900,
    )
    assert "authorization" not in request.lower_headers
    authenticate(request, services=("sts",), now=SIGNED_AT + timedelta(minutes=14))
    raises(
        InvalidSignatureException,
        "Signature expired: 20261129T061500Z is now earlier than 20261129T061600Z (20261129T063100Z - 900 sec.)",
        authenticate,
        request,
        services=("sts",),
        now=SIGNED_AT + timedelta(minutes=16),
    )
    tampered = replace(request, query_string=request.query_string.replace("GetCallerIdentity", "GetSessionToken"))
    raises(InvalidSignatureException, MISMATCH, authenticate, tampered, services=("sts",))


def test_presigned_query_auth_missing_parameters():
    request = SignedRequest("GET", "/", "X-Amz-Credential=x&X-Amz-Signature=y", {"Host": "h"}, b"")
    raises(
        IncompleteSignatureException,
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
        sigv4.parse_authorization,
        request,
    )


def test_aws_documentation_example_vector():
    """The worked IAM ListUsers example from AWS's SigV4 documentation (independent of botocore)."""
    signature = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    request = SignedRequest(
        "GET",
        "/",
        "Action=ListUsers&Version=2010-05-08",
        {
            "Host": "iam.amazonaws.com",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Amz-Date": "20150830T123600Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
            f"SignedHeaders=content-type;host;x-amz-date, Signature={signature}",
        },
        b"",
    )
    authenticate(
        request,
        services=("iam",),
        secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    key = sigv4._signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("/", "/"),
        ("", "/"),
        ("/a%20b/c~d", "/a%2520b/c~d"),
        ("/a/./b/../c/", "/a/c/"),
        ("//a//b", "/a/b"),
        ("/..", "/"),
        ("/é", "/%C3%A9"),
    ],
)
def test_canonical_uri(raw, canonical):
    assert sigv4.canonical_uri(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", ""),
        ("b=2&a=1&a=0", "a=0&a=1&b=2"),
        ("x=%7E~&flag", "flag=&x=~~"),
        ("sp=a+b%20c&plus=%2B", "plus=%2B&sp=a%20b%20c"),
        ("k=%C3%A9&&=v", "=v&k=%C3%A9"),
        ("B=1&a=1", "B=1&a=1"),
    ],
)
def test_canonical_query_string(raw, canonical):
    assert sigv4.canonical_query_string(raw) == canonical


# Failures: exact class and message.


def test_missing_authorization():
    request = replace(kms_request(), drop=["Authorization"])
    raises(
        MissingAuthenticationTokenException,
        "Missing Authentication Token",
        sigv4.parse_authorization,
        request,
    )
    blank = with_auth(request, "   ")
    raises(MissingAuthenticationTokenException, "Missing Authentication Token", sigv4.parse_authorization, blank)


def test_garbage_authorization_lists_missing_parameters():
    request = with_auth(kms_request(), "garbage")
    raises(
        IncompleteSignatureException,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=garbage",
        sigv4.parse_authorization,
        request,
    )


def test_part_without_equal_sign():
    request = with_auth(kms_request(), "Bearer abc.def")
    raises(
        IncompleteSignatureException,
        "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'.",
        sigv4.parse_authorization,
        request,
    )


def test_missing_parts_lists_only_those_missing():
    request = kms_request()
    header = auth_header(request).split(", Signature=")[0]
    raises(
        IncompleteSignatureException,
        f"Authorization header requires 'Signature' parameter. Authorization={header}",
        sigv4.parse_authorization,
        with_auth(request, header),
    )
    algorithm, _, rest = auth_header(request).partition(" ")
    only_signature = f"{algorithm} {rest.split(', ')[2]}"
    raises(
        IncompleteSignatureException,
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        f"'SignedHeaders' parameter. Authorization={only_signature}",
        sigv4.parse_authorization,
        with_auth(request, only_signature),
    )


def test_unsupported_algorithm():
    request = kms_request()
    header = auth_header(request).replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", 1)
    raises(
        IncompleteSignatureException,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
        sigv4.parse_authorization,
        with_auth(request, header),
    )


def test_malformed_credential():
    request = kms_request()
    scope = f"{ACCESS_KEY}/20261129/us-east-1/kms/aws4_request"
    four = auth_header(request).replace(scope, f"{ACCESS_KEY}/20261129/us-east-1/aws4_request")
    raises(
        IncompleteSignatureException,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        f"got '{ACCESS_KEY}/20261129/us-east-1/aws4_request'",
        sigv4.parse_authorization,
        with_auth(request, four),
    )
    terminator = auth_header(request).replace("/aws4_request", "/aws4_reqest")
    raises(
        IncompleteSignatureException,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'.",
        sigv4.parse_authorization,
        with_auth(request, terminator),
    )


def test_missing_date():
    request = replace(kms_request(), drop=["X-Amz-Date"])
    raises(
        IncompleteSignatureException,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={auth_header(request)}",
        sigv4.parse_authorization,
        request,
    )
    garbage = with_auth(request, "garbage")
    raises(
        IncompleteSignatureException,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
        "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=garbage",
        sigv4.parse_authorization,
        garbage,
    )


@pytest.mark.parametrize("bad", ["2026-11-29T06:15:00Z", "20261129T061500", "20261399T061500Z", "yesterday"])
def test_unparseable_x_amz_date(bad):
    request = replace(kms_request(), headers={"X-Amz-Date": bad})
    credential = sigv4.parse_authorization(request)
    raises(
        IncompleteSignatureException,
        f"Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601",
        sigv4.check_scope,
        credential,
        request,
        expected_services=("kms",),
        now=SIGNED_AT,
    )


def test_unparseable_date_header():
    request = kms_request(headers=KMS_HEADERS | {"Date": "placeholder"})
    request = replace(request, headers={"Date": "not a date"})
    credential = sigv4.parse_authorization(request)
    raises(
        IncompleteSignatureException,
        "Date header must be in RFC 1123 format, e.g. 'Sun, 06 Nov 1994 08:49:37 GMT'. Got 'not a date'.",
        sigv4.check_scope,
        credential,
        request,
        expected_services=("kms",),
        now=SIGNED_AT,
    )


def test_tampered_body():
    raises(InvalidSignatureException, MISMATCH, authenticate, replace(kms_request(), body=KMS_BODY + b" "))


def test_wrong_secret():
    raises(InvalidSignatureException, MISMATCH, authenticate, kms_request(), secret=SECRET[:-1] + "X")


def test_tampered_signature_method_path_and_query():
    request = kms_request()
    raises(InvalidSignatureException, MISMATCH, authenticate, replace(request, method="PUT"))
    raises(InvalidSignatureException, MISMATCH, authenticate, replace(request, path="/other"))
    raises(InvalidSignatureException, MISMATCH, authenticate, replace(request, query_string="a=1"))
    signature = sigv4.parse_authorization(request).signature
    for bad in (signature.upper(), "0" * 64, "é" * 64, ""):
        raises(
            InvalidSignatureException,
            MISMATCH,
            authenticate,
            with_auth(request, auth_header(request).replace(signature, bad)),
        )


def test_expired_and_not_yet_current():
    request = kms_request()
    authenticate(request, now=SIGNED_AT + timedelta(minutes=5))
    authenticate(request, now=SIGNED_AT - timedelta(minutes=5))
    raises(
        InvalidSignatureException,
        "Signature expired: 20261129T061500Z is now earlier than 20261129T061600Z (20261129T062100Z - 5 min.)",
        authenticate,
        request,
        now=SIGNED_AT + timedelta(minutes=6, microseconds=250),
    )
    raises(
        InvalidSignatureException,
        "Signature not yet current: 20261129T061500Z is still later than 20261129T061400Z (20261129T060900Z + 5 min.)",
        authenticate,
        request,
        now=SIGNED_AT - timedelta(minutes=6),
    )


def test_naive_now_is_utc():
    authenticate(kms_request(), now=SIGNED_AT.replace(tzinfo=None))


def test_wrong_service():
    request = kms_request(service="sts")
    raises(
        InvalidSignatureException,
        "Credential should be scoped to correct service: 'kms'. ",
        authenticate,
        request,
        services=("kms",),
    )


@pytest.mark.parametrize("region", ["moon-1", "us-east-7", "US-EAST-1", "local", ""])
def test_invalid_region(region):
    raises(
        InvalidSignatureException,
        f"Credential should be scoped to a valid region, not '{region}'. ",
        authenticate,
        kms_request(region=region),
    )


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-7", "mx-central-1", "us-gov-west-1", "cn-north-1"])
def test_real_regions_accepted(region):
    assert authenticate(kms_request(region=region)).region == region


def test_aws_regions_table():
    assert len(sigv4.AWS_REGIONS) == 38
    assert {"us-east-1", "ap-east-2", "ca-west-1", "il-central-1", "cn-northwest-1"} <= sigv4.AWS_REGIONS


def test_scope_date_mismatch():
    request = kms_request()
    header = auth_header(request).replace("/20261129/", "/20261128/")
    raises(
        InvalidSignatureException,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20261128' != '20261129', from '20261129T061500Z'.",
        authenticate,
        with_auth(request, header),
    )


def test_host_must_be_signed():
    request = kms_request()
    header = auth_header(request).replace("content-type;host;x-amz-date", "content-type;x-amz-date")
    raises(
        InvalidSignatureException,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        authenticate,
        with_auth(request, header),
    )


def test_no_secret_or_body_in_reprs():
    request = kms_request(token=TOKEN)
    credential = sigv4.parse_authorization(request)
    for text in (repr(request), repr(credential)):
        assert SECRET not in text and TOKEN not in text and "aGVsbG8" not in text


def test_the_signing_key_is_derived_once_per_secret_day_region_and_service():
    request = kms_request()
    authenticate(request)
    hits = sigv4._signing_key.cache_info().hits
    authenticate(request)
    assert sigv4._signing_key.cache_info().hits == hits + 1
    fresh = SignedRequest(request.method, request.path, request.query_string, request.headers, request.body)
    authenticate(fresh)
    assert sigv4._signing_key.cache_info().hits == hits + 2
