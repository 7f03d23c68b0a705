"""Checks of key policies: who may do what, asked of the real authorizer, and what the
audit trail shows people actually did. ``call_succeeded`` and ``call_denied`` are general
enough for any lab that wants to see a call happen (or be refused)."""

from __future__ import annotations

from collections.abc import Mapping

from kmsconsole.audit.models import Event

from .base import (
    CheckContext,
    CheckResult,
    allowed_by,
    allowing_statements,
    check,
    describe_event,
    not_yet,
    passed,
)

# What a key user needs, and what only administrators should do (the guide's split).
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
ADMIN_ACTIONS = (
    "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKey",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
)  # fmt: skip


def _latest_policy_change(ctx: CheckContext, key: str) -> Event | None:
    return ctx.events(event_name="PutKeyPolicy", key_arn=ctx.key_arn(key), succeeded=True).first()


def _events_for(
    ctx: CheckContext, key: str, by: str, event_name: str, after_policy_change: bool
) -> tuple[list[Event], str]:
    """The matching events, or none and the reason why."""
    filters: dict[str, object] = {"event_name": event_name, "key_arn": ctx.key_arn(key), "by": by}
    if after_policy_change:
        change = _latest_policy_change(ctx, key)
        if change is None:
            return [], "Change the key policy first (PutKeyPolicy): this call counts only after that."
        filters["after"] = change
    return list(ctx.events(**filters)), ""


# ---------------------------------------------------------------- the audit trail


@check("call_succeeded")
def call_succeeded(
    ctx: CheckContext, key: str, by: str, event_name: str, after_policy_change: bool = False
) -> CheckResult:
    """``by`` (a principal ref) made a successful ``event_name`` call on ``key``."""
    events, why_not = _events_for(ctx, key, by, event_name, after_policy_change)
    if why_not:
        return not_yet(why_not)
    success = next((event for event in events if not event.error_code), None)
    if success is not None:
        return passed(f"{describe_event(success)} succeeded.")
    who = ctx.principal_arn(by)
    if events:
        latest = events[0]
        message = latest.record.get("errorMessage") or latest.error_code
        return not_yet(f"{describe_event(latest)}: {message}")
    when = " since your key policy change" if after_policy_change else ""
    return not_yet(f"No {event_name} call by {who} on this key{when} yet.")


@check("call_denied")
def call_denied(
    ctx: CheckContext, key: str, by: str, event_name: str, after_policy_change: bool = False
) -> CheckResult:
    """``by`` tried ``event_name`` on ``key`` and was refused with AccessDeniedException."""
    events, why_not = _events_for(ctx, key, by, event_name, after_policy_change)
    if why_not:
        return not_yet(why_not)
    denied = next((event for event in events if event.error_code.startswith("AccessDenied")), None)
    if denied is not None:
        return passed(f"{describe_event(denied)}: {denied.record.get('errorMessage', '')}".rstrip(": "))
    who = ctx.principal_arn(by)
    success = next((event for event in events if not event.error_code), None)
    if success is not None:
        return not_yet(f"{describe_event(success)} was allowed: {who} should be refused {event_name} on this key.")
    return not_yet(f"No {event_name} attempt by {who} on this key yet: try it and watch it fail.")


@check("key_policy_read")
def key_policy_read(ctx: CheckContext, key: str) -> CheckResult:
    read = ctx.events(event_name="GetKeyPolicy", key_arn=ctx.key_arn(key), succeeded=True).first()
    if read is None:
        return not_yet("No GetKeyPolicy on this key yet. Read its policy first (get-key-policy --policy-name default).")
    return passed(f"{describe_event(read)} read the key policy.")


@check("cross_account_use_seen")
def cross_account_use_seen(ctx: CheckContext, key: str, account: str = "B") -> CheckResult:
    """A principal of ``account`` used the key (it belongs to another account)."""
    outsider = ctx.account_id(account)
    used = ctx.events(key_arn=ctx.key_arn(key), succeeded=True, principal_arn__contains=f":{outsider}:").first()
    if used is None:
        return not_yet(
            f"Nobody from account {account} ({outsider}) has used this key yet. "
            "Try it with that account's admin credentials."
        )
    return passed(f"{describe_event(used)}: a principal of another account used the key.")


# ---------------------------------------------------------------- the policy as it stands


