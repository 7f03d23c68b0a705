"""Long-term access keys of IAM users: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
DeleteAccessKey. Without ``UserName`` each acts on the caller's own keys."""

from __future__ import annotations

from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKeyStatus, Principal, PrincipalType
from kmsconsole.kms.operations.registry import Request, Response, operation

from .common import page_of, target_user


def _user_name(user: Principal) -> dict[str, str]:
    """``UserName`` of a key's owner; keys of the account root name no user."""
    return {} if user.kind == PrincipalType.ROOT else {"UserName": user.name}


@operation("CreateAccessKey", service="iam")
def create_access_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html"""
    user = target_user(caller, request, "iam:CreateAccessKey")
    issued = identities.create_access_key(user, now=caller.now)
    return {
        "AccessKey": {
            **_user_name(user),
            "AccessKeyId": issued.access_key_id,
            "Status": AccessKeyStatus.ACTIVE.value,
            "SecretAccessKey": issued.secret_access_key,
            "CreateDate": caller.now,
        }
    }


@operation("ListAccessKeys", service="iam", read_only=True)
def list_access_keys(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html"""
    user = target_user(caller, request, "iam:ListAccessKeys")
    keys, envelope = page_of(identities.access_keys(user), request, order_field="access_key_id")
    metadata = [
        {**_user_name(user), "AccessKeyId": key.access_key_id, "Status": key.status, "CreateDate": key.created_at}
        for key in keys
    ]
    return {"AccessKeyMetadata": metadata, **envelope}


@operation("UpdateAccessKey", service="iam")
def update_access_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html"""
    user = target_user(caller, request, "iam:UpdateAccessKey")
    identities.update_access_key(user, request["AccessKeyId"], AccessKeyStatus(request["Status"]))
    return {}


@operation("DeleteAccessKey", service="iam")
def delete_access_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html"""
    user = target_user(caller, request, "iam:DeleteAccessKey")
    identities.delete_access_key(user, request["AccessKeyId"])
    return {}
