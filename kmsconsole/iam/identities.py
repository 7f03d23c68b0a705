"""IAM users and roles of one account, and users' long-term access keys.

These functions act on one account's rows and raise IAM's errors with IAM's messages;
they do not authorize. The IAM operations (``iam/operations/``) authorize and audit,
then call them; labs and the console may call them directly to set a scene.

IAM names are unique within an account regardless of case (``Admins`` and ``admins``
cannot both exist) and are found regardless of case, as IAM does; users and roles have
separate namespaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from kmsconsole.engine import shapes
from kmsconsole.engine.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity

from .identity_policies import check_trust_policy
from .models import (
    DEFAULT_MAX_SESSION_SECONDS,
    AccessKey,
    AccessKeyStatus,
    Account,
    Principal,
    PrincipalType,
    Workspace,
    new_unique_id,
)
from .provisioning import IssuedCredentials, issue_access_key

ACCESS_KEYS_PER_USER = 2


def _validate(operation: str, params: Mapping[str, Any]) -> None:
    """Check arguments against the IAM model, so that callers other than the API get the
    same ``ValidationError`` the API would."""
    shapes.validate_input("iam", operation, {k: v for k, v in params.items() if v is not None})


# ---------------------------------------------------------------- users


def create_user(
    account: Account, name: str, *, now: datetime, path: str = "/", tags: Mapping[str, str] | None = None
) -> Principal:
    _validate("CreateUser", {"UserName": name, "Path": path})
    return _create_principal(account, PrincipalType.USER, name, created_at=now, path=path, tags=dict(tags or {}))


def get_user(account: Account, name: str) -> Principal:
    return _find(account, PrincipalType.USER, name)


def users(account: Account, *, path_prefix: str = "/") -> QuerySet[Principal]:
    return _listed(account, PrincipalType.USER, path_prefix)


def delete_user(account: Account, name: str) -> None:
    """Delete a user that no longer has access keys or policies (DeleteUser)."""
    user = get_user(account, name)
    if access_keys(user).exists():
        raise DeleteConflict("Cannot delete entity, must delete access keys first.")
    _require_no_policies(user)
    user.delete()


# ---------------------------------------------------------------- roles


def create_role(
    account: Account,
    name: str,
    trust_policy: str,
    *,
    now: datetime,
    path: str = "/",
    description: str = "",
    max_session_duration: int = DEFAULT_MAX_SESSION_SECONDS,
    tags: Mapping[str, str] | None = None,
) -> Principal:
    _validate(
        "CreateRole",
        {
            "RoleName": name,
            "AssumeRolePolicyDocument": trust_policy,
            "Path": path,
            "Description": description,
            "MaxSessionDuration": max_session_duration,
        },
    )
    check_trust_policy(trust_policy)
    return _create_principal(
        account,
        PrincipalType.ROLE,
        name,
        created_at=now,
        path=path,
        trust_policy=trust_policy,
        description=description,
        max_session_duration=max_session_duration,
        tags=dict(tags or {}),
    )


def get_role(account: Account, name: str) -> Principal:
    return _find(account, PrincipalType.ROLE, name)


def roles(account: Account, *, path_prefix: str = "/") -> QuerySet[Principal]:
    return _listed(account, PrincipalType.ROLE, path_prefix)


def delete_role(account: Account, name: str) -> None:
    """Delete a role without policies (DeleteRole). Its sessions' keys go with it, so
    credentials issued for the role stop working at once."""
    role = get_role(account, name)
    _require_no_policies(role)
    role.delete()


def update_assume_role_policy(account: Account, name: str, trust_policy: str) -> Principal:
    role = get_role(account, name)
    check_trust_policy(trust_policy)
    role.trust_policy = trust_policy
    role.save(update_fields=["trust_policy"])
    return role


def role_by_arn(workspace: Workspace, role_arn: str) -> Principal | None:
    """The role ``arn:aws:iam::<account>:role[/path/]<name>`` in ``workspace``, or None.
    The path must be the role's own; the name matches regardless of case."""
    prefix, separator, resource = role_arn.partition(":role/")
    parts = prefix.split(":")
    if not separator or len(parts) != 5 or parts[:3] != ["arn", "aws", "iam"] or parts[3]:
        return None
    path, _, name = ("/" + resource).rpartition("/")
    return (
        Principal.objects.select_related("account")
        .filter(
            account__workspace=workspace,
            account__account_id=parts[4],
            kind=PrincipalType.ROLE,
            name__iexact=name,
            path=path + "/",
        )
        .first()
    )


# ---------------------------------------------------------------- access keys


def create_access_key(user: Principal, *, now: datetime) -> IssuedCredentials:
    """Issue a long-term access key for a user (or the account root); at most two each."""
    if access_keys(user).count() >= ACCESS_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
    return issue_access_key(user, now=now)


def access_keys(user: Principal) -> QuerySet[AccessKey]:
    """A user's long-term keys (never the temporary keys of role sessions)."""
    return user.access_keys.filter(session_name="").order_by("access_key_id")


def access_key(user: Principal, access_key_id: str) -> AccessKey:
    key = access_keys(user).filter(access_key_id=access_key_id).first()
    if key is None:
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
    return key


def update_access_key(user: Principal, access_key_id: str, status: AccessKeyStatus) -> None:
    key = access_key(user, access_key_id)
    key.status = status
    key.save(update_fields=["status"])


def delete_access_key(user: Principal, access_key_id: str) -> None:
    access_key(user, access_key_id).delete()


# ---------------------------------------------------------------- shared


def _create_principal(account: Account, kind: PrincipalType, name: str, **fields: Any) -> Principal:
    noun = "User" if kind == PrincipalType.USER else "Role"
    duplicate = EntityAlreadyExists(f"{noun} with name {name} already exists.")
    if Principal.objects.filter(account=account, kind=kind, name__iexact=name).exists():
        raise duplicate
    prefix = "AIDA" if kind == PrincipalType.USER else "AROA"
    try:
        with transaction.atomic():
            return Principal.objects.create(
                account=account, kind=kind, name=name, unique_id=new_unique_id(prefix), **fields
            )
    except IntegrityError:
        raise duplicate from None


def _find(account: Account, kind: PrincipalType, name: str) -> Principal:
    principal = Principal.objects.filter(account=account, kind=kind, name__iexact=name).first()
    if principal is None:
        noun = "user" if kind == PrincipalType.USER else "role"
        raise NoSuchEntity(f"The {noun} with name {name} cannot be found.")
    return principal


def _listed(account: Account, kind: PrincipalType, path_prefix: str) -> QuerySet[Principal]:
    rows = Principal.objects.filter(account=account, kind=kind, path__startswith=path_prefix)
    return rows.select_related("account").order_by("name")


def _require_no_policies(principal: Principal) -> None:
    """IAM refuses to delete an identity that still has policies, in this order."""
    if principal.inline_policies.exists():
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if principal.policy_attachments.exists():
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
