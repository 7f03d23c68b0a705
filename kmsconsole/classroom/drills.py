"""Incident drills: the guide's runbooks (and two more) injected into students' workspaces.

An incident is a scripted sequence of KMS and IAM operations performed AS A PRINCIPAL of
the student's workspace, through the same operation functions the API calls, so it
lands in the audit trail exactly like a colleague's or an attacker's action:

- ``ops-colleague`` (an IAM user with broad rights) disables a key, schedules it for
  deletion, grants it to a principal of another account, or changes its key policy;
- ``unknown-contractor`` (an IAM user the colleague created, with an access key) makes
  thirty Decrypt calls from an address nobody knows.

Every drill acts on ``alias/prod-orders``, a production key that the application role
``orders-app`` uses. The stage (key, role, colleague) is built once per workspace, the
first time a drill needs it, before the incident, so it reads as what was already there.

Detection: KMS records no event when someone reads the audit trail (LookupEvents is not
audited), and the console's event history is not ours to instrument. A student has
"detected" the incident at their first successful call, after the injection, on the
affected key (DescribeKey, GetKeyPolicy, ListGrants, EnableKey, ...) or, for the decrypt
spike, on the contractor user through IAM. Resolution is a check of the state: the key
enabled again, the contractor unable to decrypt, the grant gone, the application role
allowed again.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

import kmsconsole.iam.operations  # noqa: F401  (registers the IAM operations)
from kmsconsole.audit import recorder
from kmsconsole.audit.models import Event
from kmsconsole.engine.enums import KeyState
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import AccessKey, AccessKeyStatus, Principal, PrincipalType, Workspace
from kmsconsole.iam.provisioning import ADMIN_POLICY
from kmsconsole.kms import authz
from kmsconsole.kms.models import Alias, Grant, Key
from kmsconsole.kms.operations import find
from labs.checks.base import CHECK_USER_AGENT

from .models import IncidentKind

PROD_ALIAS = "alias/prod-orders"
APP_ROLE = "orders-app"
COLLEAGUE = "ops-colleague"
CONTRACTOR = "unknown-contractor"
PARTNER = "partner-sync"  # a user of account B: unknown to account A's team
SPIKE_DECRYPTS = 30
COLLEAGUE_CLIENT = ("10.0.4.17", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12")
CONTRACTOR_CLIENT = ("203.0.113.45", "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#5.15.0 lang/python#3.12.1")
APP_CLIENT = ("10.0.2.33", "aws-sdk-java/2.25.6 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10")
APP_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}
    ],
}
SPIKE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
}

RUNBOOK_HINTS = {
    IncidentKind.KEY_DISABLED: "Find the disabled key, re-enable it, verify its state (runbook scenario 1).",
    IncidentKind.DECRYPT_SPIKE: "Find who decrypts so much, then disable their credentials in IAM (scenario 2).",
    IncidentKind.PENDING_DELETION: "Cancel the deletion, then re-enable the key (scenario 3).",
    IncidentKind.UNKNOWN_GRANT: "List the key's grants and revoke the one you do not recognise.",
    IncidentKind.POLICY_DENIES_APP: "Read the key policy and remove the statement that denies the application.",
}


class DrillFailed(Exception):
    """An incident could not be injected in one workspace (the student already broke
    what it needs, for instance): the message says why."""


@dataclass
class Stage:
    """What every drill acts on in one workspace."""

    workspace: Workspace
    key: Key
    app_role: Principal
    colleague: Principal
    colleague_key_id: str

    def colleague_caller(self) -> Caller:
        return _acting_as(self.colleague, self.colleague_key_id, self.workspace, COLLEAGUE_CLIENT)

    def app_caller(self) -> Caller:
        ip, agent = APP_CLIENT
        return Caller(principal=self.app_role, region=self.workspace.region, source_ip=ip, user_agent=agent,
                      session=_role_session(self.app_role, self.workspace))  # fmt: skip


def _acting_as(user: Principal, access_key_id: str, workspace: Workspace, client: tuple[str, str]) -> Caller:
    """A caller as ``user`` signing with ``access_key_id`` from ``client`` (address, user agent)."""
    ip, agent = client
    return Caller(principal=user, region=workspace.region, access_key_id=access_key_id, source_ip=ip, user_agent=agent)


def _role_session(role: Principal, workspace: Workspace) -> AccessKey:
    """An unsaved session of ``role``, as the application's SDK would hold."""
    return AccessKey(
        principal=role,
        session_name=f"{role.name}-{secrets.token_hex(4)}",
        session_token_hash="drill",
        created_at=workspace.now(),
        expires_at=workspace.now() + timedelta(hours=1),
    )


