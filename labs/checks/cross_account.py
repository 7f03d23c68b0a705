"""Checks for the cross-account lab: both sides of the handshake, read from the state of
each account and from the audit trail.

Side B (the consumer) is the role's trust policy and identity policy; side A (the key
owner) is the key policy. Policies are judged by the same evaluator the API uses, for a
session of the role, so "allows" here means what it means for a real call.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from kmsconsole.engine.policy import RequestContext, evaluate_policy
from kmsconsole.iam.sessions import assume_role_context, trust_decision
from kmsconsole.kms import authz
from kmsconsole.kms.request_context import request_context

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters

# The guide's AllowCrossAccountUse statement, as actions a caller would be checked for.
SHARED_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
# Actions the key's account must keep to itself.
ADMINISTRATIVE_ACTIONS = ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey")
ONE_SIDED_NOTE = "a cross-account call needs both"


@check("assume_role_refused")
def assume_role_refused(ctx: CheckContext, role: str) -> CheckResult:
    """Someone tried to assume the role while its trust policy trusted only a service."""
    role_arn = ctx.role_arn(role)
    attempts = ctx.events(event_name="AssumeRole", error_code="AccessDenied")
    refused = [event for event in attempts if request_parameters(event).get("roleArn") == role_arn]
    if refused:
        return passed(f"{describe_event(refused[0])}: the trust policy did not let a person assume {role_arn}.")
    if ctx.events(event_name="AssumeRole", succeeded=True).exists():
        return not_yet(
            "You assumed the role without first seeing the guide's trust policy refuse you. That is fine on a "
            "real account, but this step is about that error: reset the lab to see it."
        )
    return not_yet(f"Run aws sts assume-role --role-arn {role_arn} in terminal B and read the AccessDenied error.")


@check("role_trusts_account")
def role_trusts_account(ctx: CheckContext, role: str, account: str) -> CheckResult:
    """The role's trust policy lets the administrator of ``account`` assume it."""
    principal = ctx.principal(role)
    admin = ctx.caller(account, "admin")
    decision = trust_decision(principal, assume_role_context(admin, principal, session_name="lab-check"))
    if decision.allowed:
        return passed(f"The trust policy of {principal.arn} now lets principals of account {account} assume it.")
    services = _trusted_services(principal.trust_policy)
    if services:
        return not_yet(
            f"The trust policy of {principal.arn} still trusts only {', '.join(services)}: a person can never "
            f"assume it. Trust arn:aws:iam::{ctx.account_id(account)}:root instead (update-assume-role-policy)."
        )
    return not_yet(
        f"The trust policy of {principal.arn} does not allow {admin.arn} to call sts:AssumeRole. Name "
        f"arn:aws:iam::{ctx.account_id(account)}:root as the principal, with Action sts:AssumeRole."
    )


@check("role_policy_allows_key")
def role_policy_allows_key(ctx: CheckContext, role: str, key: str, actions: list[str]) -> CheckResult:
    """The role's own identity policies (side B) allow ``actions`` on the key in account A."""
    caller = ctx.caller(ctx.principal(role).account.label, role)
    key_row = ctx.key(key)
    if key_row is None:
        return not_yet(f"The key {ctx.key_arn(key)} no longer exists.")
    policies = authz.identity_policies(caller.principal)
    if not policies:
        return not_yet(f"{caller.principal.arn} has no identity policy yet. Attach one with put-role-policy.")
    missing = [
        action
        for action in actions
        if not authz.evaluate_identity(caller, policies, request_context(caller, action, key_row, {})).allows
    ]
    if missing:
        return not_yet(
            f"No policy of {caller.principal.arn} allows {', '.join(missing)} on {key_row.arn}. Check the Resource: "
            "it must be the key's ARN in account A (an alias or the ARN of another account does not match)."
        )
    return passed(f"The identity policies of {caller.principal.arn} allow {', '.join(actions)} on {key_row.arn}.")


@check("one_sided_denial_seen")
def one_sided_denial_seen(ctx: CheckContext, role: str, key: str) -> CheckResult:
    """A Decrypt by the role's session was denied because only side B allowed it."""
    denied = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), by=role, error_code="AccessDeniedException")
    for event in denied:
        notes = _decision_notes(event)
        if any(ONE_SIDED_NOTE in note and "an identity-based policy allows it" in note for note in notes):
            return passed(f"{describe_event(event)}. The trace: {notes[-1]}")
    latest_denial = denied.first()
    if latest_denial is not None:
        notes = _decision_notes(latest_denial)
        explanation = notes[-1] if notes else "no explanation recorded"
        return not_yet(
            f"{describe_event(latest_denial)}, but not for the reason this step shows ({explanation}). Make sure the "
            "role's identity policy from step 2 is in place, then decrypt again as the role."
        )
    if ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), by=role, succeeded=True).exists():
        return not_yet(
            "Your role decrypted successfully, so both sides were already in place: the one-sided failure this "
            "step is about never happened. Reset the lab to see it, in the order of the steps."
        )
    return not_yet("Assume the role in terminal B and decrypt the report: it should fail with AccessDeniedException.")


