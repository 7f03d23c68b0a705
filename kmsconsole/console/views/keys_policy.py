"""Key policies as the console shows them: the policy the create-key wizard proposes, a
statement-by-statement reading in plain words, and warnings for the guide's common mistakes.

The proposal is built like the AWS console's default policy (``key-consolepolicy-3``,
kms-behaviour.md §6), not the much shorter policy CreateKey applies when the request has
none. Reading and warnings work on the policy engine's parsed form, so the console sees
exactly the principals, actions and conditions the authorizer evaluates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from kmsconsole.engine.enums import KeySpec, KeyUsage
from kmsconsole.engine.policy import Policy, Statement
from kmsconsole.engine.policy.conditions import Condition
from kmsconsole.kms.policies import policy_text

CONSOLE_POLICY_ID = "key-consolepolicy-3"
ROOT_STATEMENT_SID = "Enable IAM User Permissions"
# AWS's key administrator actions; the last two only when administrators may delete the key.
ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:RotateKeyOnDemand",
)
DELETION_ACTIONS = ("kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion")
PERSISTENT_RESOURCE_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")

_SYMMETRIC_USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
_USE_BY_USAGE: dict[KeyUsage, tuple[str, ...]] = {
    KeyUsage.ENCRYPT_DECRYPT: ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:DescribeKey", "kms:GetPublicKey"),
    KeyUsage.SIGN_VERIFY: ("kms:Sign", "kms:Verify", "kms:DescribeKey", "kms:GetPublicKey"),
    KeyUsage.GENERATE_VERIFY_MAC: ("kms:GenerateMac", "kms:VerifyMac", "kms:DescribeKey"),
    KeyUsage.KEY_AGREEMENT: ("kms:DeriveSharedSecret", "kms:DescribeKey", "kms:GetPublicKey"),
}

_ROOT_ARN = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):root$")
_IDENTITY_ARN = re.compile(r"^arn:aws:iam::(?P<account>\d{12}):(?P<kind>user|role)(?:/.*)?/(?P<name>[^/]+)$")
_SESSION_ARN = re.compile(r"^arn:aws:sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+)$")


def key_user_actions(key_spec: str, key_usage: str) -> tuple[str, ...]:
    """The cryptographic actions the console's "Allow use of the key" statement lists for
    this type of key."""
    if key_spec == KeySpec.SYMMETRIC_DEFAULT:
        return _SYMMETRIC_USE
    return _USE_BY_USAGE[KeyUsage(key_usage)]


def console_default_policy(
    *,
    account_id: str,
    key_spec: str,
    key_usage: str,
    administrators: Iterable[str],
    allow_admin_delete: bool,
    users: Iterable[str],
    other_accounts: Iterable[str],
) -> str:
    """The policy the AWS console proposes for a new key: the account root statement that
    enables IAM policies, then key administrators, key users (IAM users and roles, and
    the roots of other accounts), and, for every key type but HMAC, the statement that
    lets key users attach the key to AWS resources through grants."""
    statements: list[dict[str, Any]] = [_allow(ROOT_STATEMENT_SID, [f"arn:aws:iam::{account_id}:root"], "kms:*")]
    admins = list(administrators)
    if admins:
        actions = [*ADMIN_ACTIONS, *(DELETION_ACTIONS if allow_admin_delete else ())]
        statements.append(_allow("Allow access for Key Administrators", admins, actions))
    key_users = [*users, *(f"arn:aws:iam::{account}:root" for account in other_accounts)]
    if key_users:
        statements.append(_allow("Allow use of the key", key_users, list(key_user_actions(key_spec, key_usage))))
        if key_usage != KeyUsage.GENERATE_VERIFY_MAC:
            attachment = _allow(
                "Allow attachment of persistent resources", key_users, list(PERSISTENT_RESOURCE_ACTIONS)
            )
            attachment["Condition"] = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
            statements.append(attachment)
    return policy_text({"Id": CONSOLE_POLICY_ID, "Version": "2012-10-17", "Statement": statements})


def _allow(sid: str, principals: list[str], actions: str | list[str]) -> dict[str, Any]:
    principal: str | list[str] = principals[0] if len(principals) == 1 else principals
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": "*"}


# Reading a policy in plain words.


@dataclass(frozen=True)
class StatementReading:
    label: str
    effect: str
    principals: list[str]
    principals_excluded: bool
    actions: list[str]
    actions_excluded: bool
    resources: list[str]
    conditions: list[str]


def read_policy(policy: Policy, *, account_id: str) -> list[StatementReading]:
    """Each statement's elements in plain words, in document order."""
    return [_read_statement(statement, account_id) for statement in policy.statements]


