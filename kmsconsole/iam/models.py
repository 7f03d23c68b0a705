"""Tenancy and identity: workspaces, accounts, principals, access keys, identity policies.

A workspace is one isolated AWS-like world. Every query that serves a request is scoped
to the workspace of the caller's access key, so nothing in one workspace can see or name
anything in another, even by guessing an ARN.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

_ID_ALPHABET = string.ascii_uppercase + "234567"


def new_unique_id(prefix: str, *, length: int = 21) -> str:
    """An IAM identifier: a type prefix (``AIDA`` user, ``AROA`` role, ``ANPA`` managed
    policy, ``ASIA`` temporary access key) and random base-32 characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length - len(prefix)))


class Workspace(models.Model):
    name = models.CharField(max_length=64, unique=True)
    region = models.CharField(max_length=32, default="us-east-1")
    clock_offset = models.DurationField(default=timedelta(0))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_workspaces",
    )
    # Console users the owner (or an instructor) granted access to this workspace.
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="shared_workspaces")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def now(self) -> datetime:
        """The workspace clock: real time plus the offset labs fast-forward."""
        return timezone.now() + self.clock_offset


class Account(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accounts")
    label = models.CharField(max_length=16)
    account_id = models.CharField(max_length=12, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "label"], name="account_label_unique")]
        ordering = ["label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.account_id})"

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


class PrincipalType(models.TextChoices):
    """CloudTrail's ``userIdentity.type`` for each kind of principal."""

    ROOT = "Root"
    USER = "IAMUser"
    ROLE = "Role"


DEFAULT_MAX_SESSION_SECONDS = 3600


class Principal(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="principals")
    kind = models.CharField(max_length=16, choices=PrincipalType.choices)
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)
    trust_policy = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    description = models.CharField(max_length=1000, blank=True, default="")
    # Roles only: the longest session AssumeRole may grant (AWS allows 1 to 12 hours).
    max_session_duration = models.PositiveIntegerField(default=DEFAULT_MAX_SESSION_SECONDS)
    # IAM tags as {key: value}; policies read them as aws:PrincipalTag/<key>.
    tags = models.JSONField(default=dict, blank=True)
    # Bumped by every change to the identity's inline or attached policies, so that parsed
    # policies can be cached per (principal, revision) in every process.
    policy_revision = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind", "name"], name="principal_name_unique")]

    def __str__(self) -> str:
        return self.arn

    def bump_policy_revision(self) -> None:
        """Mark the identity's policies as changed (an atomic increment, safe under
        concurrent changes)."""
        Principal.objects.filter(pk=self.pk).update(policy_revision=models.F("policy_revision") + 1)
        self.refresh_from_db(fields=["policy_revision"])

    @property
    def arn(self) -> str:
        account_id = self.account.account_id
        if self.kind == PrincipalType.ROOT:
            return f"arn:aws:iam::{account_id}:root"
        resource = "user" if self.kind == PrincipalType.USER else "role"
        return f"arn:aws:iam::{account_id}:{resource}{self.path}{self.name}"


class AccessKeyStatus(models.TextChoices):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class AccessKey(models.Model):
    """An access key: a user's long-term key (``AKIA...``) or the temporary key of a role
    session that AssumeRole issued (``ASIA...``). The secret is stored wrapped under the
    root key, because SigV4 verification needs it back in clear; it is never stored or
    logged otherwise.

    A session is an access key row rather than a table of its own because a request
    signed with it is authenticated exactly like any other (same lookup, same secret
    handling); only the three session columns, set together or not at all, tell the two
    apart. The session token is kept as a SHA-256 hash: it is a bearer value the client
    presents, and the server only ever needs to compare it.
    """

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="access_keys")
    access_key_id = models.CharField(max_length=32, unique=True)
    secret_wrapped = models.BinaryField()
    status = models.CharField(max_length=16, choices=AccessKeyStatus.choices, default=AccessKeyStatus.ACTIVE)
    created_at = models.DateTimeField()
    # Role sessions only (``principal`` is then the role).
    session_name = models.CharField(max_length=64, blank=True, default="")
    session_token_hash = models.CharField(max_length=64, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(session_name="", session_token_hash="", expires_at__isnull=True)
                    | (
                        ~models.Q(session_name="")
                        & ~models.Q(session_token_hash="")
                        & models.Q(expires_at__isnull=False)
                    )
                ),
                name="access_key_session_all_or_none",
            )
        ]

    def __str__(self) -> str:
        return self.access_key_id

    @property
    def is_session(self) -> bool:
        return self.session_name != ""

    @property
    def assumed_role_arn(self) -> str:
        """``arn:aws:sts::<account>:assumed-role/<role>/<session>`` (a role's path is not part of it)."""
        account_id = self.principal.account.account_id
        return f"arn:aws:sts::{account_id}:assumed-role/{self.principal.name}/{self.session_name}"

    @property
    def assumed_role_id(self) -> str:
        """``aws:userid`` of the session: the role's unique id and the session name."""
        return f"{self.principal.unique_id}:{self.session_name}"


class IdentityPolicy(models.Model):
    """An inline identity policy attached to a user or role."""

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="inline_policies")
    name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "name"], name="inline_policy_unique")]

    def __str__(self) -> str:
        return f"{self.principal_id}:{self.name}"


class ManagedPolicy(models.Model):
    """A customer managed policy: a standalone identity policy that can be attached to
    several users and roles. Only one version (``v1``) is kept; policy versions are not
    emulated, so the document is edited by no operation."""

    DEFAULT_VERSION_ID = "v1"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="managed_policies")
    name = models.CharField(max_length=128)
    path = models.CharField(max_length=512, default="/")
    arn = models.CharField(max_length=2048, unique=True)
    policy_id = models.CharField(max_length=32, unique=True)
    document = models.TextField()
    description = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="managed_policy_name_unique")]

    def __str__(self) -> str:
        return self.arn

    @staticmethod
    def arn_for(account_id: str, path: str, name: str) -> str:
        return f"arn:aws:iam::{account_id}:policy{path}{name}"


class PolicyAttachment(models.Model):
    """A managed policy attached to a user or role."""

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="policy_attachments")
    policy = models.ForeignKey(ManagedPolicy, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "policy"], name="policy_attachment_unique")]

    def __str__(self) -> str:
        return f"{self.principal_id}->{self.policy_id}"
