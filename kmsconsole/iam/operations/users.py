"""IAM users: CreateUser, GetUser, ListUsers, DeleteUser."""

from __future__ import annotations

from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import PrincipalType
from kmsconsole.kms.operations.registry import Request, Response, operation

from .common import authorize, iam_arn, identity_for, page_of, refuse_unsupported, tags_from, target_user, user_view


@operation("CreateUser", service="iam")
def create_user(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html"""
    refuse_unsupported(request, "PermissionsBoundary")
    name, path = request["UserName"], request.get("Path", "/")
    tags = tags_from(request)
    authorize(caller, "iam:CreateUser", iam_arn(caller, f"user{path}{name}"))
    user = identities.create_user(caller.account, name, now=caller.now, path=path, tags=tags)
    return {"User": user_view(user, with_tags=True)}


@operation("GetUser", service="iam", read_only=True)
def get_user(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html

    Without ``UserName`` it describes the caller (for the account root: no user name,
    the account id as its id)."""
    return {"User": user_view(target_user(caller, request, "iam:GetUser"), with_tags=True)}


@operation("ListUsers", service="iam", read_only=True)
def list_users(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html"""
    path_prefix = request.get("PathPrefix", "/")
    authorize(caller, "iam:ListUsers", iam_arn(caller, f"user{path_prefix}"))
    users, envelope = page_of(identities.users(caller.account, path_prefix=path_prefix), request)
    return {"Users": [user_view(user) for user in users], **envelope}


@operation("DeleteUser", service="iam")
def delete_user(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUser.html"""
    user = identity_for(caller, PrincipalType.USER, request["UserName"], "iam:DeleteUser")
    identities.delete_user(caller.account, user.name)
    return {}