@check("key_policy_shares_with_account")
def key_policy_shares_with_account(ctx: CheckContext, key: str, role: str) -> CheckResult:
    """The key policy (side A) gives the role's account (or the role) the guide's use
    statement, grants only for AWS resources, and nothing administrative. It is judged
    for a session of ``role``, so naming the account root or the role both pass."""
    policy = ctx.key_policy(key)
    key_row = ctx.key(key)
    if policy is None or key_row is None:
        return not_yet(f"The key {ctx.key_arn(key)} no longer exists.")
    account = ctx.principal(role).account.label
    session = ctx.caller(account, role)
    account_id = ctx.account_id(account)

    def allows(action: str, **extra: str) -> bool:
        context = request_context(session, action, key_row, {})
        if extra:
            context = _with_values(context, extra)
        return evaluate_policy(policy, context, source="key policy").allows

    missing = [action for action in SHARED_USE_ACTIONS if not allows(action)]
    if missing:
        return not_yet(
            f"The key policy does not let account {account} ({account_id}) call {', '.join(missing)}. Add the "
            f"AllowCrossAccountUse statement with Principal arn:aws:iam::{account_id}:root."
        )
    if allows("kms:CreateGrant", **{"kms:GrantIsForAWSResource": "false"}):
        return not_yet(
            f"The key policy lets account {account} call kms:CreateGrant directly, so anyone there could hand your "
            "key to any principal. Put the grant actions in their own statement with the condition "
            '{"Bool": {"kms:GrantIsForAWSResource": "true"}}.'
        )
    if not all(allows(action, **{"kms:GrantIsForAWSResource": "true"}) for action in GRANT_ACTIONS):
        return not_yet(
            f"The key policy does not let AWS services create grants for account {account}'s resources. Add the "
            "AllowCrossAccountGrant statement (CreateGrant, ListGrants, RevokeGrant when kms:GrantIsForAWSResource "
            "is true)."
        )
    administrative = [action for action in ADMINISTRATIVE_ACTIONS if allows(action)]
    if administrative:
        return not_yet(
            f"The key policy also gives account {account} {', '.join(administrative)}. Share only the actions the "
            "guide lists; administering the key stays in account A."
        )
    return passed(
        f"The key policy lets account {account} ({account_id}) use the key, and create grants only through AWS "
        "services."
    )


@check("cross_account_decrypt_by_role")
def cross_account_decrypt_by_role(ctx: CheckContext, role: str, key: str) -> CheckResult:
    """The role's session in the other account decrypted with the key."""
    key_arn = ctx.key_arn(key)
    decrypted = ctx.events(event_name="Decrypt", key_arn=key_arn, by=role, succeeded=True).first()
    if decrypted is not None:
        return passed(f"{describe_event(decrypted)}: {_decision_reason(decrypted)}.")
    role_account = ctx.principal(role).account.label
    by_admin = ctx.events(event_name="Decrypt", key_arn=key_arn, by=f"admin:{role_account}", succeeded=True).first()
    if by_admin is not None:
        return not_yet(
            f"{describe_event(by_admin)}: that is account {role_account}'s administrator, not the role. "
            "Decrypt inside the subshell that exported the assume-role credentials."
        )
    denied = ctx.events(event_name="Decrypt", key_arn=key_arn, by=role, succeeded=False).first()
    if denied is not None:
        notes = _decision_notes(denied)
        return not_yet(f"{describe_event(denied)}. {notes[-1] if notes else ''}".strip())
    return not_yet(f"Decrypt the report as the role {ctx.role_arn(role)} from account {role_account}.")


def _trusted_services(trust_policy: str) -> list[str]:
    """The service principals a trust policy names, if it names nothing else."""
    document = json.loads(trust_policy or "{}")
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    services: list[str] = []
    for statement in statements:
        principal = statement.get("Principal") or {}
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            return []
        named = principal["Service"]
        services.extend(named if isinstance(named, list) else [named])
    return services


def _with_values(context: RequestContext, values: dict[str, str]) -> RequestContext:
    return dataclasses.replace(context, condition_values={**context.condition_values, **values})


def _decision_notes(event: Any) -> list[str]:
    """The plain-words notes of an event's decision trace (``source: decision``)."""
    return [
        str(entry["reason"])
        for entry in event.trace or []
        if entry.get("source") == "decision" and entry.get("matched", "") is None
    ]


def _decision_reason(event: Any) -> str:
    for entry in event.trace or []:
        if entry.get("source") == "decision" and "allowed" in entry:
            return str(entry["reason"])
    return "allowed"
