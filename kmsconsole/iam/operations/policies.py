"""Identity policies: inline policies of users and roles (Put/Get/Delete/List
User|RolePolicy), customer managed policies (CreatePolicy, GetPolicy, GetPolicyVersion,
ListPolicies, DeletePolicy) and their attachments (Attach/Detach/ListAttached
User|RolePolicies).

The user and role forms of each inline or attachment operation differ only in the kind of
identity they name, so each pair shares one implementation.
"""

from __future__ import annotations

from django.db.models import Count

from kmsconsole.engine.errors import NoSuchEntity
from kmsconsole.iam import identity_policies
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import ManagedPolicy, Principal, PrincipalType
from kmsconsole.kms.operations.registry import Request, Response, operation

from .common import authorize, iam_arn, identity_for, page_of, policy_view

USER, ROLE = PrincipalType.USER, PrincipalType.ROLE


def _noun(kind: PrincipalType) -> str:
    return "Role" if kind == ROLE else "User"


def _identity(caller: Caller, request: Request, kind: PrincipalType, operation_name: str) -> Principal:
    return identity_for(caller, kind, request[f"{_noun(kind)}Name"], f"iam:{operation_name}")


# ---------------------------------------------------------------- inline policies


def _put_inline(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"Put{_noun(kind)}Policy")
    identity_policies.put_inline_policy(principal, request["PolicyName"], request["PolicyDocument"])
    return {}


def _get_inline(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"Get{_noun(kind)}Policy")
    policy = identity_policies.get_inline_policy(principal, request["PolicyName"])
    return {f"{_noun(kind)}Name": principal.name, "PolicyName": policy.name, "PolicyDocument": policy.document}


def _delete_inline(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"Delete{_noun(kind)}Policy")
    identity_policies.delete_inline_policy(principal, request["PolicyName"])
    return {}


def _list_inline(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"List{_noun(kind)}Policies")
    policies, envelope = page_of(identity_policies.inline_policies(principal), request)
    return {"PolicyNames": [policy.name for policy in policies], **envelope}


@operation("PutUserPolicy", service="iam")
def put_user_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html"""
    return _put_inline(caller, request, USER)


@operation("PutRolePolicy", service="iam")
def put_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html"""
    return _put_inline(caller, request, ROLE)


@operation("GetUserPolicy", service="iam", read_only=True)
def get_user_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html"""
    return _get_inline(caller, request, USER)


@operation("GetRolePolicy", service="iam", read_only=True)
def get_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html"""
    return _get_inline(caller, request, ROLE)


@operation("DeleteUserPolicy", service="iam")
def delete_user_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteUserPolicy.html"""
    return _delete_inline(caller, request, USER)


@operation("DeleteRolePolicy", service="iam")
def delete_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRolePolicy.html"""
    return _delete_inline(caller, request, ROLE)


@operation("ListUserPolicies", service="iam", read_only=True)
def list_user_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserPolicies.html"""
    return _list_inline(caller, request, USER)


@operation("ListRolePolicies", service="iam", read_only=True)
def list_role_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRolePolicies.html"""
    return _list_inline(caller, request, ROLE)


# ---------------------------------------------------------------- managed policies


@operation("CreatePolicy", service="iam")
def create_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html"""
    name, path = request["PolicyName"], request.get("Path", "/")
    authorize(caller, "iam:CreatePolicy", ManagedPolicy.arn_for(caller.account_id, path, name))
    policy = identity_policies.create_managed_policy(
        caller.account,
        name,
        request["PolicyDocument"],
        now=caller.now,
        path=path,
        description=request.get("Description", ""),
    )
    return {"Policy": policy_view(policy, attachment_count=0)}


def _managed_policy(caller: Caller, request: Request, action: str) -> ManagedPolicy:
    authorize(caller, action, request["PolicyArn"])
    return identity_policies.managed_policy(caller.account, request["PolicyArn"], missing=identity_policies.NOT_FOUND)


@operation("GetPolicy", service="iam", read_only=True)
def get_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html"""
    policy = _managed_policy(caller, request, "iam:GetPolicy")
    return {"Policy": policy_view(policy, attachment_count=policy.attachments.count())}


@operation("GetPolicyVersion", service="iam", read_only=True)
def get_policy_version(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicyVersion.html

    Only ``v1`` exists: kmsconsole keeps one version per managed policy."""
    policy = _managed_policy(caller, request, "iam:GetPolicyVersion")
    version = request["VersionId"]
    if version != ManagedPolicy.DEFAULT_VERSION_ID:
        raise NoSuchEntity(f"Policy {policy.arn} version {version} does not exist or is not attachable.")
    return {
        "PolicyVersion": {
            "Document": policy.document,
            "VersionId": version,
            "IsDefaultVersion": True,
            "CreateDate": policy.created_at,
        }
    }


@operation("ListPolicies", service="iam", read_only=True)
def list_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListPolicies.html

    Lists the account's customer managed policies; AWS managed policies are not
    emulated, so ``Scope=AWS`` lists none."""
    path_prefix = request.get("PathPrefix", "/")
    authorize(caller, "iam:ListPolicies", iam_arn(caller, f"policy{path_prefix}"))
    rows = identity_policies.managed_policies(caller.account, path_prefix=path_prefix)
    if request.get("Scope") == "AWS":
        rows = rows.none()
    rows = rows.annotate(attachment_count=Count("attachments"))
    if request.get("OnlyAttached"):
        rows = rows.filter(attachment_count__gt=0)
    policies, envelope = page_of(rows, request)
    return {
        "Policies": [policy_view(policy, attachment_count=policy.attachment_count) for policy in policies],
        **envelope,
    }


@operation("DeletePolicy", service="iam")
def delete_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html"""
    authorize(caller, "iam:DeletePolicy", request["PolicyArn"])
    identity_policies.delete_managed_policy(caller.account, request["PolicyArn"])
    return {}


# ---------------------------------------------------------------- attachments


def _attach(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"Attach{_noun(kind)}Policy")
    identity_policies.attach_policy(principal, request["PolicyArn"])
    return {}


def _detach(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"Detach{_noun(kind)}Policy")
    identity_policies.detach_policy(principal, request["PolicyArn"])
    return {}


def _list_attached(caller: Caller, request: Request, kind: PrincipalType) -> Response:
    principal = _identity(caller, request, kind, f"ListAttached{_noun(kind)}Policies")
    rows = identity_policies.attached_policies(principal, path_prefix=request.get("PathPrefix", "/"))
    policies, envelope = page_of(rows, request)
    return {
        "AttachedPolicies": [{"PolicyName": policy.name, "PolicyArn": policy.arn} for policy in policies],
        **envelope,
    }


@operation("AttachUserPolicy", service="iam")
def attach_user_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachUserPolicy.html"""
    return _attach(caller, request, USER)


@operation("AttachRolePolicy", service="iam")
def attach_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachRolePolicy.html"""
    return _attach(caller, request, ROLE)


@operation("DetachUserPolicy", service="iam")
def detach_user_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachUserPolicy.html"""
    return _detach(caller, request, USER)


@operation("DetachRolePolicy", service="iam")
def detach_role_policy(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachRolePolicy.html"""
    return _detach(caller, request, ROLE)


@operation("ListAttachedUserPolicies", service="iam", read_only=True)
def list_attached_user_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html"""
    return _list_attached(caller, request, USER)


@operation("ListAttachedRolePolicies", service="iam", read_only=True)
def list_attached_role_policies(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedRolePolicies.html"""
    return _list_attached(caller, request, ROLE)
