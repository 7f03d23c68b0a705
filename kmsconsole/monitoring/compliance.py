"""AWS Config-style compliance rules over a workspace's keys.

Three rules, always on in every workspace:

- ``kms-cmk-not-scheduled-for-deletion`` (AWS Config managed rule): a key pending
  deletion is NON_COMPLIANT.
- ``cmk-backing-key-rotation-enabled`` (AWS Config managed rule): a customer managed
  symmetric key with AWS_KMS material and automatic rotation off is NON_COMPLIANT. AWS
  managed keys rotate every year and are COMPLIANT; keys that cannot rotate
  automatically (asymmetric, HMAC, imported material) are NOT_APPLICABLE, as the
  rule's documentation says rotation is not supported for them.
- ``kms-key-policy-no-public-access`` (the guide's "Granting kms:* permissions is lazy
  and dangerous"): a key policy with an unconditional Allow of ``kms:*`` (or ``*``) to
  every principal (``"*"`` or ``{"AWS": "*"}``) is NON_COMPLIANT.

Each key's result per rule is stored (``RuleEvaluation``) and every change is appended
to a timeline (``ComplianceChange``). A deleted key's results become NOT_APPLICABLE, as
AWS Config reports resources that left a rule's scope. Rules are evaluated when an
audited change may affect them (``listeners``) and periodically for every key
(``evaluate_rules``), which also catches keys created outside any audited call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q

from kmsconsole.engine.enums import KeyManager, KeySpec, KeyState, Origin
from kmsconsole.engine.policy import InvalidPolicyDocument, parse_policy
from kmsconsole.iam.models import Workspace
from kmsconsole.kms.models import Key

from .models import ComplianceChange, ComplianceType, NotificationKind, RuleEvaluation
from .notifications import Notice, notify_many

NOT_SCHEDULED_FOR_DELETION = "kms-cmk-not-scheduled-for-deletion"
ROTATION_ENABLED = "cmk-backing-key-rotation-enabled"
NO_PUBLIC_ACCESS = "kms-key-policy-no-public-access"
CHUNK_SIZE = int(os.environ.get("KMSCONSOLE_COMPLIANCE_CHUNK_SIZE", "500"))


@dataclass(frozen=True)
class Result:
    compliance_type: ComplianceType
    annotation: str = ""


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[Key], Result]


def _not_scheduled_for_deletion(key: Key) -> Result:
    if key.key_state == KeyState.PENDING_DELETION:
        return Result(
            ComplianceType.NON_COMPLIANT, f"The key is scheduled for deletion on {key.deletion_date:%Y-%m-%d}."
        )
    return Result(ComplianceType.COMPLIANT)


def _rotation_enabled(key: Key) -> Result:
    if key.key_manager == KeyManager.AWS:
        return Result(ComplianceType.COMPLIANT, "AWS managed keys rotate every year.")
    if key.key_spec != KeySpec.SYMMETRIC_DEFAULT or key.origin != Origin.AWS_KMS:
        return Result(ComplianceType.NOT_APPLICABLE, "Automatic rotation is not supported for this key.")
    if not key.rotation_enabled:
        return Result(ComplianceType.NON_COMPLIANT, "Automatic key rotation is not enabled.")
    return Result(ComplianceType.COMPLIANT)


def _no_public_access(key: Key) -> Result:
    try:
        policy = parse_policy(key.policy, kind="key")
    except InvalidPolicyDocument:
        return Result(ComplianceType.NOT_APPLICABLE, "The key policy could not be parsed.")
    for statement in policy.statements:
        everyone = statement.principal is not None and ("AWS", "*") in statement.principal
        all_actions = any(action.lower() in ("kms:*", "*") for action in statement.action or ())
        if statement.effect == "Allow" and everyone and all_actions and not statement.conditions:
            return Result(ComplianceType.NON_COMPLIANT, f"{statement.label} allows kms:* to every principal.")
    return Result(ComplianceType.COMPLIANT)


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule(NOT_SCHEDULED_FOR_DELETION, "Keys are not scheduled for deletion.", _not_scheduled_for_deletion),
        Rule(ROTATION_ENABLED, "Automatic rotation is enabled for customer managed keys.", _rotation_enabled),
        Rule(NO_PUBLIC_ACCESS, "No key policy allows kms:* to every principal.", _no_public_access),
    )
}


# Evaluation.


def evaluate_rules_for_key(key: Key, *, now: datetime | None = None) -> list[ComplianceChange]:
    """Evaluate every rule for ``key``; store and return the changes."""
    workspace = key.account.workspace
    return _evaluate_keys(workspace.pk, [key], now or workspace.now())


def evaluate_rules_for_key_arns(workspace_id: int, key_arns: list[str], *, now: datetime) -> list[ComplianceChange]:
    """Evaluate the keys named ``key_arns`` and retire the results of those that no
    longer exist (``now``: the workspace time of the change)."""
    keys = list(Key.objects.select_related("account").filter(arn__in=key_arns, account__workspace_id=workspace_id))
    gone = sorted(set(key_arns) - {key.arn for key in keys})
    return _evaluate_keys(workspace_id, keys, now) + (_retire(workspace_id, gone, now) if gone else [])


def evaluate_rules(*, workspace_id: int | None = None) -> int:
    """Evaluate every rule for every key (of one workspace, or all), a chunk of keys at
    a time, and retire the results of keys that are gone. Returns the number of changes."""
    keys = Key.objects.select_related("account__workspace").order_by("pk")
    if workspace_id is not None:
        keys = keys.filter(account__workspace_id=workspace_id)
    changed, last_pk = 0, 0
    while chunk := list(keys.filter(pk__gt=last_pk)[:CHUNK_SIZE]):
        changed += _evaluate_chunk(chunk)
        last_pk = chunk[-1].pk
    return changed + _retire_vanished(workspace_id)


def _evaluate_chunk(keys: list[Key]) -> int:
    by_workspace: dict[int, list[Key]] = {}
    for key in keys:
        by_workspace.setdefault(key.account.workspace_id, []).append(key)
    return sum(
        len(_evaluate_keys(workspace_id, members, members[0].account.workspace.now()))
        for workspace_id, members in by_workspace.items()
    )


def _evaluate_keys(workspace_id: int, keys: list[Key], now: datetime) -> list[ComplianceChange]:
    """Record each rule's result for ``keys`` where it differs from the stored one."""
    current = _current_results(workspace_id, [key.arn for key in keys])
    first_results, changes = [], []
    for key in keys:
        for rule in RULES.values():
            result = rule.check(key)
            stored = current.get((rule.name, key.arn))
            if stored is None:
                first_results.append(_Entry(rule.name, key.arn, key.account.account_id, result))
            elif stored != result:
                change = _record(workspace_id, rule.name, key.arn, key.account.account_id, result, now)
                changes += [change] if change else []
    return changes + (_record_first_results(workspace_id, first_results, now) if first_results else [])


