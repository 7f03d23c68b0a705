"""AWS Signature Version 4 verification of an incoming request, written from the public SigV4 spec.

Pure Python (no Django). Call ``parse_authorization`` -> ``check_scope`` -> (look up the secret of
``credential.access_key_id``) -> ``verify_signature``. Failures raise ``AWSError`` subclasses with AWS's
own messages; no message or repr here contains a secret, a session token or the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cached_property, lru_cache
from urllib.parse import quote, unquote_plus, unquote_to_bytes

from kmsconsole.engine.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_SKEW = timedelta(minutes=5)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600  # seconds, as AWS allows for presigned URLs

# Commercial, GovCloud and China partitions, as of 2026.
AWS_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
    "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
    "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1",
    "me-central-1", "mx-central-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1", "cn-north-1",
    "cn-northwest-1",
})  # fmt: skip

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
PAYLOAD_HASH_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_DATE_MISSING = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
_QUERY_AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders")
_ISO_BASIC = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_ISO_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class SignedRequest:
    """An HTTP request as received. ``path`` and ``query_string`` are raw (still percent-encoded)."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str] = field(repr=False)  # may carry a session token
    body: bytes = field(repr=False)  # may carry plaintext

    @cached_property
    def lower_headers(self) -> dict[str, str]:
        """Header names lowercased; a name given twice in different cases is joined with ','."""
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            out[key] = f"{_trim(out[key])},{_trim(value)}" if key in out else value
        return out

    @cached_property
    def query_params(self) -> dict[str, str]:
        """Decoded query parameters (last occurrence wins); used for presigned query-string auth."""
        out: dict[str, str] = {}
        for pair in self.query_string.split("&"):
            if pair:
                name, _, value = pair.partition("=")
                out[unquote_plus(name)] = unquote_plus(value)
        return out

    @property
    def uses_query_auth(self) -> bool:
        if self.lower_headers.get("authorization", "").strip():
            return False
        return self.query_string != "" and any(p in self.query_params for p in _QUERY_AUTH_PARAMS)


@dataclass(frozen=True)
class Credential:
    """The parsed ``Credential=``, ``SignedHeaders=`` and ``Signature=`` values (no secret)."""

    access_key_id: str
    date: str  # YYYYMMDD
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def parse_authorization(request: SignedRequest) -> Credential:
    """Parse the Authorization header (or X-Amz-* query parameters) into a ``Credential``."""
    headers = request.lower_headers
    auth = headers.get("authorization", "").strip()
    if not auth:
        if request.uses_query_auth:
            return _parse_query_auth(request.query_params)
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    algorithm, _, rest = auth.partition(" ")
    params: dict[str, str] = {}
    for raw_part in rest.split(","):
        part = raw_part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise IncompleteSignatureException(
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
            )
        params[key.strip()] = value.strip()
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in params
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        problems.append(_DATE_MISSING)
    if problems:
        raise IncompleteSignatureException(f"{' '.join(problems)} Authorization={auth}")
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}'")
    return _credential(params["Credential"], params["SignedHeaders"], params["Signature"])


def _parse_query_auth(query: Mapping[str, str]) -> Credential:
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in (*_QUERY_AUTH_PARAMS, "X-Amz-Date")
        if name not in query
    ]
    if missing:
        raise IncompleteSignatureException(f"{' '.join(missing)} Re-examine the query-string parameters.")
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'")
    return _credential(query["X-Amz-Credential"], query["X-Amz-SignedHeaders"], query["X-Amz-Signature"])


def _credential(credential: str, signed_headers: str, signature: str) -> Credential:
    parts = credential.split("/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    key_id, date, region, service, terminator = parts
    if terminator != TERMINATOR:
        raise IncompleteSignatureException(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'."
        )
    names = tuple(n.strip().lower() for n in signed_headers.split(";") if n.strip())
    return Credential(key_id, date, region, service, names, signature)


def check_scope(
    credential: Credential,
    request: SignedRequest,
    *,
    expected_services: Collection[str],
    now: datetime,
) -> None:
    """Check the credential scope and the request time against ``now`` (real UTC time)."""
    amz_date, when, raw_date = _request_time(request)
    if credential.date != amz_date[:8]:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{credential.date}' != '{amz_date[:8]}', from '{raw_date}'."
        )
    if credential.region not in AWS_REGIONS:
        raise InvalidSignatureException(f"Credential should be scoped to a valid region, not '{credential.region}'. ")
    if credential.service not in expected_services:
        expected = next(iter(expected_services), "")
        raise InvalidSignatureException(f"Credential should be scoped to correct service: '{expected}'. ")
    if "host" not in credential.signed_headers:
        raise InvalidSignatureException(HOST_NOT_SIGNED)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    window, label = MAX_SKEW, "5 min."
    if request.uses_query_auth and "X-Amz-Expires" in request.query_params:
        raw = request.query_params["X-Amz-Expires"]
        if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_PRESIGN_EXPIRES):
            raise IncompleteSignatureException(
                f"X-Amz-Expires must be whole seconds from 0 to {MAX_PRESIGN_EXPIRES}, got '{raw}'."
            )
        seconds = int(raw)
        window, label = timedelta(seconds=seconds), f"{seconds} sec."
    if when < now - window:
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {_fmt(now - window)} ({_fmt(now)} - {label})"
        )
    if when > now + MAX_SKEW:
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than {_fmt(now + MAX_SKEW)} ({_fmt(now)} + 5 min.)"
        )


