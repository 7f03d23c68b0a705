"""Authorization of KMS requests as AWS evaluates it, with a trace a learner can read.

``decide`` combines the key policy, the caller's identity policies and the key's grants:
an explicit Deny anywhere wins; the key policy must allow, either naming the caller (which
suffices in the key's own account) or naming the caller's account root, which delegates
to the account's IAM policies; across accounts both the key policy and the caller's own
identity policies must allow, and only for the operations AWS permits across accounts;
a grant allows its operations to its grantee within its constraints. Every decision
carries a trace of each statement and grant considered, stored with the audit event.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.errors import AccessDeniedException
from kmsconsole.engine.policy import Policy, PolicyResult, RequestContext, evaluate_policy, parse_policy
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.identity_policies import identity_policies_of
from kmsconsole.iam.models import Principal, PrincipalType

from .grant_rules import matching_grant
from .models import Key
from .request_context import request_context

# Operations a principal of another account may be allowed to perform on a key.
CROSS_ACCOUNT_ACTIONS = frozenset(
    f"kms:{name}"
    for name in (
        "Encrypt",
        "Decrypt",
        "ReEncryptFrom",
        "ReEncryptTo",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "CreateGrant",
        "DescribeKey",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "RetireGrant",
        "RevokeGrant",
    )
)

_NO_RESOURCE_POLICY = "because no resource-based policy allows the {action} action"
_NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
_DENY_IN_RESOURCE_POLICY = "with an explicit deny in a resource-based policy"
_DENY_IN_IDENTITY_POLICY = "with an explicit deny in an identity-based policy"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    resource: str
    caller_arn: str
    reason: str
    trace: list[dict[str, Any]] = field(default_factory=list)

    def enforce(self) -> None:
        """Raise AWS's AccessDeniedException if the decision is a denial."""
        if not self.allowed:
            raise AccessDeniedException(
                f"User: {self.caller_arn} is not authorized to perform: {self.action} "
                f"on resource: {self.resource} {self.reason}"
            )


@dataclass(frozen=True)
class IdentityOutcome:
    """What the caller's own identity policies say about the request."""

    allows: bool
    explicit_deny: bool
    trace: list[dict[str, Any]]


def decide(caller: Caller, action: str, key: Key | None = None) -> Decision:
    """Decide whether ``caller`` may perform ``action`` (``kms:Encrypt``) on ``key`` (None
    for account-level actions such as CreateKey), and note the trace on the audit event.

    The request's own values (encryption context, algorithms, grant tokens) come from the
    call in progress, so the decision sees exactly what the operation received."""
    draft = current_draft()
    policies = identity_policies(caller.principal)
    key_policy = parse_policy(key.policy, kind="key") if key is not None else None
    context = request_context(
        caller,
        action,
        key,
        draft.request,
        requested_alias=draft.requested_alias,
        with_tags_and_aliases=_tests_key_relations(key_policy, policies),
    )
    identity = evaluate_identity(caller, policies, context)
    if key is None or key_policy is None:
        decision = _account_level(caller, action, identity)
    else:
        decision = _key_level(caller, action, key, key_policy, context, identity, draft.request)
    draft.trace = decision.trace
    return decision


def _account_level(caller: Caller, action: str, identity: IdentityOutcome) -> Decision:
    if identity.explicit_deny:
        return _deny(caller, action, "*", _DENY_IN_IDENTITY_POLICY, identity.trace)
    if identity.allows:
        return _allow(caller, action, "*", "an identity-based policy allows it", identity.trace)
    return _deny(caller, action, "*", _NO_IDENTITY_POLICY.format(action=action), identity.trace)


def _key_level(
    caller: Caller,
    action: str,
    key: Key,
    key_policy: Policy,
    context: RequestContext,
    identity: IdentityOutcome,
    request: dict[str, Any],
) -> Decision:
    key_result = evaluate_policy(key_policy, context, source="key policy")
    trace = [*key_result.trace, *identity.trace]
    if key_result.explicit_deny:
        return _deny(caller, action, key.arn, _DENY_IN_RESOURCE_POLICY, trace)
    if identity.explicit_deny:
        return _deny(caller, action, key.arn, _DENY_IN_IDENTITY_POLICY, trace)
    same_account = key.account_id == caller.account.pk
    if not same_account and action not in CROSS_ACCOUNT_ACTIONS:
        trace.append(_note(f"{action} cannot be allowed to a principal of another account."))
        return _deny(caller, action, key.arn, _NO_RESOURCE_POLICY.format(action=action), trace)
    if same_account and key_result.allows_directly:
        return _allow(caller, action, key.arn, "the key policy allows the caller", trace)
    if key_result.allows and identity.allows:
        why = "the key policy delegates to IAM and an identity-based policy allows it"
        if not same_account:
            why = "the key policy allows the caller's account and the caller's identity-based policy allows it"
        return _allow(caller, action, key.arn, why, trace)
    grant = matching_grant(caller, action, key, request)
    trace.extend(grant.trace)
    if grant.allows:
        return _allow(caller, action, key.arn, f"grant {grant.grant_id} allows it", trace)
    reason = _NO_IDENTITY_POLICY if key_result.allows else _NO_RESOURCE_POLICY
    trace.append(_note(_explain_denial(caller, action, key_result, identity, same_account)))
    return _deny(caller, action, key.arn, reason.format(action=action), trace)


