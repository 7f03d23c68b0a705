"""A table of authorization cases from AWS's documentation, run through the operations.

Each case sets up a key policy, identity policies and grants in a fresh workspace, then
calls a KMS operation as some principal and checks the decision and the reason AWS
gives. The operations are called in-process (as the console and labs call them), so the
whole path is exercised: key resolution, ``authz.decide``, state checks and audit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from kmsconsole.engine.errors import AccessDeniedException
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.identities import create_role, create_user
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import AccessKey, Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.usefixtures("orm")

ROOT_DELEGATION = {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "ROOT_A"}, "Action": "kms:*", "Resource": "*"}  # fmt: skip


def allow(actions: Any, principal: str | None = None, condition: dict | None = None, effect: str = "Allow") -> dict:
    statement: dict[str, Any] = {"Effect": effect, "Action": actions, "Resource": "*"}
    if principal is not None:
        statement["Principal"] = {"AWS": principal}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(actions: Any, principal: str | None = None, condition: dict | None = None) -> dict:
    return allow(actions, principal, condition, effect="Deny")


@dataclass
class Case:
    name: str
    key_policy: list[dict] | None  # None: the default key policy
    caller: str = "app"  # "app" (user in A), "root", "partner" (user in B), "session" (role R in A)
    identity: list[dict] = field(default_factory=list)
    operation: str = "Encrypt"
    request: dict[str, Any] = field(default_factory=dict)
    grant: dict[str, Any] | None = None
    via_service: str = ""
    clock_days: int = 0
    allowed: bool = True
    reason: str = ""


def _cases() -> list[Case]:
    ec = {"EncryptionContext": {"tenant": "acme"}}
    return [
        Case("default policy delegates to an identity policy that allows", None, identity=[allow("kms:Encrypt")]),
        Case("default policy, no identity policy", None, allowed=False, reason="no identity-based policy allows the kms:Encrypt"),
        Case("identity policy allows only Encrypt, Decrypt asked", None, identity=[allow("kms:Encrypt")], operation="GenerateDataKey", request={"KeySpec": "AES_256"}, allowed=False, reason="no identity-based policy"),
        Case("identity wildcard kms:Generate*", None, identity=[allow("kms:Generate*")], operation="GenerateDataKey", request={"KeySpec": "AES_256"}),
        Case("key policy names the user directly", [ROOT_DELEGATION, allow("kms:Encrypt", "APP")]),
        Case("key policy without the root statement ignores IAM", [allow("kms:*", "ADMIN")], identity=[allow("kms:*")], allowed=False, reason="no resource-based policy allows the kms:Encrypt"),
        Case("explicit deny in the key policy wins", [ROOT_DELEGATION, deny("kms:Encrypt", "APP")], identity=[allow("kms:*")], allowed=False, reason="explicit deny in a resource-based policy"),
        Case("explicit deny in an identity policy wins", [ROOT_DELEGATION, allow("kms:Encrypt", "APP")], identity=[deny("kms:*")], allowed=False, reason="explicit deny in an identity-based policy"),
        Case("NotAction allow excludes Decrypt", [ROOT_DELEGATION], identity=[{"Effect": "Allow", "NotAction": "kms:Decrypt", "Resource": "*"}]),
        Case("NotPrincipal deny spares the named user", [ROOT_DELEGATION, {"Effect": "Deny", "NotPrincipal": {"AWS": ["APP", "ROOT_A"]}, "Action": "kms:*", "Resource": "*"}], identity=[allow("kms:*")]),
        Case("NotPrincipal deny hits everyone else", [ROOT_DELEGATION, {"Effect": "Deny", "NotPrincipal": {"AWS": ["ADMIN", "ROOT_A"]}, "Action": "kms:*", "Resource": "*"}], identity=[allow("kms:*")], allowed=False, reason="explicit deny"),
        Case("encryption context condition matches", [ROOT_DELEGATION, allow("kms:Encrypt", "APP", {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}})], request=ec),
        Case("encryption context condition differs", [allow("kms:Encrypt", "APP", {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}}), allow("kms:PutKeyPolicy", "ADMIN")], request={"EncryptionContext": {"tenant": "globex"}}, allowed=False, reason="no resource-based policy"),
        Case("encryption context keys ForAllValues with no context", [allow("kms:Encrypt", "APP", {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}}), allow("kms:PutKeyPolicy", "ADMIN")]),
        Case("encryption context keys ForAnyValue with no context", [allow("kms:Encrypt", "APP", {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["tenant"]}}), allow("kms:PutKeyPolicy", "ADMIN")], allowed=False, reason="no resource-based policy"),
        Case("Null condition requires a context", [allow("kms:Encrypt", "APP", {"Null": {"kms:EncryptionContextKeys": "false"}}), allow("kms:PutKeyPolicy", "ADMIN")], request=ec),
        Case("kms:ViaService through S3", [allow("kms:Encrypt", "APP", {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}), allow("kms:PutKeyPolicy", "ADMIN")], via_service="s3.us-east-1.amazonaws.com"),
        Case("kms:ViaService without the service", [allow("kms:Encrypt", "APP", {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}), allow("kms:PutKeyPolicy", "ADMIN")], allowed=False, reason="no resource-based policy"),
        Case("kms:CallerAccount names account A", [allow("kms:Encrypt", "*", {"StringEquals": {"kms:CallerAccount": "ACCOUNT_A"}}), allow("kms:PutKeyPolicy", "ADMIN")]),
        Case("aws:PrincipalArn ArnLike", [allow("kms:Encrypt", "*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::ACCOUNT_A:user/a*"}}), allow("kms:PutKeyPolicy", "ADMIN")]),
        Case("DateLessThan aws:CurrentTime after the clock moved", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}})], clock_days=3650, allowed=False, reason="no identity-based policy"),
        Case("IpAddress aws:SourceIp", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})]),
        Case("NotIpAddress aws:SourceIp", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}})], allowed=False),
        Case("aws:ResourceTag in an identity policy", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"StringEquals": {"aws:ResourceTag/team": "payments"}})]),
        Case("aws:ResourceTag that does not match", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"StringEquals": {"aws:ResourceTag/team": "search"}})], allowed=False),
        Case("kms:RequestAlias", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"StringEquals": {"kms:RequestAlias": "alias/payments"}})], request={"KeyId": "alias/payments"}),
        Case("kms:RequestAlias with a key id", [ROOT_DELEGATION], identity=[allow("kms:Encrypt", condition={"StringEquals": {"kms:RequestAlias": "alias/payments"}})], allowed=False),
        Case("NumericLessThanEquals pending window", [ROOT_DELEGATION], identity=[allow("kms:ScheduleKeyDeletion", condition={"NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "14"}})], operation="ScheduleKeyDeletion", request={"PendingWindowInDays": 7}, allowed=False),
        Case("root user is allowed by the default policy", None, caller="root"),
        Case("root user without a root statement", [allow("kms:*", "ADMIN")], caller="root", allowed=False, reason="no resource-based policy"),
        Case("role session named by its role ARN", [ROOT_DELEGATION, allow("kms:Encrypt", "ROLE")], caller="session"),
        Case("cross-account: both sides allow", [ROOT_DELEGATION, allow(["kms:Encrypt", "kms:DescribeKey"], "ROOT_B")], caller="partner", identity=[allow("kms:Encrypt")]),
        Case("cross-account: key policy only", [ROOT_DELEGATION, allow("kms:Encrypt", "ROOT_B")], caller="partner", allowed=False, reason="no identity-based policy"),
        Case("cross-account: identity only", None, caller="partner", identity=[allow("kms:Encrypt")], allowed=False, reason="no resource-based policy"),
        Case("cross-account: user named directly still needs IAM", [ROOT_DELEGATION, allow("kms:Encrypt", "PARTNER")], caller="partner", allowed=False, reason="no identity-based policy"),
        Case("cross-account: never for administration", [ROOT_DELEGATION, allow("kms:*", "ROOT_B")], caller="partner", identity=[allow("kms:*")], operation="DisableKey", allowed=False, reason="no resource-based policy"),
        Case("grant allows its grantee", [ROOT_DELEGATION], grant={"Operations": ["Encrypt"]}),
        Case("grant does not allow other operations", [ROOT_DELEGATION], grant={"Operations": ["Decrypt"]}, allowed=False),
        Case("grant EncryptionContextEquals matches", [ROOT_DELEGATION], grant={"Operations": ["Encrypt"], "Constraints": {"EncryptionContextEquals": {"tenant": "acme"}}}, request=ec),
        Case("grant EncryptionContextEquals refuses extra pairs", [ROOT_DELEGATION], grant={"Operations": ["Encrypt"], "Constraints": {"EncryptionContextEquals": {"tenant": "acme"}}}, request={"EncryptionContext": {"tenant": "acme", "x": "y"}}, allowed=False),
        Case("grant EncryptionContextSubset allows extra pairs", [ROOT_DELEGATION], grant={"Operations": ["Encrypt"], "Constraints": {"EncryptionContextSubset": {"tenant": "acme"}}}, request={"EncryptionContext": {"tenant": "acme", "x": "y"}}),
        Case("grant EncryptionContextSubset refuses a missing pair", [ROOT_DELEGATION], grant={"Operations": ["Encrypt"], "Constraints": {"EncryptionContextSubset": {"tenant": "acme"}}}, allowed=False),
        Case("explicit deny beats a grant", [ROOT_DELEGATION, deny("kms:Encrypt", "APP")], grant={"Operations": ["Encrypt"]}, allowed=False, reason="explicit deny"),
        Case("grant to a cross-account user", [ROOT_DELEGATION], caller="partner", grant={"Operations": ["Encrypt"]}),
        Case("AWS managed key: direct use is refused", "aws/s3", identity=[allow("kms:*")], allowed=False, reason="no resource-based policy"),
        Case("AWS managed key: use through S3", "aws/s3", identity=[allow("kms:*")], via_service="s3.us-east-1.amazonaws.com"),
        Case("AWS managed key: describe directly", "aws/s3", identity=[allow("kms:*")], operation="DescribeKey"),
    ]  # fmt: skip


CASES = _cases()


@pytest.fixture
def world():
    provisioned = create_workspace(f"authz-{uuid.uuid4().hex[:10]}")
    ws = provisioned.workspace
    a, b = (ws.accounts.get(label=label) for label in ("A", "B"))
    now = ws.now()
    app = create_user(a, "app", now=now)
    partner = create_user(b, "partner", now=now)
    trust_statement = {"Effect": "Allow", "Principal": {"AWS": a.root_arn}, "Action": "sts:AssumeRole"}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [trust_statement]})
    role = create_role(a, "R", trust, now=now)
    admin = Principal.objects.get(account=a, name="admin")
    return {"ws": ws, "a": a, "b": b, "app": app, "partner": partner, "role": role, "admin": admin}


def _substitute(value: Any, world: dict) -> Any:
    names = {
        "ROOT_A": world["a"].root_arn,
        "ROOT_B": world["b"].root_arn,
        "ACCOUNT_A": world["a"].account_id,
        "APP": world["app"].arn,
        "ADMIN": world["admin"].arn,
        "PARTNER": world["partner"].arn,
        "ROLE": world["role"].arn,
    }
    text = json.dumps(value)
    for placeholder, actual in names.items():
        text = text.replace(placeholder, actual)
    return json.loads(text)


def _caller(world: dict, who: str, via_service: str) -> Caller:
    if who == "root":
        return Caller(Principal.objects.get(account=world["a"], kind="Root"), "us-east-1", via_service=via_service)
    if who == "session":
        session = AccessKey(
            principal=world["role"], session_name="s1", session_token_hash="x" * 64, created_at=world["ws"].now()
        )
        return Caller(world["role"], "us-east-1", session=session, via_service=via_service)
    return Caller(world[who], "us-east-1", via_service=via_service)


def _setup_key(world: dict, case: Case) -> str:
    admin = Caller(world["admin"], "us-east-1")
    if isinstance(case.key_policy, str):
        return find("kms", "DescribeKey")(admin, {"KeyId": f"alias/{case.key_policy}"})["KeyMetadata"]["Arn"]
    request: dict[str, Any] = {"Tags": [{"TagKey": "team", "TagValue": "payments"}]}
    key_id = find("kms", "CreateKey")(admin, request)["KeyMetadata"]["Arn"]
    find("kms", "CreateAlias")(admin, {"AliasName": "alias/payments", "TargetKeyId": key_id})
    if case.grant:
        grantee = _caller(world, case.caller, "").arn
        find("kms", "CreateGrant")(admin, {"KeyId": key_id, "GranteePrincipal": grantee, **case.grant})
    if case.key_policy is not None:
        document = {"Version": "2012-10-17", "Statement": _substitute(case.key_policy, world)}
        find("kms", "PutKeyPolicy")(
            admin, {"KeyId": key_id, "Policy": json.dumps(document), "BypassPolicyLockoutSafetyCheck": True}
        )
    return key_id


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_authorization(case: Case, world: dict) -> None:
    key_arn = _setup_key(world, case)
    who = {"app": world["app"], "partner": world["partner"], "session": world["role"]}.get(case.caller)
    if who is not None and case.identity:
        document = {"Version": "2012-10-17", "Statement": _substitute(case.identity, world)}
        put_inline_policy(who, "case", json.dumps(document))
    if case.clock_days:
        move_clock(world["ws"], timedelta(days=case.clock_days))
    caller = _caller(world, case.caller, case.via_service)
    request = {"KeyId": key_arn, **case.request}
    if case.operation == "Encrypt":
        request["Plaintext"] = b"x"
    operation = find("kms", case.operation)
    if case.allowed:
        operation(caller, request)
        return
    with pytest.raises(AccessDeniedException) as raised:
        operation(caller, request)
    assert f"is not authorized to perform: kms:{case.operation}" in raised.value.message
    assert case.reason in raised.value.message


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 45