def _read_statement(statement: Statement, account_id: str) -> StatementReading:
    principals = statement.principal or statement.not_principal or ()
    actions = statement.action or statement.not_action
    resources = statement.resource or statement.not_resource
    return StatementReading(
        label=statement.label,
        effect=statement.effect,
        principals=[describe_principal(kind, value, account_id=account_id) for kind, value in principals],
        principals_excluded=statement.not_principal is not None,
        actions=[describe_action(action) for action in actions]
        if actions
        else ["no action (the statement has no effect)"],
        actions_excluded=statement.not_action is not None,
        resources=[describe_resource(resource) for resource in resources] if resources else ["no resource"],
        conditions=[describe_condition(condition) for condition in statement.conditions],
    )


def describe_principal(kind: str, value: str, *, account_id: str) -> str:
    if kind == "Service":
        return f"the AWS service {value}"
    if kind != "AWS":
        return f"{kind} principal {value}"
    if value == "*":
        return "everyone: any principal of any AWS account"
    root = _ROOT_ARN.match(value)
    if root:
        whose = "this account" if root["account"] == account_id else f"account {root['account']}"
        return f"{whose} ({value}): its IAM policies decide which of its users and roles"
    identity = _IDENTITY_ARN.match(value)
    if identity:
        kind_name = "IAM user" if identity["kind"] == "user" else "IAM role"
        return f"{kind_name} {identity['name']} of {_account_words(identity['account'], account_id)}"
    session = _SESSION_ARN.match(value)
    if session:
        return (
            f"the session {session['session']} of role {session['role']} "
            f"of {_account_words(session['account'], account_id)}"
        )
    return value


def _account_words(account: str, own_account: str) -> str:
    return "this account" if account == own_account else f"account {account}"


def describe_action(action: str) -> str:
    if action == "*":
        return "every action of every service (*)"
    if action.lower() == "kms:*":
        return "every KMS action (kms:*)"
    if action.endswith("*"):
        return f"every KMS action starting with {action.split(':', 1)[-1].rstrip('*')} ({action})"
    return action


def describe_resource(resource: str) -> str:
    return "this key (in a key policy, * means the key the policy is attached to)" if resource == "*" else resource


def describe_condition(condition: Condition) -> str:
    """``kms:ViaService is s3.us-east-1.amazonaws.com`` and the like."""
    if condition.family is None:  # Null
        missing = condition.values[0].lower() == "true"
        return f"the request has {'no' if missing else 'a'} {condition.key}"
    relation = condition.family.relation
    verb = "matches" if relation == "like" else f"is {relation}".strip()
    if condition.negated:
        verb = "does not match" if relation == "like" else f"is not {relation}".strip()
    values = " or ".join(condition.values)
    if condition.qualifier == "ForAnyValue":
        phrase = f"at least one value of {condition.key} {verb} {values}"
    elif condition.qualifier == "ForAllValues":
        phrase = f"every value of {condition.key} {verb} {values}"
    else:
        phrase = f"{condition.key} {verb} {values}"
    return phrase + (" (when the request has it)" if condition.if_exists else "")


# Warnings for the guide's common mistakes.


@dataclass(frozen=True)
class PolicyWarning:
    severity: Literal["danger", "warn"]
    title: str
    detail: str