def _call(service: str, name: str, caller: Caller, request: dict[str, Any]) -> dict[str, Any]:
    operation = find(service, name)
    assert operation is not None, name
    return operation(caller, request)


# ---------------------------------------------------------------- the stage


def stage_for(workspace: Workspace) -> Stage:
    """The production key, application role and colleague of ``workspace``, created the
    first time (IAM identities directly, as a lab's setup does; the key through
    CreateKey by the colleague, who set up production)."""
    account = workspace.accounts.get(label="A")
    now = workspace.now()
    colleague = _user(account, COLLEAGUE, now=now)
    put_inline_policy(colleague, "AdministratorAccess", ADMIN_POLICY)
    colleague_keys = identities.access_keys(colleague)
    colleague_key = colleague_keys.first() or AccessKey.objects.get(
        access_key_id=identities.create_access_key(colleague, now=now).access_key_id
    )
    app_role = _app_role(account, now=now)
    aliases = Alias.objects.select_related("key").filter(account=account, region=workspace.region)
    alias = aliases.filter(name=PROD_ALIAS).first()
    colleague_caller = _acting_as(colleague, colleague_key.access_key_id, workspace, COLLEAGUE_CLIENT)
    key = alias.key if alias else _production_key(colleague_caller)
    return Stage(workspace, key, app_role, colleague, colleague_key.access_key_id)


def _user(account: Any, name: str, *, now: Any) -> Principal:
    found = account.principals.filter(kind=PrincipalType.USER, name=name).first()
    return found or identities.create_user(account, name, now=now)


def _app_role(account: Any, *, now: Any) -> Principal:
    found = account.principals.filter(kind=PrincipalType.ROLE, name=APP_ROLE).first()
    if found is not None:
        return found
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": account.root_arn}, "Action": "sts:AssumeRole"}],
    }
    role = identities.create_role(account, APP_ROLE, json.dumps(trust), now=now)
    put_inline_policy(role, "orders-app-kms", json.dumps(APP_POLICY))
    return role


def _production_key(caller: Caller) -> Key:
    created = _call("kms", "CreateKey", caller, {"Description": "Orders service: production data"})
    arn = created["KeyMetadata"]["Arn"]
    _call("kms", "CreateAlias", caller, {"AliasName": PROD_ALIAS, "TargetKeyId": arn})
    return Key.objects.get(arn=arn)


# ---------------------------------------------------------------- injecting


def inject(kind: str, workspace: Workspace) -> dict[str, Any]:
    """Run incident ``kind`` in ``workspace``; return what it touched (for detection
    and resolution). Raises ``DrillFailed`` if the workspace cannot take it."""
    stage = stage_for(workspace)
    _app_uses_the_key(stage)
    details: dict[str, Any] = {
        "workspace_id": workspace.pk,
        "key_arn": stage.key.arn,
        "alias": PROD_ALIAS,
        "actors": [stage.colleague.arn],
        "app_role_arn": stage.app_role.arn,
    }
    try:
        details.update(_SCRIPTS[IncidentKind(kind)](stage))
    except AWSError as error:
        raise DrillFailed(f"{error.code}: {error.message}") from error
    return details