@check("no_public_statement")
def no_public_statement(ctx: CheckContext, key: str) -> CheckResult:
    """No Allow statement names every principal ("*") without a condition."""
    policy = ctx.key_policy(key)
    if policy is None:
        return not_yet("The key no longer exists.")
    for statement in policy.statements:
        names_everyone = any(value == "*" for _, value in statement.principal or ())
        if statement.effect == "Allow" and names_everyone and not statement.conditions:
            return not_yet(
                f'{statement.label} allows Principal "*" with no condition: every principal of every AWS '
                "account that can reach the key. Remove it; name the administrators and users instead."
            )
    return passed("No statement opens the key to everyone.")


def _decisions(
    ctx: CheckContext, key: str, principal: str, actions: tuple[str, ...], *, account: str = "A"
) -> dict[str, list[str] | None]:
    """For each action, the statements allowing ``principal`` to do it, or None if denied."""
    outcome: dict[str, list[str] | None] = {}
    for action in actions:
        decision = ctx.decide(action, key, principal=principal, account=account)
        outcome[action] = allowing_statements(decision) if decision.allowed else None
    return outcome


@check("admins_cannot_use_key")
def admins_cannot_use_key(ctx: CheckContext, key: str, admin: str) -> CheckResult:
    """The key administrator may manage the key but not use it on data."""
    who = ctx.principal_arn(admin)
    for action, statements in _decisions(ctx, key, admin, USE_ACTIONS).items():
        if statements is not None:
            return not_yet(
                f"{who} may still call {action}: {allowed_by(statements)}. Administrators manage "
                "the key; they should not read data with it."
            )
    missing = [
        action for action, statements in _decisions(ctx, key, admin, ADMIN_ACTIONS).items() if statements is None
    ]
    if missing:
        return not_yet(f"{who} cannot call {', '.join(missing)}: give the administrators statement the admin actions.")
    return passed(f"{who} can administer the key but cannot encrypt or decrypt with it.")


@check("users_cannot_administer")
def users_cannot_administer(ctx: CheckContext, key: str, user: str) -> CheckResult:
    """The key user may use the key on data but not change or delete it."""
    who = ctx.principal_arn(user)
    for action, statements in _decisions(ctx, key, user, ADMIN_ACTIONS).items():
        if statements is not None:
            return not_yet(
                f"{who} may call {action}: {allowed_by(statements)}. An application that only "
                "encrypts and decrypts must not be able to change or delete its key."
            )
    missing = [action for action, statements in _decisions(ctx, key, user, USE_ACTIONS).items() if statements is None]
    if missing:
        return not_yet(f"{who} cannot call {', '.join(missing)} any more: the users statement must allow them.")
    return passed(f"{who} can encrypt and decrypt but cannot administer the key.")


@check("outsiders_denied")
def outsiders_denied(ctx: CheckContext, key: str, account: str = "B") -> CheckResult:
    """Account ``account``'s admin (who may do anything in its own account) cannot use the key."""
    decisions = _decisions(ctx, key, "admin", ("kms:Decrypt", "kms:Encrypt"), account=account)
    for action, statements in decisions.items():
        if statements is not None:
            return not_yet(f"Account {account}'s admin may still call {action} on this key: {allowed_by(statements)}.")
    return passed(f"Principals of account {account} can no longer use the key.")


@check("policy_requires_context")
def policy_requires_context(ctx: CheckContext, key: str, principal: str, context: Mapping[str, str]) -> CheckResult:
    """``principal`` may use the key only with an encryption context holding ``context``."""
    who = ctx.principal_arn(principal)
    required = dict(context)
    wrong = {name: f"not-{value}" for name, value in required.items()}
    for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
        with_context = ctx.decide(action, key, principal=principal, encryption_context=required)
        if not with_context.allowed:
            return not_yet(
                f"{who} can no longer call {action} even with the context {required}: keep allowing it when "
                "the condition holds."
            )
        for label, sent in (("no encryption context", None), (f"the context {wrong}", wrong)):
            decision = ctx.decide(action, key, principal=principal, encryption_context=sent)
            if decision.allowed:
                return not_yet(
                    f"{who} can still call {action} with {label}: {allowed_by(allowing_statements(decision))} "
                    "without the condition."
                )
    return passed(f"{who} can use the key only when the encryption context holds {required}.")
