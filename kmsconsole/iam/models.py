"""Tenancy and identity: workspaces, accounts, principals, access keys, identity policies.

A workspace is one isolated AWS-like world. Every query that serves a request is scoped
to the workspace of the caller's access key, so nothing in one workspace can see or name
anything in another, even by guessing an ARN.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


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


class Principal(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="principals")
    kind = models.CharField(max_length=16, choices=PrincipalType.choices)
    name = models.CharField(max_length=64)
    path = models.CharField(max_length=512, default="/")
    unique_id = models.CharField(max_length=32, unique=True)
    trust_policy = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "kind", "name"], name="principal_name_unique")]

    def __str__(self) -> str:
        return self.arn

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
    """A long-term access key. The secret is stored wrapped under the root key, because
    SigV4 verification needs it back in clear; it is never stored or logged otherwise."""

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="access_keys")
    access_key_id = models.CharField(max_length=32, unique=True)
    secret_wrapped = models.BinaryField()
    status = models.CharField(max_length=16, choices=AccessKeyStatus.choices, default=AccessKeyStatus.ACTIVE)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.access_key_id


class IdentityPolicy(models.Model):
    """An inline identity policy attached to a user or role."""

    principal = models.ForeignKey(Principal, on_delete=models.CASCADE, related_name="inline_policies")
    name = models.CharField(max_length=128)
    document = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "name"], name="inline_policy_unique")]

    def __str__(self) -> str:
        return f"{self.principal_id}:{self.name}"