def _app_uses_the_key(stage: Stage) -> bytes | None:
    """A call by the application, so the key is visibly "in use" before anything happens
    to it; its ciphertext, or None if it failed (the key may already be disabled: a
    failed call is traffic too)."""
    try:
        encrypted = _call("kms", "Encrypt", stage.app_caller(), {"KeyId": PROD_ALIAS, "Plaintext": b"order 1001"})
    except AWSError:
        return None
    return bytes(encrypted["CiphertextBlob"])


def _disable(stage: Stage) -> dict[str, Any]:
    _call("kms", "DescribeKey", stage.colleague_caller(), {"KeyId": PROD_ALIAS})
    _call("kms", "DisableKey", stage.colleague_caller(), {"KeyId": stage.key.arn})
    return {}


def _schedule_deletion(stage: Stage) -> dict[str, Any]:
    _call("kms", "ScheduleKeyDeletion", stage.colleague_caller(), {"KeyId": stage.key.arn, "PendingWindowInDays": 7})
    return {}


def _decrypt_spike(stage: Stage) -> dict[str, Any]:
    """The colleague creates (or revives) the contractor, who then decrypts thirty times
    from an address the team does not know."""
    colleague = stage.colleague_caller()
    account = stage.workspace.accounts.get(label="A")
    if not account.principals.filter(kind=PrincipalType.USER, name=CONTRACTOR).exists():
        _call("iam", "CreateUser", colleague, {"UserName": CONTRACTOR})
    _call("iam", "PutUserPolicy", colleague,
          {"UserName": CONTRACTOR, "PolicyName": "kms-read", "PolicyDocument": json.dumps(SPIKE_POLICY)})  # fmt: skip
    contractor = account.principals.get(kind=PrincipalType.USER, name=CONTRACTOR)
    access_key_id = _active_key_of(contractor, colleague)
    # A blob the application wrote; if the key cannot encrypt now, any bytes will do:
    # thirty failed Decrypt calls are a spike too.
    blob = _app_uses_the_key(stage) or secrets.token_bytes(64)
    caller = _acting_as(contractor, access_key_id, stage.workspace, CONTRACTOR_CLIENT)
    for _ in range(SPIKE_DECRYPTS):
        with contextlib.suppress(AWSError):  # failed attempts are part of the spike too
            _call("kms", "Decrypt", caller, {"CiphertextBlob": blob})
    return {"actors": [stage.colleague.arn, contractor.arn], "contractor_arn": contractor.arn}


def _active_key_of(contractor: Principal, colleague: Caller) -> str:
    existing = identities.access_keys(contractor).first()
    if existing is None:
        created = _call("iam", "CreateAccessKey", colleague, {"UserName": CONTRACTOR})
        return str(created["AccessKey"]["AccessKeyId"])
    if existing.status != AccessKeyStatus.ACTIVE:
        _call("iam", "UpdateAccessKey", colleague,
              {"UserName": CONTRACTOR, "AccessKeyId": existing.access_key_id, "Status": "Active"})  # fmt: skip
    return existing.access_key_id


def _unknown_grant(stage: Stage) -> dict[str, Any]:
    account_b = stage.workspace.accounts.get(label="B")
    partner = _user(account_b, PARTNER, now=stage.workspace.now())
    _call("kms", "CreateGrant", stage.colleague_caller(), {
        "KeyId": stage.key.arn,
        "GranteePrincipal": partner.arn,
        "Operations": ["Decrypt", "GenerateDataKey", "DescribeKey"],
        "Name": "temp-sync",
    })  # fmt: skip
    return {"grantee_arn": partner.arn}


