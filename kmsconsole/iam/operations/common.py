"""Steps the IAM and STS operations share: authorization, pagination, tags, and the
response shapes of users, roles and managed policies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db.models import QuerySet

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.errors import AccessDenied, InvalidInput, InvalidMarkerException, NoSuchEntity, ValidationError
from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import ManagedPolicy, Principal, PrincipalType
from kmsconsole.kms import authz
from kmsconsole.kms.pagination import paginate
from kmsconsole.kms.request_context import request_context

DEFAULT_MAX_ITEMS = 100
NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
DENY_IN_IDENTITY_POLICY = "with an explicit deny in an identity-based policy"


def authorize(caller: Caller, action: str, resource_arn: str) -> None:
    """Allow ``action`` on ``resource_arn`` only if the caller's identity policies allow it
    and none denies it (IAM's resources have no resource-based policies); a denial is
    IAM's AccessDenied with IAM's wording. The trace goes to the audit event."""
    context = replace(request_context(caller, action, None, {}), resource=resource_arn)
    identity = authz.evaluate_identity(caller, authz.identity_policies(caller.principal), context)
    current_draft().trace = identity.trace
    if identity.explicit_deny or not identity.allows:
        reason = DENY_IN_IDENTITY_POLICY if identity.explicit_deny else NO_IDENTITY_POLICY.format(action=action)
        raise AccessDenied(
            f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource_arn} {reason}"
        )


def iam_arn(caller: Caller, resource: str) -> str:
    """``arn:aws:iam::<caller's account>:<resource>``, for naming what an action targets."""
    return f"arn:aws:iam::{caller.account_id}:{resource}"


def refuse_unsupported(request: dict[str, Any], *members: str) -> None:
    """kmsconsole does not emulate these members; refusing them beats ignoring them, which
    would grant or allow more than AWS would."""
    for member in members:
        if request.get(member):
            raise ValidationError(f"kmsconsole does not support the {member} parameter yet; leave it out.")


def page_of(
    rows: QuerySet[Any], request: dict[str, Any], *, order_field: str = "name"
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``rows`` for IAM's ``Marker`` / ``MaxItems``, and the ``IsTruncated`` /
    ``Marker`` members of the response."""
    try:
        page = paginate(
            rows,
            order_field=order_field,
            request={"Limit": request.get("MaxItems"), "Marker": request.get("Marker")},
            default_limit=DEFAULT_MAX_ITEMS,
            max_limit=1000,
        )
    except InvalidMarkerException as problem:
        raise InvalidInput(problem.message) from None
    envelope: dict[str, Any] = {"IsTruncated": page.truncated}
    if page.next_marker is not None:
        envelope["Marker"] = page.next_marker
    return page.items, envelope


def tags_from(request: dict[str, Any]) -> dict[str, str]:
    """The request's ``Tags`` list as a dict; tag keys are unique regardless of case."""
    tags = {tag["Key"]: tag["Value"] for tag in request.get("Tags", [])}
    if len({key.lower() for key in tags}) != len(request.get("Tags", [])):
        raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return tags


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def target_user(caller: Caller, request: dict[str, Any], action: str) -> Principal:
    """The user an access-key or GetUser request is about, authorized for ``action``:
    ``UserName``, or else the caller itself, which must then be a user or the root."""
    if request.get("UserName"):
        return identity_for(caller, PrincipalType.USER, request["UserName"], action)
    if caller.session is not None or caller.principal.kind == PrincipalType.ROLE:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    authorize(caller, action, caller.arn)
    return caller.principal


def user_view(user: Principal, *, with_tags: bool = False) -> dict[str, Any]:
    """The ``User`` shape. The account root has no user name, as IAM answers for it."""
    view: dict[str, Any] = {"Path": user.path, "Arn": user.arn, "CreateDate": user.created_at}
    if user.kind == PrincipalType.ROOT:
        view["UserId"] = user.account.account_id
    else:
        view["UserName"] = user.name
        view["UserId"] = user.unique_id
    if with_tags and user.tags:
        view["Tags"] = tag_list(user.tags)
    return view


def role_view(role: Principal, *, with_tags: bool = False) -> dict[str, Any]:
    """The ``Role`` shape; the trust policy is returned as stored (the Query protocol
    percent-encodes it on the wire)."""
    view: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.unique_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": role.trust_policy,
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description:
        view["Description"] = role.description
    if with_tags and role.tags:
        view["Tags"] = tag_list(role.tags)
    return view


def policy_view(policy: ManagedPolicy, *, attachment_count: int) -> dict[str, Any]:
    """The ``Policy`` shape of a customer managed policy."""
    view: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": ManagedPolicy.DEFAULT_VERSION_ID,
        "AttachmentCount": attachment_count,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if policy.description:
        view["Description"] = policy.description
    return view


def identity_for(caller: Caller, kind: PrincipalType, name: str, action: str) -> Principal:
    """Find the caller's account's user or role ``name`` and authorize ``action`` on it.
    Authorization comes first, as in IAM: a caller that may not act on a name learns
    nothing about whether it exists."""
    find = identities.get_role if kind == PrincipalType.ROLE else identities.get_user
    try:
        principal = find(caller.account, name)
    except NoSuchEntity:
        noun = "role" if kind == PrincipalType.ROLE else "user"
        authorize(caller, action, iam_arn(caller, f"{noun}/{name}"))
        raise
    authorize(caller, action, principal.arn)
    return principal
