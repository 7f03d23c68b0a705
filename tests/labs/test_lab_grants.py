"""The grants lab: its checks on a fresh start, on realistic mistakes, and after the solution."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from lab_support import assert_everything_passes, assert_nothing_passes

pytestmark = pytest.mark.live

SLUG = "grants"


def test_nothing_passes_on_a_fresh_start(lab_run):
    assert_nothing_passes(lab_run(SLUG))


def test_an_unconstrained_grant_revoked_by_the_administrator_is_caught_then_the_solution_passes(lab_run):
    run = lab_run(SLUG)
    kms = run.session.client("kms")
    key_id = run.session.key_id("orders-key")
    service = run.session.user_arn("service")
    # The usual first attempt: no constraint, and the administrator removes the grant
    # when the job is done instead of letting the service retire it.
    grant = kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=service,
        RetiringPrincipal=service,
        Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
    )
    kms.revoke_grant(KeyId=key_id, GrantId=grant["GrantId"])

    results = run.check_all()

    [constrained] = results["create-service-grant"]
    assert not constrained.passed
    assert "no constraints" in constrained.reason
    assert "EncryptionContextSubset={department=orders}" in constrained.reason
    [retired] = results["retire-when-done"]
    assert not retired.passed
    assert "RevokeGrant" in retired.reason and "should retire its grant" in retired.reason

    run.solve()
    assert_everything_passes(run)


def test_using_the_key_as_the_administrator_is_not_using_the_grant(lab_run):
    run = lab_run(SLUG)
    run.session.client("kms").generate_data_key(
        KeyId=run.session.alias("orders-key"), KeySpec="AES_256", EncryptionContext={"department": "orders"}
    )

    used, _ = run.check_all()["use-grant-token"]

    assert not used.passed
    assert "administrator, not the service" in used.reason


def test_a_denial_before_any_grant_existed_is_not_the_constraint_at_work(lab_run):
    run = lab_run(SLUG)
    service_kms = run.session.client("kms", user="service")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        service_kms.generate_data_key(
            KeyId=run.session.alias("orders-key"), KeySpec="AES_256", EncryptionContext={"department": "finance"}
        )

    _, refused = run.check_all()["use-grant-token"]

    assert not refused.passed
    assert "not by the grant's constraint" in refused.reason
