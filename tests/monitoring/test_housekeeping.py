"""Expired STS session credentials are removed on their workspace's clock."""

import json
from datetime import timedelta

import pytest

from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.models import AccessKey
from kmsconsole.monitoring.housekeeping import expire_sessions


@pytest.fixture
def ws(workspace):
    return workspace.workspace


def assume(endpoint, alice, seconds: int) -> str:
    iam, sts = alice.client("iam", endpoint), alice.client("sts", endpoint)
    name = f"reader-{seconds}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": alice.arn},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    role_arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="lab-session", DurationSeconds=seconds)[
        "Credentials"
    ]
    return credentials["AccessKeyId"]


def test_it_deletes_sessions_once_they_have_expired(endpoint, alice, ws):
    short = assume(endpoint, alice, 900)
    long = assume(endpoint, alice, 3600)
    assert expire_sessions(workspace_id=ws.pk) == 0

    move_clock(ws, timedelta(minutes=16))
    assert expire_sessions(workspace_id=ws.pk) == 1
    assert expire_sessions(workspace_id=ws.pk) == 0
    assert not AccessKey.objects.filter(access_key_id=short).exists()
    assert AccessKey.objects.filter(access_key_id=long).exists()


def test_long_term_keys_are_never_swept(alice, ws):
    move_clock(ws, timedelta(days=3650))
    expire_sessions(workspace_id=ws.pk)
    assert AccessKey.objects.filter(access_key_id=alice.access_key_id).exists()


def test_a_sweep_works_in_batches(endpoint, alice, ws):
    assume(endpoint, alice, 900)
    assume(endpoint, alice, 1000)
    move_clock(ws, timedelta(hours=1))
    assert expire_sessions(workspace_id=ws.pk, batch_size=1) == 1
    assert expire_sessions(workspace_id=ws.pk, batch_size=1) == 1
    assert expire_sessions(workspace_id=ws.pk) == 0