def _explain_denial(
    caller: Caller, action: str, key_result: PolicyResult, identity: IdentityOutcome, same_account: bool
) -> str:
    """The denial in plain words, naming the side that is missing."""
    key_side = (
        "the key policy allows it"
        if key_result.allows_directly
        else "the key policy delegates it to IAM"
        if key_result.allows
        else f"the key policy has no statement that allows {caller.arn} to call {action}"
    )
    identity_side = "an identity-based policy allows it" if identity.allows else "no identity-based policy allows it"
    if same_account:
        if key_result.allows:
            return f"{key_side}, but {identity_side}; with delegation the identity policy must allow too."
        return f"{key_side} (and no grant does); identity policies count only if the key policy delegates to IAM."
    return f"{key_side}; {identity_side}; a cross-account call needs both."


def may_put_key_policy(caller: Caller, policy: Policy, key_arn: str) -> bool:
    """The lockout safety check: would ``policy`` still let ``caller`` call PutKeyPolicy?
    Either the policy names the caller, or it delegates to the caller's account and the
    caller's identity policies allow kms:PutKeyPolicy."""
    draft = current_draft()
    context = replace(request_context(caller, "kms:PutKeyPolicy", None, draft.request), resource=key_arn)
    result = evaluate_policy(policy, context, source="new key policy")
    if result.explicit_deny:
        return False
    if result.allows_directly:
        return True
    identity = evaluate_identity(caller, identity_policies(caller.principal), context)
    return result.allows and identity.allows and not identity.explicit_deny


def evaluate_identity(caller: Caller, policies: list[tuple[str, Policy]], context: RequestContext) -> IdentityOutcome:
    """The caller's identity policies. The account root user is not governed by identity
    policies: within its own account IAM allows it everything."""
    if caller.principal.kind == PrincipalType.ROOT:
        note = _note("The account root user is allowed everything by IAM in its own account.")
        return IdentityOutcome(True, False, [note])
    trace: list[dict[str, Any]] = []
    allows = explicit_deny = False
    for source, policy in policies:
        result = evaluate_policy(policy, context, source=source)
        trace.extend(result.trace)
        allows = allows or result.allows
        explicit_deny = explicit_deny or result.explicit_deny
    if not policies:
        trace.append(_note(f"{caller.arn} has no identity-based policies."))
    return IdentityOutcome(allows, explicit_deny, trace)


def identity_policies(principal: Principal) -> list[tuple[str, Policy]]:
    """The parsed identity policies of ``principal``, cached per process by the
    principal's unique id (never reused, unlike a database id) and its policy revision,
    which every policy change bumps."""
    return list(_identity_policies(principal.unique_id, principal.policy_revision))


@functools.lru_cache(maxsize=4096)
def _identity_policies(unique_id: str, revision: int) -> tuple[tuple[str, Policy], ...]:
    principal = Principal.objects.get(unique_id=unique_id)
    return tuple(
        (named.source, parse_policy(named.document, kind="identity")) for named in identity_policies_of(principal)
    )


def _tests_key_relations(key_policy: Policy | None, policies: list[tuple[str, Policy]]) -> bool:
    """Whether any policy tests the key's tags or aliases (worth a query to read them)."""
    candidates = [p for p in (key_policy,) if p is not None] + [p for _, p in policies]
    return any(policy.tests_condition_keys(("aws:resourcetag/", "kms:resourcealiases")) for policy in candidates)


def _note(text: str) -> dict[str, Any]:
    return {"source": "decision", "matched": None, "reason": text}


def _allow(caller: Caller, action: str, resource: str, why: str, trace: list[dict[str, Any]]) -> Decision:
    """An allowed request keeps only what allowed it: the statements and grant that
    matched. A denial keeps every statement considered, which is what explaining it needs;
    storing all twenty statements of a large policy with every Encrypt would cost more
    than evaluating them."""
    summary = {"source": "decision", "allowed": True, "action": action, "resource": resource, "reason": why}
    deciding = [step for step in trace if step.get("matched") or step.get("source") == "decision"]
    return Decision(True, action, resource, caller.arn, why, [summary, *deciding])


def _deny(caller: Caller, action: str, resource: str, reason: str, trace: list[dict[str, Any]]) -> Decision:
    summary = {"source": "decision", "allowed": False, "action": action, "resource": resource, "reason": reason}
    return Decision(False, action, resource, caller.arn, reason, [summary, *trace])
