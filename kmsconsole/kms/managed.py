"""AWS managed keys (``alias/aws/<service>``), present in every account for teaching.

AWS creates a managed key the first time a service, or DescribeKey on the predefined
alias, needs it; we do the same for regions other than the workspace's home region, where
they are provisioned with the account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from kmsconsole.engine.enums import KeyManager, KeySpec, KeyUsage
from kmsconsole.iam.models import Account

from .creation import create_key_row
from .models import Alias, Key
from .policies import aws_managed_key_policy

AWS_MANAGED_SERVICES = (
    "s3",
    "ebs",
    "rds",
    "lambda",
    "ssm",
    "secretsmanager",
    "dynamodb",
    "sns",
    "sqs",
    "kinesis",
    "redshift",
    "elasticfilesystem",
    "backup",
    "acm",
)
_MANAGED_ROTATION_DAYS = 365


def managed_alias_service(alias_name: str) -> str | None:
    service = alias_name.removeprefix("alias/aws/")
    return service if alias_name.startswith("alias/aws/") and service in AWS_MANAGED_SERVICES else None


def managed_key_for_alias(account: Account, region: str, alias_name: str, *, now: datetime) -> Key | None:
    """The managed key behind a predefined alias, created on first use; None for any
    other name."""
    service = managed_alias_service(alias_name)
    if service is None:
        return None
    try:
        with transaction.atomic():
            return create_managed_key(account, region, service, now=now)
    except IntegrityError:
        # Another request created it a moment ago: use that one.
        return Alias.objects.select_related("key__account").get(account=account, region=region, name=alias_name).key


def create_managed_key(account: Account, region: str, service: str, *, now: datetime) -> Key:
    key = create_key_row(
        account,
        region,
        key_spec=KeySpec.SYMMETRIC_DEFAULT,
        key_usage=KeyUsage.ENCRYPT_DECRYPT,
        policy=aws_managed_key_policy(account.account_id, region, service),
        now=now,
        description=f"Default key that protects my {service.upper()} data when no other key is defined",
        key_manager=KeyManager.AWS,
        managed_service=service,
    )
    key.rotation_enabled = True
    key.rotation_period_days = _MANAGED_ROTATION_DAYS
    key.next_rotation_date = now + timedelta(days=_MANAGED_ROTATION_DAYS)
    key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_date"])
    Alias.objects.create(
        account=account,
        region=region,
        name=f"alias/aws/{service}",
        key=key,
        creation_date=now,
        last_updated_date=now,
    )
    return key


def provision_managed_keys(account: Account, region: str, *, now: datetime) -> list[Key]:
    return [create_managed_key(account, region, service, now=now) for service in AWS_MANAGED_SERVICES]
