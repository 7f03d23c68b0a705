"""Checks of the IAM delegation lab: the key policy's account root statement, and identity
policies that grant no more than the job needs."""

from __future__ import annotations

from .base import CheckContext, CheckResult, allowed_by, allowing_statements, check, not_yet, passed


@check("key_policy_delegates_to_iam")
def key_policy_delegates_to_iam(ctx: CheckContext, key: str, via: str, account: str = "A") -> CheckResult:
    """The key policy has an Allow statement for the account root (the "Enable IAM
    policies" statement), and that is what lets ``via`` (a user whose identity policy
    allows kms:Decrypt) decrypt, rather than the key policy naming ``via`` itself."""
    policy = ctx.key_policy(key)
    if policy is None:
        return not_yet("The key no longer exists.")
    root = f"arn:aws:iam::{ctx.account_id(account)}:root"
    delegating = [
        statement
        for statement in policy.statements
        if statement.effect == "Allow" and ("AWS", root) in (statement.principal or ())
    ]
    who = ctx.principal_arn(via)
    decision = ctx.decide("kms:Decrypt", key, principal=via)
    statements = allowing_statements(decision)
    if not delegating:
        if decision.allowed:
            return not_yet(
                f"{who} can decrypt now, but because {', '.join(statements)} names them directly. That works "
                f"for one user; to let IAM policies decide, add a statement allowing {root}."
            )
        return not_yet(
            f"No statement of the key policy allows the account principal {root}, so IAM policies cannot grant "
            "anything on this key, whatever they say."
        )
    if not decision.allowed:
        return not_yet(
            f"{delegating[0].label} names {root}, but {who} still cannot decrypt: check its actions and "
            "conditions (kms:* delegates every action), and the user's identity policy."
        )
    return passed(f"{delegating[0].label} delegates to IAM: {who} may decrypt because its identity policy allows it.")


@check("identity_least_privilege")
def identity_least_privilege(
    ctx: CheckContext, key: str, principal: str, allowed: list[str], denied: list[str]
) -> CheckResult:
    """``principal`` may do each of ``allowed`` on ``key`` and none of ``denied``."""
    who = ctx.principal_arn(principal)
    for action in denied:
        decision = ctx.decide(action, key, principal=principal)
        if decision.allowed:
            return not_yet(
                f"{who} may still call {action} on this key: {allowed_by(allowing_statements(decision))}. "
                "With delegation, an over-broad identity policy reaches every key that trusts IAM."
            )
    for action in allowed:
        decision = ctx.decide(action, key, principal=principal)
        if not decision.allowed:
            return not_yet(f"{who} cannot call {action}: {decision.reason}.")
    return passed(f"{who} may call {', '.join(allowed)} on this key and nothing more of what was tested.")
