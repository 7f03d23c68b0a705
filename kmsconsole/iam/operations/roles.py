"""IAM roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy."""

from __future__ import annotations

from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import DEFAULT_MAX_SESSION_SECONDS, PrincipalType
from kmsconsole.kms.operations.registry import Request, Response, operation

from .common import authorize, iam_arn, identity_for, page_of, refuse_unsupported, role_view, tags_from


@operation("CreateRole", service="iam")
def create_role(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html"""
    refuse_unsupported(request, "PermissionsBoundary")
    name, path = request["RoleName"], request.get("Path", "/")
    tags = tags_from(request)
    authorize(caller, "iam:CreateRole", iam_arn(caller, f"role{path}{name}"))
    role = identities.create_role(
        caller.account,
        name,
        request["AssumeRolePolicyDocument"],
        now=caller.now,
        path=path,
        description=request.get("Description", ""),
        max_session_duration=request.get("MaxSessionDuration", DEFAULT_MAX_SESSION_SECONDS),
        tags=tags,
    )
    return {"Role": role_view(role, with_tags=True)}


@operation("GetRole", service="iam", read_only=True)
def get_role(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html"""
    role = identity_for(caller, PrincipalType.ROLE, request["RoleName"], "iam:GetRole")
    return {"Role": {**role_view(role, with_tags=True), "RoleLastUsed": {}}}


@operation("ListRoles", service="iam", read_only=True)
def list_roles(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html"""
    path_prefix = request.get("PathPrefix", "/")
    authorize(caller, "iam:ListRoles", iam_arn(caller, f"role{path_prefix}"))
    roles, envelope = page_of(identities.roles(caller.account, path_prefix=path_prefix), request)
    return {"Roles": [role_view(role) for role in roles], **envelope}


@operation("DeleteRole", service="iam")
def delete_role(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html"""
    role = identity_for(caller, PrincipalType.ROLE, request["RoleName"], "iam:DeleteRole")
    identities.delete_role(caller.account, role.name)
    return {}


@operation("UpdateAssumeRolePolicy", service="iam")
def update_assume_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html"""
    role = identity_for(caller, PrincipalType.ROLE, request["RoleName"], "iam:UpdateAssumeRolePolicy")
    identities.update_assume_role_policy(caller.account, role.name, request["PolicyDocument"])
    return {}
