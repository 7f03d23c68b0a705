"""``rotate_key_material``, the function RotateKeyOnDemand and the scheduled sweep share,
called directly on keys made through the ORM."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from kmsconsole.engine.enums import KeySpec, KeyUsage, RotationType
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms import materials
from kmsconsole.kms.creation import create_key_row
from kmsconsole.kms.models import Key
from kmsconsole.kms.policies import default_key_policy
from kmsconsole.kms.rotation import rotate_key_material


@pytest.fixture
def key(orm):
    account = create_workspace(f"rotation-{uuid.uuid4().hex[:12]}").accounts[0].account
    return create_key_row(
        account,
        "us-east-1",
        key_spec=KeySpec.SYMMETRIC_DEFAULT,
        key_usage=KeyUsage.ENCRYPT_DECRYPT,
        policy=default_key_policy(account.account_id),
        now=timezone.now(),
    )


def enable_rotation(key, *, period_days, due):
    key.rotation_enabled = True
    key.rotation_period_days = period_days
    key.next_rotation_date = due
    key.save(update_fields=["rotation_enabled", "rotation_period_days", "next_rotation_date"])


def test_it_adds_the_next_material_version_and_makes_it_current(key):
    now = timezone.now()
    original = materials.material(key)

    row = rotate_key_material(key, now=now, rotation_type=RotationType.ON_DEMAND)

    stored = Key.objects.get(pk=key.pk)
    assert (row.version, stored.current_material_version) == (2, 2)
    assert (row.created_at, row.rotation_type) == (now, RotationType.ON_DEMAND)
    assert materials.material(stored).material_id == row.material_id != original.material_id
    assert materials.material_bytes(stored, 1) == original.secret
    assert materials.material_bytes(stored) != original.secret


def test_an_on_demand_rotation_counts_and_keeps_the_schedule(key):
    due = timezone.now() + timedelta(days=30)
    enable_rotation(key, period_days=365, due=due)

    rotate_key_material(key, now=timezone.now(), rotation_type=RotationType.ON_DEMAND)

    stored = Key.objects.get(pk=key.pk)
    assert stored.on_demand_rotation_count == 1
    assert stored.next_rotation_date == due


def test_an_automatic_rotation_moves_the_due_date_one_period_on(key):
    due = timezone.now() - timedelta(minutes=5)
    enable_rotation(key, period_days=90, due=due)

    rotate_key_material(key, now=timezone.now(), rotation_type=RotationType.AUTOMATIC)

    stored = Key.objects.get(pk=key.pk)
    assert stored.next_rotation_date == due + timedelta(days=90)
    assert stored.on_demand_rotation_count == 0
    assert stored.current_material_version == 2


def test_a_key_that_missed_rotations_restarts_its_schedule_from_now(key):
    now = timezone.now()
    enable_rotation(key, period_days=90, due=now - timedelta(days=400))

    rotate_key_material(key, now=now, rotation_type=RotationType.AUTOMATIC)

    assert Key.objects.get(pk=key.pk).next_rotation_date == now + timedelta(days=90)


def test_successive_rotations_keep_every_version(key):
    now = timezone.now()
    for _ in range(3):
        rotate_key_material(key, now=now, rotation_type=RotationType.ON_DEMAND)
    versions = list(key.materials.values_list("version", "rotation_type"))
    assert versions == [(1, ""), (2, "ON_DEMAND"), (3, "ON_DEMAND"), (4, "ON_DEMAND")]
    assert len({materials.material(key, version).secret for version in range(1, 5)}) == 4