def _retire_vanished(workspace_id: int | None) -> int:
    """Results of keys that no longer exist become NOT_APPLICABLE."""
    stale = RuleEvaluation.objects.exclude(compliance_type=ComplianceType.NOT_APPLICABLE).filter(
        ~Exists(Key.objects.filter(arn=OuterRef("resource_arn")))
    )
    if workspace_id is not None:
        stale = stale.filter(workspace_id=workspace_id)
    arns_by_workspace: dict[int, list[str]] = {}
    for row_workspace_id, arn in stale.values_list("workspace_id", "resource_arn"):
        arns_by_workspace.setdefault(row_workspace_id, []).append(arn)
    retired = 0
    for row_workspace_id, arns in arns_by_workspace.items():
        retired += len(_retire(row_workspace_id, arns, Workspace.objects.get(pk=row_workspace_id).now()))
    return retired


def _retire(workspace_id: int, key_arns: list[str], now: datetime) -> list[ComplianceChange]:
    """Every live result of the deleted keys becomes NOT_APPLICABLE, in three queries
    whatever the number of rules (the expiry sweep deletes keys by the thousand)."""
    annotation = "The key has been deleted."
    with transaction.atomic():
        rows = list(
            RuleEvaluation.objects.select_for_update()
            .filter(workspace_id=workspace_id, resource_arn__in=key_arns)
            .exclude(compliance_type=ComplianceType.NOT_APPLICABLE)
        )
        if not rows:
            return []
        RuleEvaluation.objects.filter(pk__in=[row.pk for row in rows]).update(
            compliance_type=ComplianceType.NOT_APPLICABLE, annotation=annotation, recorded_at=now
        )
        return ComplianceChange.objects.bulk_create(
            ComplianceChange(
                workspace_id=workspace_id,
                rule_name=row.rule_name,
                resource_arn=row.resource_arn,
                old_compliance_type=row.compliance_type,
                new_compliance_type=ComplianceType.NOT_APPLICABLE,
                annotation=annotation,
                changed_at=now,
            )
            for row in rows
        )