def policy_warnings(policy: Policy, *, account_id: str) -> list[PolicyWarning]:
    """What in this policy the guide warns against, most serious first."""
    warnings: list[PolicyWarning] = []
    for statement in policy.statements:
        warnings.extend(_statement_warnings(statement, account_id))
    warnings.extend(_lockout_warnings(policy, account_id))
    return sorted(warnings, key=lambda warning: warning.severity != "danger")


def _statement_warnings(statement: Statement, account_id: str) -> list[PolicyWarning]:
    if statement.effect != "Allow":
        return []
    found = []
    every_kms_action = _allows_every_kms_action(statement)
    if _names_everyone(statement) and every_kms_action:
        found.append(
            PolicyWarning(
                "warn" if statement.conditions else "danger",
                f"{statement.label} allows every KMS action to everyone",
                "Principal * is any principal of any AWS account"
                + (", limited only by this statement's conditions." if statement.conditions else ".")
                + " Name the accounts, users or roles that need the key, and only the actions they need.",
            )
        )
    if statement.action is not None and "*" in statement.action:
        found.append(
            PolicyWarning(
                "warn",
                f"{statement.label} allows Action *",
                "* means every action of every service. In a key policy only KMS actions apply: write kms:* "
                "for administrators, or list the actions a principal needs.",
            )
        )
    foreign = sorted(_foreign_accounts(statement, account_id))
    if foreign and every_kms_action:
        found.append(
            PolicyWarning(
                "warn",
                f"{statement.label} gives another account every KMS action",
                f"Account {', '.join(foreign)} may use and, through its IAM policies, try to manage this key. "
                "Other accounts only need the cryptographic operations they call (kms:Encrypt, kms:Decrypt, "
                "kms:GenerateDataKey*, kms:DescribeKey...).",
            )
        )
    lacks_action = statement.action is None and statement.not_action is None
    lacks_resource = statement.resource is None and statement.not_resource is None
    if lacks_action or lacks_resource:
        found.append(
            PolicyWarning(
                "warn",
                f"{statement.label} has no effect",
                "It lacks an Action or a Resource. KMS stores the policy anyway, but the statement never "
                "allows or denies anything (the AWS console reports this as an error).",
            )
        )
    return found


def _lockout_warnings(policy: Policy, account_id: str) -> list[PolicyWarning]:
    root_arn = f"arn:aws:iam::{account_id}:root"
    policy_editors = [
        statement
        for statement in policy.statements
        if statement.effect == "Allow" and statement.actions is not None and statement.action is not None
        if statement.actions.matches("kms:PutKeyPolicy")
    ]
    if not policy_editors:
        return [
            PolicyWarning(
                "danger",
                "Nobody may change this policy",
                "No statement allows kms:PutKeyPolicy, so once saved the key cannot be managed any more "
                "(on AWS, only AWS Support can recover it). Keep the account root statement, "
                f'"{ROOT_STATEMENT_SID}".',
            )
        ]
    if not any(statement.principals and root_arn in statement.principals.aws_arns for statement in policy_editors):
        return [
            PolicyWarning(
                "warn",
                "No statement for the account root",
                "Only the principals named here can manage the key, and IAM policies of this account cannot "
                "allow anyone to use it. If those principals are deleted, the key becomes unmanageable. The "
                f'default policy\'s "{ROOT_STATEMENT_SID}" statement prevents this.',
            )
        ]
    return []


def _names_everyone(statement: Statement) -> bool:
    return statement.principal is not None and ("AWS", "*") in statement.principal


def _allows_every_kms_action(statement: Statement) -> bool:
    return statement.action is not None and any(action in ("*", "kms:*") for action in map(str.lower, statement.action))


def _foreign_accounts(statement: Statement, account_id: str) -> set[str]:
    accounts = set()
    for kind, value in statement.principal or ():
        match = _ROOT_ARN.match(value) or _IDENTITY_ARN.match(value) or _SESSION_ARN.match(value)
        if kind == "AWS" and match and match["account"] != account_id:
            accounts.add(match["account"])
    return accounts
