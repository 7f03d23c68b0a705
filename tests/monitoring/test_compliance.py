"""Compliance rules flipping as keys change through the API, and their timeline."""

import json
from datetime import timedelta

import pytest

from kmsconsole.iam.clock import move_clock
from kmsconsole.kms import scheduled
from kmsconsole.monitoring import compliance, notifications
from kmsconsole.monitoring.compliance import NO_PUBLIC_ACCESS, NOT_SCHEDULED_FOR_DELETION, ROTATION_ENABLED
from kmsconsole.monitoring.models import ComplianceType, NotificationKind, RuleEvaluation

COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = (
    ComplianceType.COMPLIANT,
    ComplianceType.NON_COMPLIANT,
    ComplianceType.NOT_APPLICABLE,
)


@pytest.fixture
def ws(workspace):
    return workspace.workspace


def result(ws, rule: str, arn: str) -> str:
    return RuleEvaluation.objects.get(workspace=ws, rule_name=rule, resource_arn=arn).compliance_type


def timeline(ws, rule: str, arn: str) -> list[tuple[str, str]]:
    changes = compliance.compliance_timeline(ws, rule_name=rule, resource_arn=arn)
    return [(c.old_compliance_type, c.new_compliance_type) for c in reversed(changes)]


def test_enabling_rotation_makes_a_new_key_compliant(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert result(ws, ROTATION_ENABLED, arn) == NON_COMPLIANT
    kms.enable_key_rotation(KeyId=arn)
    assert result(ws, ROTATION_ENABLED, arn) == COMPLIANT
    kms.disable_key_rotation(KeyId=arn)
    assert timeline(ws, ROTATION_ENABLED, arn) == [("", NON_COMPLIANT), (NON_COMPLIANT, COMPLIANT),
                                                   (COMPLIANT, NON_COMPLIANT)]  # fmt: skip


def test_scheduling_deletion_is_non_compliant_until_cancelled(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert result(ws, NOT_SCHEDULED_FOR_DELETION, arn) == COMPLIANT
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    evaluation = RuleEvaluation.objects.get(workspace=ws, rule_name=NOT_SCHEDULED_FOR_DELETION, resource_arn=arn)
    assert evaluation.compliance_type == NON_COMPLIANT
    assert evaluation.annotation.startswith("The key is scheduled for deletion on ")
    kms.cancel_key_deletion(KeyId=arn)
    assert result(ws, NOT_SCHEDULED_FOR_DELETION, arn) == COMPLIANT
    assert timeline(ws, NOT_SCHEDULED_FOR_DELETION, arn) == [("", COMPLIANT), (COMPLIANT, NON_COMPLIANT),
                                                             (NON_COMPLIANT, COMPLIANT)]  # fmt: skip


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def root_statement(account_id: str) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*",
            "Resource": "*"}  # fmt: skip


@pytest.mark.parametrize(
    "public",
    [
        {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["*"], "Resource": "*"},
    ],
)
def test_a_policy_allowing_kms_star_to_everyone_is_non_compliant(kms, ws, alice, public):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert result(ws, NO_PUBLIC_ACCESS, arn) == COMPLIANT
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy(root_statement(alice.account_id), public))
    evaluation = RuleEvaluation.objects.get(workspace=ws, rule_name=NO_PUBLIC_ACCESS, resource_arn=arn)
    assert (evaluation.compliance_type, evaluation.annotation) == (
        NON_COMPLIANT, "Statement 2 (Everyone) allows kms:* to every principal.",
    )  # fmt: skip
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy(root_statement(alice.account_id)))
    assert result(ws, NO_PUBLIC_ACCESS, arn) == COMPLIANT


def test_a_condition_or_a_narrow_action_makes_a_public_statement_acceptable(kms, ws, alice):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    conditioned = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
                   "Condition": {"StringEquals": {"kms:CallerAccount": alice.account_id}}}  # fmt: skip
    narrow = {"Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*"}
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy(root_statement(alice.account_id), conditioned,
                                                                      narrow))  # fmt: skip
    assert result(ws, NO_PUBLIC_ACCESS, arn) == COMPLIANT


def test_the_periodic_evaluation_covers_aws_managed_and_unrotatable_keys(kms, ws):
    hmac_arn = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    RuleEvaluation.objects.filter(workspace=ws).delete()  # as if the listener had never run
    changes = compliance.evaluate_rules(workspace_id=ws.pk)
    assert changes == 29 * 3  # 28 AWS managed keys and ours, three rules each
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    assert result(ws, ROTATION_ENABLED, managed) == COMPLIANT
    assert result(ws, ROTATION_ENABLED, hmac_arn) == NOT_APPLICABLE
    assert compliance.evaluate_rules(workspace_id=ws.pk) == 0


def test_a_deleted_key_leaves_every_rule_as_not_applicable(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    move_clock(ws, timedelta(days=8))
    assert scheduled.expire_pending_deletions(workspace_id=ws.pk).processed == 1
    # The sweep runs in this process, so its DeleteKey event's reaction ran here too.
    assert {r.compliance_type for r in RuleEvaluation.objects.filter(workspace=ws, resource_arn=arn)} == {
        NOT_APPLICABLE
    }
    assert timeline(ws, NOT_SCHEDULED_FOR_DELETION, arn)[-1] == (NON_COMPLIANT, NOT_APPLICABLE)


def test_the_rule_list_summarises_each_rule(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=arn)
    other = kms.create_key()["KeyMetadata"]["Arn"]
    summaries = {s.name: s for s in compliance.list_rules(ws)}
    assert set(summaries) == {NOT_SCHEDULED_FOR_DELETION, ROTATION_ENABLED, NO_PUBLIC_ACCESS}
    rotation = summaries[ROTATION_ENABLED]
    assert (rotation.compliance_type, rotation.compliant_count, rotation.non_compliant_count) == (NON_COMPLIANT, 1, 1)
    assert summaries[NO_PUBLIC_ACCESS].compliance_type == COMPLIANT
    assert [r.resource_arn for r in compliance.rule_resources(ws, ROTATION_ENABLED, compliance_type=NON_COMPLIANT)] == [
        other
    ]


def test_rule_changes_reach_the_inbox(kms, ws):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=arn)
    subjects = [n.subject for n in notifications.inbox(ws) if n.kind == NotificationKind.COMPLIANCE_CHANGE]
    assert subjects == [f"{ROTATION_ENABLED}: {arn} is COMPLIANT", f"{ROTATION_ENABLED}: {arn} is NON_COMPLIANT"]