def verify_signature(request: SignedRequest, credential: Credential, secret_access_key: str) -> None:
    """Recompute the signature with ``secret_access_key``; raise unless it equals the one sent."""
    amz_date = _request_time(request)[0]
    query_auth = request.uses_query_auth
    headers = request.lower_headers
    names = credential.signed_headers
    canonical_request = "\n".join(
        (
            request.method,
            canonical_uri(request.path),
            canonical_query_string(request.query_string, exclude_signature=query_auth),
            *(f"{name}:{_trim(headers.get(name, ''))}" for name in names),
            "",
            ";".join(names),
            _payload_hash(headers, request.body),
        )
    )
    string_to_sign = "\n".join(
        (
            ALGORITHM,
            amz_date,
            credential.scope,
            hashlib.sha256(canonical_request.encode("utf-8", "replace")).hexdigest(),
        )
    )
    key = _signing_key(secret_access_key, credential.date, credential.region, credential.service)
    expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex().encode()
    if not hmac.compare_digest(expected, credential.signature.encode("utf-8", "replace")):
        raise InvalidSignatureException(SIGNATURE_MISMATCH)


def canonical_uri(path: str) -> str:
    """Normalise the raw path (drop empty, '.' and '..' segments) and URI-encode each segment once."""
    if path == "/":
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            del segments[-1:]
        elif segment not in ("", "."):
            segments.append(quote(segment, safe=""))
    return "/" + "/".join(segments) + ("/" if segments and path.endswith("/") else "")


def canonical_query_string(query_string: str, *, exclude_signature: bool = False) -> str:
    """Decode each name and value, re-encode per RFC 3986 (``~`` unreserved), sort by name then value."""
    if not query_string:
        return ""
    pairs = []
    for pair in query_string.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name, value = _rfc3986(name), _rfc3986(value)
        if not (exclude_signature and name == "X-Amz-Signature"):
            pairs.append((name, value))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _rfc3986(raw: str) -> str:
    # '+' on the wire is a form-encoded space (what clients send for params); a literal '+' is '%2B'.
    return quote(unquote_to_bytes(raw.replace("+", " ")), safe="-_.~")


def _trim(value: str) -> str:
    return " ".join(value.split())


def _payload_hash(headers: Mapping[str, str], body: bytes) -> str:
    declared = headers.get("x-amz-content-sha256", "").strip()
    if declared == UNSIGNED_PAYLOAD:
        return declared
    actual = hashlib.sha256(body).hexdigest()
    if declared and declared.lower() != actual:
        raise InvalidSignatureException(PAYLOAD_HASH_MISMATCH)
    return declared or actual


@lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.digest(f"AWS4{secret}".encode(), date.encode(), "sha256")
    for part in (region, service, TERMINATOR):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _fmt(when: datetime) -> str:
    return when.strftime(_ISO_FORMAT)


def _request_time(request: SignedRequest) -> tuple[str, datetime, str]:
    """(ISO-8601 basic timestamp, aware UTC datetime, value as sent) from X-Amz-Date, else Date."""
    if request.uses_query_auth:
        raw = request.query_params.get("X-Amz-Date")
    else:
        raw = request.lower_headers.get("x-amz-date")
    if raw is not None:
        raw = raw.strip()
        try:
            if not _ISO_BASIC.fullmatch(raw):
                raise ValueError(raw)
            when = datetime(
                int(raw[0:4]), int(raw[4:6]), int(raw[6:8]),
                int(raw[9:11]), int(raw[11:13]), int(raw[13:15]), tzinfo=UTC,
            )  # fmt: skip
        except ValueError:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ) from None
        return raw, when, raw
    raw = request.lower_headers.get("date")
    if raw is None:
        auth = request.lower_headers.get("authorization", "").strip()
        raise IncompleteSignatureException(f"{_DATE_MISSING} Authorization={auth}")
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        raise IncompleteSignatureException(
            f"Date header must be in RFC 1123 format, e.g. 'Sun, 06 Nov 1994 08:49:37 GMT'. Got '{raw}'."
        ) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return _fmt(when), when, raw
