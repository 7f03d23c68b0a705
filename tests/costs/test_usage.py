"""The workspace's real usage: its keys and the billable calls of its audit trail, read
on the workspace clock. Calls go through the operations, as the API and console make them."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from kmsconsole.costs.estimate import estimate
from kmsconsole.costs.pricing import RequestFamily
from kmsconsole.costs.usage import workspace_usage
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.models import Key
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return create_workspace(f"costs-{uuid.uuid4().hex[:8]}")


def admin_of(world, label="A"):
    """The account's admin, read afresh so that its workspace clock is the current one."""
    account = next(item for item in world.accounts if item.account.label == label)
    return Caller(principal=Principal.objects.get(pk=account.admin.pk), region="us-east-1")


def call(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def counts(usage):
    return {(request.operation, request.family): request.count for request in usage.requests}


def test_it_counts_customer_keys_by_spec_and_leaves_keys_pending_deletion_unbilled(world):
    admin = admin_of(world)
    call(admin, "CreateKey")
    replica = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    # kmsconsole cannot replicate keys yet: mark one as a multi-Region replica would be.
    Key.objects.filter(key_id=replica).update(multi_region=True)
    call(admin, "CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})
    doomed = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    call(admin, "ScheduleKeyDeletion", {"KeyId": doomed, "PendingWindowInDays": 7})
    call(admin_of(world, "B"), "CreateKey")

    usage = workspace_usage(world.workspace)

    assert usage.customer_keys_by_spec == {"SYMMETRIC_DEFAULT": 3, "ECC_NIST_P256": 1}
    assert usage.multi_region_keys == 1
    assert usage.keys_pending_deletion == 1
    assert usage.aws_managed_keys > 0
    assert estimate(usage).cost_of("Customer managed keys") == Decimal(4)


def test_it_counts_successful_calls_by_operation_and_price_family(world):
    admin = admin_of(world)
    key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    signing_key = call(admin, "CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})["KeyMetadata"]
    blob = call(admin, "Encrypt", {"KeyId": key_id, "Plaintext": b"x"})["CiphertextBlob"]
    for _ in range(3):
        call(admin, "Decrypt", {"CiphertextBlob": blob})
    call(admin, "Sign", {"KeyId": signing_key["KeyId"], "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"})
    call(admin, "DescribeKey", {"KeyId": key_id})
    with pytest.raises(AWSError):
        call(admin_of(world, "B"), "Encrypt", {"KeyId": signing_key["Arn"], "Plaintext": b"x"})

    usage = workspace_usage(world.workspace)

    assert counts(usage) == {
        ("CreateKey", RequestFamily.OTHER): 2,
        ("Encrypt", RequestFamily.SYMMETRIC): 1,
        ("Decrypt", RequestFamily.SYMMETRIC): 3,
        ("Sign", RequestFamily.ASYMMETRIC): 1,
        ("DescribeKey", RequestFamily.FREE): 1,
    }
    assert usage.requests[0].operation == "Decrypt"


def test_the_window_ends_at_the_workspace_clock_and_forgets_older_calls(world):
    admin = admin_of(world)
    call(admin, "ListKeys")
    move_clock(world.workspace, timedelta(days=8))
    call(admin_of(world), "ListAliases")

    week = workspace_usage(world.workspace, window_days=7)
    month = workspace_usage(world.workspace, window_days=30)

    assert counts(week) == {("ListAliases", RequestFamily.FREE): 1}
    assert counts(month) == {("ListKeys", RequestFamily.FREE): 1, ("ListAliases", RequestFamily.FREE): 1}


def test_another_workspaces_keys_and_calls_are_not_counted(world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    call(admin_of(stranger), "CreateKey")
    assert workspace_usage(world.workspace).customer_keys == 0
    assert workspace_usage(world.workspace).requests == ()


def test_it_reads_the_usage_in_two_queries_whatever_the_size(world, django_assert_num_queries):
    admin = admin_of(world)
    for _ in range(5):
        call(admin, "CreateKey")
    with django_assert_num_queries(2):
        workspace_usage(world.workspace)


def test_a_window_under_a_day_is_refused(world):
    with pytest.raises(ValueError, match="at least 1 day"):
        workspace_usage(world.workspace, window_days=0)