def _current_results(workspace_id: int, key_arns: list[str]) -> dict[tuple[str, str], Result]:
    rows = RuleEvaluation.objects.filter(workspace_id=workspace_id, resource_arn__in=key_arns)
    return {
        (row.rule_name, row.resource_arn): Result(ComplianceType(row.compliance_type), row.annotation) for row in rows
    }


@dataclass(frozen=True)
class _Entry:
    rule_name: str
    key_arn: str
    account_id: str
    result: Result
    old_type: str = ""


def _record_first_results(workspace_id: int, entries: list[_Entry], now: datetime) -> list[ComplianceChange]:
    """Store the first results of keys never evaluated before, a few queries for all."""
    try:
        with transaction.atomic():
            RuleEvaluation.objects.bulk_create(
                RuleEvaluation(
                    workspace_id=workspace_id,
                    rule_name=e.rule_name,
                    resource_arn=e.key_arn,
                    account_id=e.account_id,
                    compliance_type=e.result.compliance_type,
                    annotation=e.result.annotation,
                    recorded_at=now,
                )
                for e in entries
            )
            return _append_to_timeline(workspace_id, entries, now)
    except IntegrityError:  # a concurrent evaluation stored some first: go one by one
        recorded = (_record(workspace_id, e.rule_name, e.key_arn, e.account_id, e.result, now) for e in entries)
        return [change for change in recorded if change]


def _record(
    workspace_id: int, rule_name: str, key_arn: str, account_id: str, result: Result, now: datetime
) -> ComplianceChange | None:
    """Store ``result`` if it differs from the stored one (re-read under the row lock, so
    concurrent evaluations record a change once); append it to the timeline."""
    with transaction.atomic():
        try:
            row: RuleEvaluation | None = RuleEvaluation.objects.select_for_update().get(
                workspace_id=workspace_id, rule_name=rule_name, resource_arn=key_arn
            )
        except RuleEvaluation.DoesNotExist:
            row = None
        if row and (row.compliance_type, row.annotation) == (result.compliance_type, result.annotation):
            return None
        old_type = row.compliance_type if row else ""
        if row is None:
            try:
                with transaction.atomic():
                    RuleEvaluation.objects.create(
                        workspace_id=workspace_id, rule_name=rule_name, resource_arn=key_arn, account_id=account_id,
                        compliance_type=result.compliance_type, annotation=result.annotation, recorded_at=now,
                    )  # fmt: skip
            except IntegrityError:  # another evaluation stored it first; it saw the same key
                return None
        else:
            row.compliance_type, row.annotation, row.recorded_at = result.compliance_type, result.annotation, now
            row.save(update_fields=["compliance_type", "annotation", "recorded_at"])
        entry = _Entry(rule_name, key_arn, account_id, result, old_type)
        return _append_to_timeline(workspace_id, [entry], now)[0]


