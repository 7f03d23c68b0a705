"""Creating workspaces, accounts, principals and access keys.

``create_workspace`` is what ``manage.py createworkspace`` scripts and what the console,
labs and classrooms call: two accounts (A and B), each with its root principal and an IAM
user ``admin`` whose identity policy allows everything, and the AWS managed keys.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from kmsconsole import rootkey

from .identity_policies import put_inline_policy
from .models import AccessKey, Account, Principal, PrincipalType, Workspace, new_unique_id

ACCOUNT_LABELS = ("A", "B")
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, indent=2
)
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


class WorkspaceExists(Exception):
    pass


@dataclass
class IssuedCredentials:
    """An access key as handed to its owner once; the secret is not kept in clear."""

    access_key_id: str
    secret_access_key: str = field(repr=False)


def access_key_purpose(access_key_id: str) -> str:
    return f"accesskey/{access_key_id}"


def new_account_id() -> str:
    while True:
        candidate = str(secrets.randbelow(9 * 10**11) + 10**11)
        if not Account.objects.filter(account_id=candidate).exists():
            return candidate


def create_principal(account: Account, kind: str, name: str, *, now: datetime, trust_policy: str = "") -> Principal:
    prefix = {PrincipalType.ROOT: "AIDA", PrincipalType.USER: "AIDA", PrincipalType.ROLE: "AROA"}[PrincipalType(kind)]
    return Principal.objects.create(
        account=account,
        kind=kind,
        name=name,
        unique_id=new_unique_id(prefix),
        trust_policy=trust_policy,
        created_at=now,
    )


def issue_access_key(principal: Principal, *, now: datetime) -> IssuedCredentials:
    """Create an access key for ``principal``; the only time its secret is returned."""
    access_key_id = new_unique_id("AKIA", length=20)
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
    AccessKey.objects.create(
        principal=principal,
        access_key_id=access_key_id,
        secret_wrapped=rootkey.seal(secret.encode(), purpose=access_key_purpose(access_key_id)),
        created_at=now,
    )
    return IssuedCredentials(access_key_id, secret)


@dataclass
class ProvisionedAccount:
    account: Account
    admin: Principal
    admin_credentials: IssuedCredentials


@dataclass
class ProvisionedWorkspace:
    workspace: Workspace
    accounts: list[ProvisionedAccount]

    def as_json(self) -> dict[str, object]:
        """The shape ``createworkspace --json`` prints, which other tools depend on."""
        return {
            "name": self.workspace.name,
            "region": self.workspace.region,
            "accounts": [
                {
                    "label": item.account.label,
                    "account_id": item.account.account_id,
                    "admin": {
                        "arn": item.admin.arn,
                        "access_key_id": item.admin_credentials.access_key_id,
                        "secret_access_key": item.admin_credentials.secret_access_key,
                    },
                }
                for item in self.accounts
            ],
        }


def create_workspace(name: str, *, region: str = "us-east-1", owner: User | None = None) -> ProvisionedWorkspace:
    """Create a workspace with accounts A and B, or raise ``WorkspaceExists``."""
    from kmsconsole.kms.managed import provision_managed_keys

    now = timezone.now()
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=name, region=region, owner=owner)
            accounts = [_provision_account(workspace, label, now=now) for label in ACCOUNT_LABELS]
            for item in accounts:
                provision_managed_keys(item.account, region, now=now)
    except IntegrityError:
        if Workspace.objects.filter(name=name).exists():
            raise WorkspaceExists(f"A workspace named {name!r} already exists.") from None
        raise
    return ProvisionedWorkspace(workspace, accounts)


def _provision_account(workspace: Workspace, label: str, *, now: datetime) -> ProvisionedAccount:
    account = Account.objects.create(workspace=workspace, label=label, account_id=new_account_id())
    create_principal(account, PrincipalType.ROOT, "root", now=now)
    admin = create_principal(account, PrincipalType.USER, "admin", now=now)
    put_inline_policy(admin, "AdministratorAccess", ADMIN_POLICY)
    return ProvisionedAccount(account, admin, issue_access_key(admin, now=now))
