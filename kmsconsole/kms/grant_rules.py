"""When a grant allows a request: its grantee, its operations and its constraints.

Grants add permissions without editing a policy, the way AWS services use a key for a
resource. An explicit Deny in a policy still wins; ``authz.decide`` asks here only when
no policy allowed the request.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from typing import Any

from kmsconsole.engine.errors import InvalidGrantTokenException
from kmsconsole.iam.callers import Caller

from .models import Grant, Key
from .request_context import encryption_context_for

_TOKEN_VERSION = b"\x01"
_TOKEN_NONCE_BYTES = 15
_TOKEN_BYTES = len(_TOKEN_VERSION) + 32 + _TOKEN_NONCE_BYTES

# Operations for which grant constraints are not evaluated (AWS: "ignored").
_UNCONSTRAINED = frozenset({"DescribeKey", "RetireGrant"})


@dataclass(frozen=True)
class GrantMatch:
    allows: bool
    grant_id: str = ""
    trace: list[dict[str, Any]] = field(default_factory=list)


def grant_token(grant_id: str) -> str:
    """A new nonsecret token naming ``grant_id``; every token of a grant is equivalent."""
    raw = _TOKEN_VERSION + bytes.fromhex(grant_id) + os.urandom(_TOKEN_NONCE_BYTES)
    return base64.urlsafe_b64encode(raw).decode("ascii")


def grant_id_from_token(token: str) -> str:
    """The grant id a token names, or InvalidGrantTokenException if it is not a token
    CreateGrant could have returned. Whether that grant still exists is the caller's
    question."""
    try:
        raw = base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if len(raw) != _TOKEN_BYTES or not raw.startswith(_TOKEN_VERSION):
        raise InvalidGrantTokenException("The grant token is not valid.")
    return raw[len(_TOKEN_VERSION) : len(_TOKEN_VERSION) + 32].hex()


def require_valid_grant_tokens(request: dict[str, Any]) -> None:
    """Every token in ``GrantTokens`` must be one CreateGrant could have issued. Grants
    here take effect at once, so a valid token adds nothing to the decision; a bad one
    is refused as AWS refuses it."""
    for token in request.get("GrantTokens") or ():
        grant_id_from_token(token)


def matching_grant(caller: Caller, action: str, key: Key, request: dict[str, Any]) -> GrantMatch:
    """The first grant on ``key`` that allows ``caller`` to perform ``action`` now."""
    operation = action.removeprefix("kms:")
    grantees = {caller.arn, caller.principal.arn}
    grants = list(Grant.objects.filter(key=key, grantee_principal__in=grantees).order_by("creation_date"))
    trace: list[dict[str, Any]] = []
    for grant in grants:
        reason = _why_not(grant, operation, encryption_context_for(action, request))
        trace.append({"source": f"grant {grant.grant_id}", "matched": reason is None, "reason": reason or "allows it"})
        if reason is None:
            return GrantMatch(True, grant.grant_id, trace)
    if not grants:
        trace.append({"source": "grants", "matched": False, "reason": f"no grant on the key names {caller.arn}"})
    return GrantMatch(False, "", trace)


def _why_not(grant: Grant, operation: str, context: dict[str, str] | None) -> str | None:
    if operation not in grant.operations:
        return f"the grant allows {', '.join(grant.operations)}, not {operation}"
    if operation in _UNCONSTRAINED or not grant.constraints:
        return None
    request_context = context or {}
    required = grant.constraints.get("EncryptionContextEquals")
    if required is not None and request_context != required:
        return f"EncryptionContextEquals {required} does not equal the request's context {request_context}"
    subset = grant.constraints.get("EncryptionContextSubset")
    if subset is not None and any(request_context.get(k) != v for k, v in subset.items()):
        return f"the request's context {request_context} does not include EncryptionContextSubset {subset}"
    return None
