"""Checks for the grants lab: a constrained grant for a service, its use with a grant
token, and its removal by the right principal (retired by the grantee, revoked by an
administrator).

Grants disappear when they are retired or revoked, so these checks read the audit trail
(CreateGrant's logged parameters and GrantId) rather than only the Grant rows: a step
done earlier stays done after a later step removed its grant.
"""

from __future__ import annotations

from typing import Any

from kmsconsole.audit.models import Event
from kmsconsole.kms.models import Grant

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed, request_parameters

CRYPTO_OPERATIONS = ["Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"]


@check("service_grant_constrained")
def service_grant_constrained(
    ctx: CheckContext,
    key: str,
    grantee: str,
    operations: list[str],
    constraint: str,
    context: dict[str, str],
    retiring_principal: str = "",
) -> CheckResult:
    """A grant on ``key`` for ``grantee`` allows ``operations`` under exactly ``constraint``
    with ``context`` (and names ``retiring_principal``, a user ref, if given)."""
    created = _grants_created_for(ctx, key, grantee)
    grantee_arn = ctx.user_arn(grantee)
    if not created:
        return not_yet(f"No grant on {ctx.alias(key)} names {grantee_arn} as its grantee yet. Run create-grant.")
    problems = []
    for event in created:
        parameters = request_parameters(event)
        problem = (
            _operations_problem(parameters, operations)
            or _constraint_problem(parameters, constraint, context)
            or _retiring_problem(ctx, parameters, retiring_principal)
        )
        if not problem:
            return passed(
                f"Grant {_grant_id(event)[:12]}… lets {grantee_arn} call {', '.join(operations)} "
                f"only with {constraint} {{{_pairs(context)}}}."
            )
        problems.append(problem)
    return not_yet(f"You created a grant for {grantee_arn}, but {problems[0]}")


@check("grantee_used_grant")
def grantee_used_grant(ctx: CheckContext, key: str, grantee: str) -> CheckResult:
    """The grantee made a cryptographic call that a grant allowed, passing a grant token."""
    grantee_arn = ctx.user_arn(grantee)
    calls = ctx.events(event_name=CRYPTO_OPERATIONS, key_arn=ctx.key_arn(key), by=grantee, succeeded=True)
    latest = calls.first()
    if latest is None:
        by_admin = ctx.events(
            event_name=CRYPTO_OPERATIONS, key_arn=ctx.key_arn(key), by="admin", succeeded=True
        ).first()
        if by_admin is not None:
            return not_yet(
                f"{describe_event(by_admin)}: that is the administrator, not the service. Make the call "
                f"with the service's credentials ({grantee_arn}), through the as_service function."
            )
        return not_yet(f"{grantee_arn} has not used the key yet. Run generate-data-key as the service.")
    with_token = [event for event in calls if request_parameters(event).get("grantTokens")]
    if not with_token:
        return not_yet(
            f"{describe_event(latest)} worked, but without --grant-tokens. On AWS a new grant may not be "
            "usable for a few minutes; pass the grant token from create-grant to use it at once."
        )
    event = with_token[0]
    return passed(f"{describe_event(event)} was allowed by {_allowing_grant(event)}, with a grant token.")


@check("grant_constraint_refused")
def grant_constraint_refused(ctx: CheckContext, key: str, grantee: str) -> CheckResult:
    """The grantee saw the constraint refuse a request with another encryption context."""
    denied = ctx.events(
        event_name=CRYPTO_OPERATIONS, key_arn=ctx.key_arn(key), by=grantee, error_code="AccessDeniedException"
    )
    for event in denied:
        refusal = _constraint_refusal(event)
        if refusal:
            return passed(f"{describe_event(event)}: {refusal}.")
    if denied.exists():
        return not_yet(
            "The service was denied, but not by the grant's constraint (there was no matching grant yet, or the "
            "operation is not in the grant). Run the department=finance command after creating the grant."
        )
    return not_yet(
        "Try the second command of this step (department=finance) as the service: the grant's constraint "
        "should refuse it with AccessDeniedException."
    )


@check("grants_listed")
def grants_listed(ctx: CheckContext, key: str) -> CheckResult:
    listed = ctx.events(event_name="ListGrants", key_arn=ctx.key_arn(key), succeeded=True).first()
    if listed is None:
        return not_yet(f"List the grants on {ctx.alias(key)} with list-grants --key-id {ctx.key_id(key)}.")
    return passed(f"{describe_event(listed)}.")


@check("grant_retired_by_grantee")
def grant_retired_by_grantee(ctx: CheckContext, key: str, grantee: str) -> CheckResult:
    """The grantee's grant is gone because the grantee itself retired it."""
    grantee_arn = ctx.user_arn(grantee)
    grant_ids = {_grant_id(event) for event in _grants_created_for(ctx, key, grantee)}
    if not grant_ids:
        return not_yet(f"There is no grant for {grantee_arn} to retire yet: do step 1 first.")
    retired = ctx.events(event_name="RetireGrant", key_arn=ctx.key_arn(key), by=grantee, succeeded=True).first()
    remaining = Grant.objects.filter(grant_id__in=grant_ids).exists()
    if retired is not None and not remaining:
        return passed(f"{describe_event(retired)}: the service cleaned up its own grant.")
    revoked = _revocations_of(ctx, key, grant_ids)
    if revoked:
        return not_yet(
            f"The service's grant was removed by {describe_event(revoked[0])}. Revoking is the administrator's "
            "unilateral action; here the job is done and the service itself should retire its grant (RetireGrant "
            "with its grant token). Reset the lab, or create the grant again and retire it as the service."
        )
    if retired is not None:
        return not_yet(f"{describe_event(retired)}, but {grantee_arn} still has a grant on the key.")
    return not_yet(f"The service's grant still exists. Run retire-grant --grant-token ... as {grantee_arn}.")