def _deny_the_app(stage: Stage) -> dict[str, Any]:
    colleague = stage.colleague_caller()
    current = json.loads(_call("kms", "GetKeyPolicy", colleague, {"KeyId": stage.key.arn})["Policy"])
    current.setdefault("Statement", []).append(
        {
            "Sid": "TemporaryRestriction",
            "Effect": "Deny",
            "Principal": {"AWS": stage.app_role.arn},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    )
    _call("kms", "PutKeyPolicy", colleague, {"KeyId": stage.key.arn, "Policy": json.dumps(current, indent=2)})
    return {}


_SCRIPTS = {
    IncidentKind.KEY_DISABLED: _disable,
    IncidentKind.DECRYPT_SPIKE: _decrypt_spike,
    IncidentKind.PENDING_DELETION: _schedule_deletion,
    IncidentKind.UNKNOWN_GRANT: _unknown_grant,
    IncidentKind.POLICY_DENIES_APP: _deny_the_app,
}


# ---------------------------------------------------------------- detection and resolution


def student_events(workspace: Workspace, details: dict[str, Any], after_event: int) -> Any:
    """Successful events since ``after_event`` by anyone but the incident's actors, the
    application and the lab checks: what the student (or their console) did."""
    role_name = details["app_role_arn"].rsplit("/", 1)[-1]
    return (
        Event.objects.filter(workspace=workspace, pk__gt=after_event, error_code="")
        .exclude(principal_arn__in=details["actors"])
        .exclude(principal_arn__contains=f":assumed-role/{role_name}/")
        .exclude(record__userAgent=CHECK_USER_AGENT)
    )


def by_drill_actors() -> Q:
    """Events of the drills' own principals (the colleague, the contractor and the
    application role), which are not the student's activity."""
    return (
        Q(principal_arn__endswith=f":user/{COLLEAGUE}")
        | Q(principal_arn__endswith=f":user/{CONTRACTOR}")
        | Q(principal_arn__contains=f":assumed-role/{APP_ROLE}/")
    )


def first_detection(kind: str, workspace: Workspace, details: dict[str, Any], after_event: int) -> Event | None:
    """The student's first successful call on the affected key (or, for the decrypt
    spike, on the contractor user) after the injection."""
    looked = Q(key_arn=details["key_arn"])
    if kind == IncidentKind.DECRYPT_SPIKE:
        looked |= Q(event_source="iam.amazonaws.com", record__requestParameters__userName=CONTRACTOR)
    return student_events(workspace, details, after_event).filter(looked).order_by("pk").first()


def is_resolved(kind: str, workspace: Workspace, details: dict[str, Any]) -> bool:
    key = Key.objects.select_related("account__workspace").filter(arn=details["key_arn"]).first()
    if key is None:
        return False  # the key is gone: nothing the student does now brings it back
    if kind in (IncidentKind.KEY_DISABLED, IncidentKind.PENDING_DELETION):
        return key.key_state == KeyState.ENABLED
    if kind == IncidentKind.UNKNOWN_GRANT:
        return not Grant.objects.filter(key=key, grantee_principal=details["grantee_arn"]).exists()
    if kind == IncidentKind.DECRYPT_SPIKE:
        return not _contractor_can_decrypt(workspace, key)
    return _app_can_decrypt(workspace, key)


def _contractor_can_decrypt(workspace: Workspace, key: Key) -> bool:
    account = workspace.accounts.get(label="A")
    contractor = account.principals.filter(kind=PrincipalType.USER, name=CONTRACTOR).first()
    if contractor is None or not identities.access_keys(contractor).filter(status=AccessKeyStatus.ACTIVE).exists():
        return False
    return _decision(Caller(principal=contractor, region=workspace.region), key)


def _app_can_decrypt(workspace: Workspace, key: Key) -> bool:
    role = workspace.accounts.get(label="A").principals.filter(kind=PrincipalType.ROLE, name=APP_ROLE).first()
    if role is None:
        return False
    caller = Caller(principal=role, region=workspace.region, session=_role_session(role, workspace))
    return _decision(caller, key)


def _decision(caller: Caller, key: Key) -> bool:
    """Ask the authorizer without recording anything (outside any operation)."""
    with recorder.drafting({}):
        return authz.decide(caller, "kms:Decrypt", key).allowed


def resolution_time(workspace: Workspace, details: dict[str, Any], after_event: int) -> Any:
    """When the fix happened: the student's newest change since the injection, in real
    time; now if the fix left no change event (it always does, through the operations)."""
    newest = student_events(workspace, details, after_event).filter(read_only=False).order_by("-pk").first()
    if newest is None:
        return timezone.now()
    return newest.event_time - workspace.clock_offset
