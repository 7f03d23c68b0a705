"""Role sessions: the temporary credentials AssumeRole issues, and their check on every
later request signed with them.

A session is an ``ASIA...`` access key row of the role with a session name, an expiry on
the workspace clock and the SHA-256 hash of its session token (see ``AccessKey``). The
token itself is returned once, by ``assume_role``; afterwards a request proves it holds
the token by sending it in ``X-Amz-Security-Token``, which ``check_session`` compares.

Who may assume a role is decided as AWS decides it (IAM User Guide, "Cross-account policy
evaluation logic" and the AssumeRole API reference): the role's trust policy must allow
the caller, and the caller's own identity policies must allow ``sts:AssumeRole`` unless the
trust policy names the caller itself in the caller's own account (a resource-based policy
that names a principal of its own account needs no identity policy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from kmsconsole import rootkey
from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine import shapes
from kmsconsole.engine.errors import (
    AccessDenied,
    ExpiredTokenException,
    UnrecognizedClientException,
    ValidationError,
)
from kmsconsole.engine.policy import RequestContext, StatementResult, evaluate_policy
from kmsconsole.kms import authz
from kmsconsole.kms.request_context import request_context

from .callers import Caller
from .identities import role_by_arn
from .identity_policies import parse_document
from .models import AccessKey, Principal, new_unique_id
from .provisioning import access_key_purpose

ASSUME_ROLE = "sts:AssumeRole"
DEFAULT_DURATION_SECONDS = 3600
ROLE_CHAINING_MAX_SECONDS = 3600
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True)
class IssuedSession:
    """AssumeRole's answer: credentials shown once, and who they make the bearer."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    assumed_role_id: str
    assumed_role_arn: str


@dataclass(frozen=True)
class TrustDecision:
    """The trust policy's verdict. ``names_caller``: an applying Allow names the caller
    itself (or ``*``), not only the caller's account."""

    allowed: bool
    names_caller: bool
    trace: list[dict[str, Any]]