@check("grant_revoked_by_administrator")
def grant_revoked_by_administrator(ctx: CheckContext, key: str, grantee: str) -> CheckResult:
    """An administrator revoked ``grantee``'s grant by grant id."""
    grantee_arn = ctx.user_arn(grantee)
    grant_ids = {_grant_id(event) for event in _grants_created_for(ctx, key, grantee)}
    if not grant_ids:
        return not_yet(f"There is no grant for {grantee_arn} yet: create it in step 3.")
    revoked = _revocations_of(ctx, key, grant_ids)
    remaining = Grant.objects.filter(grant_id__in=grant_ids).exists()
    if revoked and not remaining:
        return passed(f"{describe_event(revoked[0])}: access for {grantee_arn} stopped at once.")
    retired = ctx.events(event_name="RetireGrant", key_arn=ctx.key_arn(key), succeeded=True).first()
    if retired is not None and not remaining:
        return not_yet(
            f"The grant was retired ({describe_event(retired)}), not revoked. When access must stop "
            "regardless of the grantee, the administrator revokes it: revoke-grant --key-id ... --grant-id ..."
        )
    return not_yet(f"{grantee_arn} still has its grant. Revoke it with revoke-grant and its grant id.")


def _grants_created_for(ctx: CheckContext, key: str, grantee: str) -> list[Event]:
    """Successful CreateGrant calls on ``key`` naming ``grantee``, newest first."""
    grantee_arn = ctx.user_arn(grantee)
    events = ctx.events(event_name="CreateGrant", key_arn=ctx.key_arn(key), succeeded=True)
    return [event for event in events if request_parameters(event).get("granteePrincipal") == grantee_arn]


def _revocations_of(ctx: CheckContext, key: str, grant_ids: set[str]) -> list[Event]:
    revocations = ctx.events(event_name="RevokeGrant", key_arn=ctx.key_arn(key), succeeded=True)
    return [event for event in revocations if request_parameters(event).get("grantId") in grant_ids]


def _grant_id(event: Event) -> str:
    return str((event.record.get("responseElements") or {}).get("grantId", ""))


def _constraint_refusal(event: Event) -> str:
    """The trace's reason when a grant applied to the grantee but its encryption context
    constraint did not match the request, or ""."""
    for entry in event.trace or []:
        reason = str(entry.get("reason", ""))
        if str(entry.get("source", "")).startswith("grant ") and "EncryptionContext" in reason:
            return reason
    return ""


def _allowing_grant(event: Event) -> str:
    """``grant 1a2b3c…`` from the event's decision, or a generic name."""
    for entry in event.trace or []:
        reason = str(entry.get("reason", ""))
        if entry.get("source") == "decision" and reason.startswith("grant "):
            return reason.split(" allows")[0][:18] + "…"
    return "a grant"


def _operations_problem(parameters: dict[str, Any], wanted: list[str]) -> str:
    granted = set(parameters.get("operations") or [])
    missing = [name for name in wanted if name not in granted]
    if missing:
        return f"it does not allow {', '.join(missing)}."
    extra = sorted(granted - set(wanted))
    if extra:
        return f"it also allows {', '.join(extra)}, which the service does not need. Grant only {', '.join(wanted)}."
    return ""


def _retiring_problem(ctx: CheckContext, parameters: dict[str, Any], retiring_principal: str) -> str:
    if not retiring_principal:
        return ""
    wanted = ctx.user_arn(retiring_principal)
    if parameters.get("retiringPrincipal") != wanted:
        return f"it does not name {wanted} as its retiring principal, so the service could not retire it when done."
    return ""


def _constraint_problem(parameters: dict[str, Any], constraint: str, context: dict[str, str]) -> str:
    """What is wrong with a grant's constraints, or "" if it has exactly ``constraint``
    with ``context``. CloudTrail logs constraint names in lowerCamel case."""
    logged = {name[:1].upper() + name[1:]: pairs for name, pairs in (parameters.get("constraints") or {}).items()}
    if not logged:
        return (
            f"it has no constraints, so it lets the grantee use the key for any data. Add "
            f"--constraints {constraint}={{{_pairs(context)}}}."
        )
    if constraint not in logged or len(logged) > 1:
        return f"it uses {', '.join(logged)}, but this step asks for {constraint} ({_constraint_meaning(constraint)})."
    if logged[constraint] != context:
        return f"its {constraint} is {{{_pairs(logged[constraint])}}}, not {{{_pairs(context)}}}."
    return ""


def _constraint_meaning(constraint: str) -> str:
    if constraint == "EncryptionContextSubset":
        return "the request's context must include these pairs and may have more"
    return "the request's context must be exactly these pairs"


def _pairs(context: dict[str, str]) -> str:
    return ",".join(f"{name}={value}" for name, value in sorted(context.items()))
