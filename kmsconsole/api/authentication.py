"""Turn a SigV4-signed HTTP request into a ``Caller``, or an AWS authentication error."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from django.http import HttpRequest

from kmsconsole import rootkey
from kmsconsole.engine import sigv4
from kmsconsole.engine.errors import UnrecognizedClientException
from kmsconsole.fastpath import fetch_chain
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKey, AccessKeyStatus, Account, Principal, Workspace
from kmsconsole.iam.provisioning import access_key_purpose
from kmsconsole.iam.sessions import check_session

INVALID_TOKEN = "The security token included in the request is invalid."


def signed_request(request: HttpRequest) -> sigv4.SignedRequest:
    return sigv4.SignedRequest(
        method=request.method or "POST",
        path=_raw_path(request),
        query_string=request.META.get("QUERY_STRING", ""),
        headers=request.headers,
        body=request.body,
    )


def _raw_path(request: HttpRequest) -> str:
    """The path as the client sent it (still percent-encoded), which SigV4 signs."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        return urlsplit(raw).path or "/"
    return quote(request.path)


def authenticate(request: HttpRequest, *, services: Collection[str]) -> Caller:
    """Verify the request's signature and scope; return who signed it and for which region."""
    signed = signed_request(request)
    credential = sigv4.parse_authorization(signed)
    sigv4.check_scope(credential, signed, expected_services=services, now=datetime.now(UTC))
    access_key = fetch_chain(
        [AccessKey, Principal, Account, Workspace],
        ["principal", "account", "workspace"],
        "access_key_id,status",
        [credential.access_key_id, AccessKeyStatus.ACTIVE],
    )
    if not isinstance(access_key, AccessKey):
        raise UnrecognizedClientException(INVALID_TOKEN)
    secret = rootkey.unseal(bytes(access_key.secret_wrapped), purpose=access_key_purpose(access_key.access_key_id))
    sigv4.verify_signature(signed, credential, secret.decode())
    token = request.headers.get("X-Amz-Security-Token") or signed.query_params.get("X-Amz-Security-Token")
    session = check_session(access_key, token, access_key.principal.account.workspace.now())
    return Caller(
        session=session,
        principal=access_key.principal,
        region=credential.region,
        access_key_id=access_key.access_key_id,
        source_ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.headers.get("User-Agent", "")[:512],
    )