def assume_role(
    caller: Caller,
    role_arn: str,
    session_name: str,
    duration_seconds: int = DEFAULT_DURATION_SECONDS,
    *,
    external_id: str | None = None,
) -> IssuedSession:
    """Issue temporary credentials for the role ``role_arn`` to ``caller``.

    A role that does not exist, lives in another workspace or may not be assumed all get
    the same AccessDenied, as AWS does not reveal which roles exist. The trace of the
    trust policy and of the caller's identity policies goes to the audit event.
    """
    shapes.validate_input(
        "sts",
        "AssumeRole",
        {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": duration_seconds},
    )
    draft = current_draft()
    denied = AccessDenied(f"User: {caller.arn} is not authorized to perform: {ASSUME_ROLE} on resource: {role_arn}")
    role = role_by_arn(caller.workspace, role_arn)
    if role is None:
        draft.trace = [{"source": "trust policy", "matched": False, "reason": f"There is no role {role_arn}."}]
        raise denied
    context = assume_role_context(caller, role, session_name=session_name, external_id=external_id)
    trust = trust_decision(role, context)
    identity = authz.evaluate_identity(caller, authz.identity_policies(caller.principal), context)
    draft.trace = trust.trace + identity.trace
    if not _may_assume(caller, role, trust, identity):
        raise denied
    _check_duration(caller, role, duration_seconds)
    return _issue(role, session_name, now=caller.now, duration=timedelta(seconds=duration_seconds))


def _may_assume(caller: Caller, role: Principal, trust: TrustDecision, identity: authz.IdentityOutcome) -> bool:
    """An explicit deny anywhere wins; the trust policy must allow; the caller's identity
    policies must allow too, unless the trust policy names the caller in its own account."""
    if identity.explicit_deny or not trust.allowed:
        return False
    return identity.allows or (trust.names_caller and role.account_id == caller.account.pk)


def _check_duration(caller: Caller, role: Principal, duration_seconds: int) -> None:
    if caller.session is not None and duration_seconds > ROLE_CHAINING_MAX_SECONDS:
        raise ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    if duration_seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


def assume_role_context(
    caller: Caller, role: Principal, *, session_name: str, external_id: str | None = None
) -> RequestContext:
    """The request as both the trust policy and the caller's identity policies see it:
    the caller's condition keys, the role as resource, and STS's own keys."""
    base = request_context(caller, ASSUME_ROLE, None, {})
    values: dict[str, Any] = {**base.condition_values, "sts:RoleSessionName": session_name}
    if external_id is not None:
        values["sts:ExternalId"] = external_id
    return replace(base, resource=role.arn, condition_values=values)


def trust_decision(role: Principal, context: RequestContext) -> TrustDecision:
    """Evaluate ``role``'s trust policy for the request. Explicit deny wins.

    A trust policy names no Resource (its resource is the role it belongs to), so a
    statement applies when its principal, action and conditions match.
    """
    policy = parse_document(role.trust_policy, "trust")
    result = evaluate_policy(policy, context, source="trust policy")
    applying = [r for r in result.statements if r.principal_matched and r.action_matched and r.conditions_matched]
    allowing = [r for r in applying if r.statement.effect == "Allow"]
    denied = any(r.statement.effect == "Deny" for r in applying)
    return TrustDecision(
        allowed=bool(allowing) and not denied,
        names_caller=any(not r.through_account for r in allowing),
        trace=[_trace_entry(r, applies=r in applying, caller_arn=context.principal_arn) for r in result.statements],
    )


def _trace_entry(result: StatementResult, *, applies: bool, caller_arn: str) -> dict[str, Any]:
    entry = result.as_trace()
    entry["matched"] = applies
    if applies:
        verb = "Allows" if result.statement.effect == "Allow" else "Denies"
        entry["reason"] = f"{verb} {ASSUME_ROLE} for {caller_arn}"
        if result.through_account and result.statement.effect == "Allow":
            entry["reason"] += " through its account principal: its own IAM policies must allow it too"
    return entry


def _issue(role: Principal, session_name: str, *, now: datetime, duration: timedelta) -> IssuedSession:
    access_key_id = new_unique_id("ASIA", length=20)
    secret = base64.b64encode(secrets.token_bytes(30)).decode()
    token = base64.b64encode(secrets.token_bytes(192)).decode()
    session = AccessKey.objects.create(
        principal=role,
        access_key_id=access_key_id,
        secret_wrapped=rootkey.seal(secret.encode(), purpose=access_key_purpose(access_key_id)),
        created_at=now,
        session_name=session_name,
        session_token_hash=token_hash(token),
        expires_at=now + duration,
    )
    return IssuedSession(
        access_key_id=access_key_id,
        secret_access_key=secret,
        session_token=token,
        expiration=now + duration,
        assumed_role_id=session.assumed_role_id,
        assumed_role_arn=session.assumed_role_arn,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_session(access_key: AccessKey, presented_token: str | None, now: datetime) -> AccessKey | None:
    """Check the session token a request presented for the key that signed it.

    Call it right after the signature is verified, with the value of the
    ``X-Amz-Security-Token`` header (or query parameter) and the key's workspace clock.
    Returns the key when it is a role session's, to pass as ``Caller(session=...)``, and
    None for a long-term key. A session key without its token, or with a wrong one, and a
    long-term key with a token are ``UnrecognizedClientException``; an expired session is
    ``ExpiredTokenException``, as AWS answers.
    """
    if not access_key.is_session:
        if presented_token:
            raise UnrecognizedClientException(INVALID_TOKEN)
        return None
    expected = access_key.session_token_hash or ""
    if not presented_token or not hmac.compare_digest(token_hash(presented_token), expected):
        raise UnrecognizedClientException(INVALID_TOKEN)
    if access_key.expires_at is None or now >= access_key.expires_at:
        raise ExpiredTokenException(EXPIRED_TOKEN)
    return access_key
