"""Fixtures the console's page tests share: a signed-in learner with a workspace of their
own, and that workspace's account A root as a caller for setting the scene."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import User

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.provisioning import ProvisionedWorkspace, create_workspace


@pytest.fixture
def learner(client) -> ProvisionedWorkspace:
    """A new user, signed in on ``client``, owning a new workspace (``.user`` is the user)."""
    user = User.objects.create_user(f"learner-{uuid.uuid4().hex[:8]}", password="pw-for-tests-only")
    provisioned = create_workspace(f"console-{uuid.uuid4().hex[:8]}", owner=user)
    client.force_login(user)
    provisioned.user = user  # type: ignore[attr-defined]
    return provisioned


@pytest.fixture
def root(learner: ProvisionedWorkspace) -> Caller:
    account = learner.workspace.accounts.get(label="A")
    return Caller(principal=account.principals.get(kind="Root"), region=learner.workspace.region)