def _append_to_timeline(workspace_id: int, entries: list[_Entry], now: datetime) -> list[ComplianceChange]:
    """Add the changes to the timeline and the noteworthy ones to the inbox."""
    changes = ComplianceChange.objects.bulk_create(
        ComplianceChange(
            workspace_id=workspace_id,
            rule_name=e.rule_name,
            resource_arn=e.key_arn,
            old_compliance_type=e.old_type,
            new_compliance_type=e.result.compliance_type,
            annotation=e.result.annotation,
            changed_at=now,
        )
        for e in entries
    )
    notices = [
        Notice(
            NotificationKind.COMPLIANCE_CHANGE,
            f"{e.rule_name}: {e.key_arn} is {e.result.compliance_type}",
            {
                "configRuleName": e.rule_name,
                "resourceType": "AWS::KMS::Key",
                "resourceId": e.key_arn,
                "oldComplianceType": e.old_type or None,
                "newComplianceType": e.result.compliance_type,
                "annotation": e.result.annotation,
            },
            now,
        )
        for e in entries
        if _worth_notifying(e.old_type, e.result.compliance_type)
    ]
    if notices:
        notify_many(workspace_id, notices)
    return changes


def _worth_notifying(old_type: str, new_type: str) -> bool:
    """Changes between COMPLIANT and NON_COMPLIANT, and a first NON_COMPLIANT result;
    not a key's first COMPLIANT result, nor its retirement when deleted."""
    if new_type == ComplianceType.NOT_APPLICABLE or old_type == new_type:
        return False
    return bool(old_type) or new_type == ComplianceType.NON_COMPLIANT


# Reading.


@dataclass(frozen=True)
class RuleSummary:
    name: str
    description: str
    compliance_type: str  # COMPLIANT, NON_COMPLIANT or INSUFFICIENT_DATA (no results yet)
    compliant_count: int
    non_compliant_count: int


def list_rules(workspace: Workspace) -> list[RuleSummary]:
    """Each rule with its verdict over the workspace: NON_COMPLIANT if any key is."""
    counts = (
        RuleEvaluation.objects.filter(workspace=workspace)
        .values("rule_name")
        .annotate(
            compliant=Count("id", filter=Q(compliance_type=ComplianceType.COMPLIANT)),
            non_compliant=Count("id", filter=Q(compliance_type=ComplianceType.NON_COMPLIANT)),
        )
        .order_by()
    )
    by_rule = {row["rule_name"]: row for row in counts}
    summaries = []
    for rule in RULES.values():
        row = by_rule.get(rule.name, {"compliant": 0, "non_compliant": 0})
        if row["non_compliant"]:
            verdict = ComplianceType.NON_COMPLIANT.value
        elif row["compliant"]:
            verdict = ComplianceType.COMPLIANT.value
        else:
            verdict = "INSUFFICIENT_DATA"
        summaries.append(RuleSummary(rule.name, rule.description, verdict, row["compliant"], row["non_compliant"]))
    return summaries


def rule_resources(
    workspace: Workspace, rule_name: str, *, compliance_type: ComplianceType | None = None
) -> list[RuleEvaluation]:
    """The keys a rule evaluated, with their current result."""
    rows = RuleEvaluation.objects.filter(workspace=workspace, rule_name=rule_name)
    if compliance_type is not None:
        rows = rows.filter(compliance_type=compliance_type)
    return list(rows.order_by("resource_arn"))


def compliance_timeline(
    workspace: Workspace, *, rule_name: str | None = None, resource_arn: str | None = None, limit: int = 100
) -> list[ComplianceChange]:
    """Result changes, newest first."""
    changes = ComplianceChange.objects.filter(workspace=workspace)
    if rule_name is not None:
        changes = changes.filter(rule_name=rule_name)
    if resource_arn is not None:
        changes = changes.filter(resource_arn=resource_arn)
    return list(changes.order_by("-changed_at", "-id")[:limit])
