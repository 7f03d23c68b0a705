"""KMS state: keys, their material versions, aliases, tags and grants.

Only the operations in ``kmsconsole.kms.operations`` change these rows. Material is
stored wrapped under the root key; ``Key.arn`` is stored so that a key named by ARN is
found with one indexed lookup.
"""

from __future__ import annotations

from django.db import models

from kmsconsole.engine.enums import KeyManager, KeyState, Origin
from kmsconsole.iam.models import Account


class Key(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="keys")
    region = models.CharField(max_length=32)
    key_id = models.CharField(max_length=64, unique=True)
    arn = models.CharField(max_length=160, unique=True)
    description = models.TextField(blank=True, default="")
    key_spec = models.CharField(max_length=32)
    key_usage = models.CharField(max_length=32)
    origin = models.CharField(max_length=32, default=Origin.AWS_KMS)
    key_manager = models.CharField(max_length=16, default=KeyManager.CUSTOMER)
    key_state = models.CharField(max_length=32, default=KeyState.ENABLED)
    multi_region = models.BooleanField(default=False)
    creation_date = models.DateTimeField()
    deletion_date = models.DateTimeField(null=True, blank=True)
    pending_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    policy = models.TextField()
    # Bumped whenever the policy changes, so cached authorization decisions expire.
    policy_revision = models.PositiveIntegerField(default=1)
    rotation_enabled = models.BooleanField(default=False)
    rotation_period_days = models.PositiveSmallIntegerField(null=True, blank=True)
    next_rotation_date = models.DateTimeField(null=True, blank=True)
    on_demand_rotation_count = models.PositiveSmallIntegerField(default=0)
    current_material_version = models.PositiveIntegerField(default=1)
    # For AWS managed keys: the service whose alias/aws/<service> names the key.
    managed_service = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["account", "region", "key_id"], name="key_list_idx"),
            models.Index(fields=["key_state", "deletion_date"], name="key_deletion_due_idx"),
            models.Index(fields=["rotation_enabled", "next_rotation_date"], name="key_rotation_due_idx"),
        ]

    def __str__(self) -> str:
        return self.arn

    @property
    def enabled(self) -> bool:
        return self.key_state == KeyState.ENABLED


class KeyMaterial(models.Model):
    """One immutable version of a key's material. Rotation adds a version; ciphertext
    names the version it was made with, so decrypt never has to guess."""

    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="materials")
    version = models.PositiveIntegerField()
    material_id = models.CharField(max_length=64)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField()
    rotation_type = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="material_version_unique")]
        ordering = ["version"]

    def __str__(self) -> str:
        return f"{self.key_id}/v{self.version}"


class Alias(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="aliases")
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=256)
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="aliases")
    creation_date = models.DateTimeField()
    last_updated_date = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "region", "name"], name="alias_name_unique")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account.account_id}:{self.name}"


class Tag(models.Model):
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="tags")
    tag_key = models.CharField(max_length=128)
    tag_value = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "tag_key"], name="tag_key_unique")]
        ordering = ["tag_key"]

    def __str__(self) -> str:
        return f"{self.tag_key}={self.tag_value}"


class Grant(models.Model):
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="grants")
    grant_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=256, blank=True, default="")
    grantee_principal = models.CharField(max_length=256)
    retiring_principal = models.CharField(max_length=256, blank=True, default="")
    operations = models.JSONField(default=list)
    constraints = models.JSONField(null=True, blank=True)
    issuing_account = models.CharField(max_length=64)
    creation_date = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["key", "grant_id"], name="grant_list_idx"),
            models.Index(fields=["key", "name"], name="grant_name_idx"),
            models.Index(fields=["retiring_principal", "grant_id"], name="grant_retirable_idx"),
        ]
        ordering = ["grant_id"]

    def __str__(self) -> str:
        return self.grant_id


def material_purpose(key_id: str, version: int) -> str:
    """The AAD that binds a wrapped material blob to its key and version."""
    return f"key/{key_id}/{version}"
