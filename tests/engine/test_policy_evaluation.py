"""Evaluating whole policies: the KMS Developer Guide's and IAM User Guide's examples,
each with the verdict AWS documents and the reason a learner would read."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmsconsole.engine.policy import RequestContext, evaluate_policy, evaluate_statement, parse_policy
from kmsconsole.engine.policy.evaluate import MEMO_LIMIT, forget_verdicts, remembered_verdicts

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/KMSAdminRole"
APP_ROLE = f"arn:aws:iam::{ACCOUNT}:role/RoleForExampleApp"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{OTHER_ACCOUNT}:user/bob"

CALLERS = {
    "root": (ROOT, ACCOUNT, "Root"),
    "alice": (ALICE, ACCOUNT, "IAMUser"),
    "admin": (f"arn:aws:sts::{ACCOUNT}:assumed-role/KMSAdminRole/alice", ACCOUNT, "AssumedRole"),
    "app": (f"arn:aws:sts::{ACCOUNT}:assumed-role/RoleForExampleApp/i-0abc", ACCOUNT, "AssumedRole"),
    "bob": (BOB, OTHER_ACCOUNT, "IAMUser"),
    "cloudtrail": ("cloudtrail.amazonaws.com", ACCOUNT, "AWSService"),
}


def request(caller: str, action: str, resource: str = KEY, **condition_values: object) -> RequestContext:
    principal_arn, account, principal_type = CALLERS[caller]
    return RequestContext(principal_arn, account, principal_type, action, resource, condition_values)  # type: ignore[arg-type]


def allow(principal: object, action: object, condition: dict | None = None, **extra: object) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def deny(principal: object, action: object, condition: dict | None = None, **extra: object) -> dict:
    return {**allow(principal, action, condition, **extra), "Effect": "Deny"}


# Policies from the KMS Developer Guide and the IAM User Guide, written as tables.
# fmt: off

ENABLE_IAM = {"Sid": "Enable IAM User Permissions", **allow({"AWS": ROOT}, "kms:*")}
KEY_ADMINS = {"Sid": "Allow access for Key Administrators", **allow({"AWS": ADMIN_ROLE}, [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion"])}
KEY_USERS = {"Sid": "Allow use of the key", **allow(
    {"AWS": APP_ROLE}, ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"])}
PERSISTENT_RESOURCES = {"Sid": "Allow attachment of persistent resources", **allow(
    {"AWS": APP_ROLE}, ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    {"Bool": {"kms:GrantIsForAWSResource": "true"}})}
CONSOLE_DEFAULT = [ENABLE_IAM, KEY_ADMINS, KEY_USERS, PERSISTENT_RESOURCES]

AWS_MANAGED_EBS = [
    {"Sid": "Allow access through EBS for all principals in the account that are authorized to use EBS", **allow(
        {"AWS": "*"},
        ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
        {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-west-2.amazonaws.com"}})},
    {"Sid": "Allow direct access to key metadata to the account",
     **allow({"AWS": ROOT}, ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"])},
]
APP_NAME_REQUIRED = [allow({"AWS": APP_ROLE}, "kms:GenerateDataKey",
                           {"StringEquals": {"kms:EncryptionContext:AppName": "ExampleApp"}})]
TWO_PAIRS_ONLY = [allow({"AWS": ALICE}, "kms:GenerateDataKey", {
    "StringEquals": {"kms:EncryptionContext:Department": "IT", "kms:EncryptionContext:Project": "Alpha"},
    "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["Department", "Project"]}})]
STAGE_FORBIDDEN = [ENABLE_IAM, deny({"AWS": APP_ROLE}, "kms:GenerateDataKey",
                                    {"StringEquals": {"kms:EncryptionContext:Stage": ["Restricted", "Production"]}})]
ANY_APP_NAME_KEY = [allow({"AWS": APP_ROLE}, ["kms:Encrypt", "kms:GenerateDataKey*"],
                          {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "AppName"}})]
ONLY_ALLOWED_KEYS = [allow({"AWS": ALICE}, "kms:Encrypt",
                           {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["Department", "Project"]}})]
CONTEXT_REQUIRED = [allow({"AWS": APP_ROLE}, ["kms:Encrypt", "kms:GenerateDataKey*"],
                          {"Null": {"kms:EncryptionContextKeys": False}})]
ONE_ALGORITHM = [ENABLE_IAM, deny({"AWS": APP_ROLE}, ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*"],
                                  {"StringNotEquals": {"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}})]
RSA_PAIRS_ONLY = [allow({"AWS": ALICE}, ["kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext"],
                        {"StringLike": {"kms:DataKeyPairSpec": "RSA*"}})]
ONLY_ADMINS_MAY_DELETE = [ENABLE_IAM, {"Effect": "Deny", "NotPrincipal": {"AWS": [ROOT, ADMIN_ROLE]},
                                       "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]
NOT_PRINCIPAL_WITHOUT_ACCOUNT = [ENABLE_IAM, {"Effect": "Deny", "NotPrincipal": {"AWS": ADMIN_ROLE},
                                              "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]
APP_CRYPTO_ONLY = [ENABLE_IAM, {"Effect": "Deny", "Principal": {"AWS": APP_ROLE}, "Resource": "*",
                                "NotAction": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]}]
ALL_BUT_DELETION = [{"Effect": "Allow", "Principal": {"AWS": ALICE},
                     "NotAction": ["kms:ScheduleKeyDeletion", "kms:Delete*"], "Resource": "*"}]
OFFICE_ONLY = [allow({"AWS": ALICE}, "kms:Decrypt",
                     {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}})]
NOT_FROM_OFFICE = [ENABLE_IAM, deny("*", "kms:*", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})]
UNTIL_END_OF_2026 = [allow({"AWS": ALICE}, "kms:Decrypt",
                           {"DateLessThan": {"aws:CurrentTime": "2026-12-31T23:59:59Z"}})]
LONG_WINDOW_ONLY = [allow({"AWS": ADMIN_ROLE}, "kms:ScheduleKeyDeletion",
                          {"NumericGreaterThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "21"}})]
SHORT_WINDOW_ONLY = [allow({"AWS": ADMIN_ROLE}, "kms:ScheduleKeyDeletion",
                           {"NumericLessThanEquals": {"kms:ScheduleKeyDeletionPendingWindowInDays": "10"}})]
KMS_ROLES = [allow({"AWS": "*"}, "kms:*", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/KMS*"},
                                           "StringEquals": {"aws:PrincipalAccount": ACCOUNT}})]
NO_BYPASS = [allow({"AWS": ADMIN_ROLE}, "kms:PutKeyPolicy", {"Null": {"kms:BypassPolicyLockoutSafetyCheck": True}})]
VIA_EC2_IF_ANY = [allow({"AWS": ALICE}, "kms:Decrypt",
                        {"StringEqualsIfExists": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}})]
DENY_OUTSIDE_EC2 = [ENABLE_IAM, deny({"AWS": ALICE}, "kms:Decrypt",
                                     {"StringNotEqualsIfExists": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}})]
CROSS_ACCOUNT = [ENABLE_IAM, allow({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, ["kms:Decrypt", "kms:DescribeKey"])]
CLOUDTRAIL = [ENABLE_IAM, allow({"Service": "cloudtrail.amazonaws.com"}, "kms:GenerateDataKey*", {"StringLike": {
    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"}})]
KEYS_IN_ACCOUNT = [allow({"AWS": ALICE}, ["kms:Describe*", "kms:Get?eyPolicy"],
                         Resource=f"arn:aws:kms:*:{ACCOUNT}:key/*")]
OTHER_ACCOUNT_KEYS = [allow({"AWS": ALICE}, "kms:*", Resource=f"arn:aws:kms:*:{OTHER_ACCOUNT}:key/*")]
NOT_THIS_KEY = [ENABLE_IAM, {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "NotResource": KEY}]
OTHER_KEY = KEY.replace("1234abcd", "0987dcba")

# Identity and trust policies.
NO_BYPASS_IAM = [
    {"Effect": "Allow", "Action": ["kms:CreateKey", "kms:PutKeyPolicy"], "Resource": "*"},
    {"Effect": "Deny", "Action": ["kms:CreateKey", "kms:PutKeyPolicy"], "Resource": "*",
     "Condition": {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": True}}},
]
ONLY_SYMMETRIC = [
    {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
    {"Sid": "AllowOnlySymmetricAlgorithm", "Effect": "Deny", "Resource": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/*",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
     "Condition": {"StringNotEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}},
]
ACCOUNT_TRUST = [{"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"}]
ALIAS = f"arn:aws:kms:us-west-2:{ACCOUNT}:alias/app"

NOT_ADMIN_ACTIONS = "Action kms:Decrypt is not in [kms:Create*, kms:Describe*"
EC2 = {"kms:ViaService": "ec2.us-west-2.amazonaws.com"}
IT_ALPHA = {"kms:EncryptionContext:Department": "IT", "kms:EncryptionContext:Project": "Alpha"}
TRAIL = "kms:EncryptionContext:aws:cloudtrail:arn"
WINDOW = "kms:ScheduleKeyDeletionPendingWindowInDays"

# (name, statements, kind, request, outcome, a reason some statement of the trace gives)
CASES = [
    # The default key policy: the account root statement delegates to IAM.
    ("default: root may describe", [ENABLE_IAM], "key", request("root", "kms:DescribeKey"), "allow", None),
    ("default: a user of the account through IAM", [ENABLE_IAM], "key", request("alice", "kms:Decrypt"), "allow", None),
    ("default: another account's user", [ENABLE_IAM], "key", request("bob", "kms:Decrypt"), "no-match",
     f"Principal {BOB} is not {ROOT}"),
    ("kms:* covers everything", [ENABLE_IAM], "key", request("root", "kms:ReplicateKey"), "allow", None),
    # The console's default policy: key administrators and key users split.
    ("admins may create", CONSOLE_DEFAULT, "key", request("admin", "kms:CreateAlias"), "allow", None),
    ("admins may schedule deletion", CONSOLE_DEFAULT, "key", request("admin", "kms:ScheduleKeyDeletion"), "allow",
     None),
    ("admins may put policy", CONSOLE_DEFAULT, "key", request("admin", "kms:PutKeyPolicy"), "allow", None),
    ("admins may tag", CONSOLE_DEFAULT, "key", request("admin", "kms:TagResource"), "allow", None),
    ("admins may not decrypt", CONSOLE_DEFAULT[1:], "key", request("admin", "kms:Decrypt"), "no-match",
     NOT_ADMIN_ACTIONS),
    ("users may encrypt", CONSOLE_DEFAULT, "key", request("app", "kms:Encrypt"), "allow", None),
    ("users may re-encrypt", CONSOLE_DEFAULT[1:], "key", request("app", "kms:ReEncryptFrom"), "allow", None),
    ("users may generate data keys", CONSOLE_DEFAULT[1:], "key",
     request("app", "kms:GenerateDataKeyWithoutPlaintext"), "allow", None),
    ("users may not schedule deletion", CONSOLE_DEFAULT[1:], "key", request("app", "kms:ScheduleKeyDeletion"),
     "no-match", "Action kms:ScheduleKeyDeletion is not in [kms:Encrypt, kms:Decrypt"),
    ("users may grant to AWS resources", CONSOLE_DEFAULT[1:], "key",
     request("app", "kms:CreateGrant", **{"kms:GrantIsForAWSResource": True}), "allow", None),
    ("users may not grant to others", CONSOLE_DEFAULT[1:], "key",
     request("app", "kms:CreateGrant", **{"kms:GrantIsForAWSResource": False}), "no-match",
     "Condition Bool kms:GrantIsForAWSResource expected 'true', request had 'false'"),
    ("a grant request without the key", CONSOLE_DEFAULT[1:], "key", request("app", "kms:CreateGrant"), "no-match",
     "request had no kms:GrantIsForAWSResource"),
    ("Bool compares any case", CONSOLE_DEFAULT[1:], "key",
     request("app", "kms:ListGrants", **{"kms:GrantIsForAWSResource": "TRUE"}), "allow", None),
    ("key users are named, not the account", CONSOLE_DEFAULT[1:], "key", request("alice", "kms:Encrypt"), "no-match",
     f"Principal {ALICE} is not {APP_ROLE}"),
    # An AWS managed key: kms:ViaService and kms:CallerAccount.
    ("managed: through EC2", AWS_MANAGED_EBS, "key", request("alice", "kms:Decrypt", **EC2), "allow", None),
    ("managed: directly", AWS_MANAGED_EBS, "key", request("alice", "kms:Decrypt"), "no-match",
     "request had no kms:ViaService"),
    ("managed: through another service", AWS_MANAGED_EBS, "key",
     request("alice", "kms:Decrypt", **{"kms:ViaService": "s3.us-west-2.amazonaws.com"}), "no-match",
     "Condition StringEquals kms:ViaService expected 'ec2.us-west-2.amazonaws.com', "
     "request had 's3.us-west-2.amazonaws.com'"),
    ("managed: another account through EC2", AWS_MANAGED_EBS, "key", request("bob", "kms:Decrypt", **EC2), "no-match",
     f"Condition StringEquals kms:CallerAccount expected '{ACCOUNT}', request had '{OTHER_ACCOUNT}'"),
    ("managed: the account reads metadata", AWS_MANAGED_EBS, "key", request("root", "kms:GetKeyRotationStatus"),
     "allow", None),
    ("managed: metadata wildcards do not cover crypto", AWS_MANAGED_EBS[1:], "key", request("root", "kms:Encrypt"),
     "no-match", "Action kms:Encrypt is not in [kms:Describe*, kms:Get*, kms:List*, kms:RevokeGrant]"),
    # kms:EncryptionContext:<context-key>.
    ("context pair present", APP_NAME_REQUIRED, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContext:AppName": "ExampleApp"}), "allow", None),
    ("context key name in any case", APP_NAME_REQUIRED, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContext:appname": "ExampleApp"}), "allow", None),
    ("context value case matters", APP_NAME_REQUIRED, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContext:AppName": "exampleapp"}), "no-match",
     "Condition StringEquals kms:EncryptionContext:AppName expected 'ExampleApp', request had 'exampleapp'"),
    ("context pair missing", APP_NAME_REQUIRED, "key", request("app", "kms:GenerateDataKey"), "no-match",
     "request had no kms:EncryptionContext:AppName"),
    ("both pairs required, one given", TWO_PAIRS_ONLY, "key", request(
        "alice", "kms:GenerateDataKey",
        **{"kms:EncryptionContext:Department": "IT", "kms:EncryptionContextKeys": ["Department"]}),
     "no-match", "request had no kms:EncryptionContext:Project"),
    ("both pairs and nothing else", TWO_PAIRS_ONLY, "key", request(
        "alice", "kms:GenerateDataKey", **IT_ALPHA, **{"kms:EncryptionContextKeys": ["Department", "Project"]}),
     "allow", None),
    ("both pairs and an extra key", TWO_PAIRS_ONLY, "key", request(
        "alice", "kms:GenerateDataKey", **IT_ALPHA,
        **{"kms:EncryptionContextKeys": ["Department", "Project", "Stage"]}),
     "no-match", "expected every value to be one of ['Department', 'Project'], "
     "request had ['Department', 'Project', 'Stage']"),
    ("forbidden stage denied", STAGE_FORBIDDEN, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContext:Stage": "Production"}), "deny", None),
    ("other stage allowed", STAGE_FORBIDDEN, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContext:Stage": "Test"}), "allow",
     "Condition StringEquals kms:EncryptionContext:Stage expected one of ['Restricted', 'Production'], "
     "request had 'Test'"),
    ("no stage, no deny", STAGE_FORBIDDEN, "key", request("app", "kms:GenerateDataKey"), "allow",
     "request had no kms:EncryptionContext:Stage"),
    # kms:EncryptionContextKeys with the set operators, empty sets included.
    ("ForAnyValue: one key matches", ANY_APP_NAME_KEY, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContextKeys": ["AppName", "Project"]}), "allow", None),
    ("ForAnyValue: no key matches", ANY_APP_NAME_KEY, "key",
     request("app", "kms:GenerateDataKey", **{"kms:EncryptionContextKeys": ["Project"]}), "no-match",
     "expected at least one value to be 'AppName', request had 'Project'"),
    ("ForAnyValue: no context", ANY_APP_NAME_KEY, "key", request("app", "kms:Encrypt"), "no-match",
     "request had no kms:EncryptionContextKeys"),
    ("ForAnyValue: case-sensitive key", ANY_APP_NAME_KEY, "key",
     request("app", "kms:Encrypt", **{"kms:EncryptionContextKeys": ["appname"]}), "no-match", "request had 'appname'"),
    ("ForAllValues: allowed keys", ONLY_ALLOWED_KEYS, "key",
     request("alice", "kms:Encrypt", **{"kms:EncryptionContextKeys": ["Project"]}), "allow", None),
    ("ForAllValues: no context at all", ONLY_ALLOWED_KEYS, "key", request("alice", "kms:Encrypt"), "allow", None),
    ("ForAllValues: an empty context", ONLY_ALLOWED_KEYS, "key",
     request("alice", "kms:Encrypt", **{"kms:EncryptionContextKeys": []}), "allow", None),
    ("ForAllValues: an unlisted key", ONLY_ALLOWED_KEYS, "key",
     request("alice", "kms:Encrypt", **{"kms:EncryptionContextKeys": ["Owner"]}), "no-match",
     "expected every value to be one of ['Department', 'Project'], request had 'Owner'"),
    ("Null false: some context", CONTEXT_REQUIRED, "key",
     request("app", "kms:Encrypt", **{"kms:EncryptionContextKeys": ["AppName"]}), "allow", None),
    ("Null false: no context", CONTEXT_REQUIRED, "key", request("app", "kms:Encrypt"), "no-match",
     "Condition Null kms:EncryptionContextKeys expected the key to be present, "
     "request had no kms:EncryptionContextKeys"),
    # kms:EncryptionAlgorithm with a double negative; kms:DataKeyPairSpec with StringLike.
    ("other algorithm denied", ONE_ALGORITHM, "key",
     request("app", "kms:Decrypt", **{"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_1"}), "deny", None),
    ("the one algorithm allowed", ONE_ALGORITHM, "key",
     request("app", "kms:Decrypt", **{"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}), "allow",
     "expected a value other than 'RSAES_OAEP_SHA_256', request had 'RSAES_OAEP_SHA_256'"),
    ("no algorithm: the negated condition holds", ONE_ALGORITHM, "key", request("app", "kms:Decrypt"), "deny", None),
    ("StringLike: RSA pair", RSA_PAIRS_ONLY, "key",
     request("alice", "kms:GenerateDataKeyPair", **{"kms:DataKeyPairSpec": "RSA_2048"}), "allow", None),
    ("StringLike: ECC pair", RSA_PAIRS_ONLY, "key",
     request("alice", "kms:GenerateDataKeyPair", **{"kms:DataKeyPairSpec": "ECC_NIST_P256"}), "no-match",
     "Condition StringLike kms:DataKeyPairSpec expected like 'RSA*', request had 'ECC_NIST_P256'"),
    # NotPrincipal, NotAction, NotResource.
    ("NotPrincipal spares the listed role and account", ONLY_ADMINS_MAY_DELETE, "key",
     request("admin", "kms:ScheduleKeyDeletion"), "allow", "is excluded by NotPrincipal"),
    ("NotPrincipal denies everyone else", ONLY_ADMINS_MAY_DELETE, "key", request("alice", "kms:ScheduleKeyDeletion"),
     "deny", f"Denies kms:ScheduleKeyDeletion for {ALICE}"),
    ("NotPrincipal spares the listed root", ONLY_ADMINS_MAY_DELETE, "key", request("root", "kms:ScheduleKeyDeletion"),
     "allow", None),
    ("NotPrincipal without the account denies the role too", NOT_PRINCIPAL_WITHOUT_ACCOUNT, "key",
     request("admin", "kms:ScheduleKeyDeletion"), "deny", None),
    ("NotAction: a listed action is not denied", APP_CRYPTO_ONLY, "key", request("app", "kms:Decrypt"), "allow",
     "Action kms:Decrypt is excluded by NotAction [kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey]"),
    ("NotAction: other actions are", APP_CRYPTO_ONLY, "key", request("app", "kms:ScheduleKeyDeletion"), "deny", None),
    ("NotAction in an Allow: excluded by wildcard", ALL_BUT_DELETION, "key", request("alice", "kms:DeleteAlias"),
     "no-match", "Action kms:DeleteAlias is excluded by NotAction [kms:ScheduleKeyDeletion, kms:Delete*]"),
    ("NotAction in an Allow: everything else", ALL_BUT_DELETION, "key", request("alice", "kms:EnableKeyRotation"),
     "allow", None),
    ("NotResource: this key is not denied", NOT_THIS_KEY, "key", request("alice", "kms:Decrypt"), "allow",
     f"Resource {KEY} is excluded by NotResource {KEY}"),
    ("NotResource: other keys are", NOT_THIS_KEY, "key", request("alice", "kms:Decrypt", resource=OTHER_KEY), "deny",
     None),
    # Wildcards in Action and Resource.
    ("kms:Describe* covers DescribeKey", KEYS_IN_ACCOUNT, "key", request("alice", "kms:DescribeKey"), "allow", None),
    ("? is one character", KEYS_IN_ACCOUNT, "key", request("alice", "kms:GetKeyPolicy"), "allow", None),
    ("actions ignore case", KEYS_IN_ACCOUNT, "key", request("alice", "KMS:describekey"), "allow", None),
    ("an uncovered action", KEYS_IN_ACCOUNT, "key", request("alice", "kms:GetPublicKey"), "no-match",
     "Action kms:GetPublicKey is not in [kms:Describe*, kms:Get?eyPolicy]"),
    ("resource wildcards in region and key id", KEYS_IN_ACCOUNT, "key",
     request("alice", "kms:DescribeKey", resource=OTHER_KEY.replace("us-west-2", "eu-west-1")), "allow", None),
    ("resource in another account", OTHER_ACCOUNT_KEYS, "key", request("alice", "kms:Decrypt"), "no-match",
     f"Resource {KEY} is not arn:aws:kms:*:{OTHER_ACCOUNT}:key/*"),
    # aws:SourceIp, aws:CurrentTime, the pending window, aws:PrincipalArn, Null and IfExists.
    ("IpAddress inside the range", OFFICE_ONLY, "key",
     request("alice", "kms:Decrypt", **{"aws:SourceIp": "203.0.113.7"}), "allow", None),
    ("IpAddress IPv6", OFFICE_ONLY, "key",
     request("alice", "kms:Decrypt", **{"aws:SourceIp": "2001:db8:1234:5678::42"}), "allow", None),
    ("IpAddress outside the range", OFFICE_ONLY, "key",
     request("alice", "kms:Decrypt", **{"aws:SourceIp": "198.51.100.7"}), "no-match",
     "expected in one of ['203.0.113.0/24', '2001:DB8:1234:5678::/64'], request had '198.51.100.7'"),
    ("NotIpAddress denies outsiders", NOT_FROM_OFFICE, "key",
     request("alice", "kms:Decrypt", **{"aws:SourceIp": "198.51.100.7"}), "deny", None),
    ("NotIpAddress spares the office", NOT_FROM_OFFICE, "key",
     request("alice", "kms:Decrypt", **{"aws:SourceIp": "203.0.113.7"}), "allow", None),
    ("DateLessThan before the date", UNTIL_END_OF_2026, "key",
     request("alice", "kms:Decrypt", **{"aws:CurrentTime": "2026-06-01T12:00:00Z"}), "allow", None),
    ("DateLessThan after the date", UNTIL_END_OF_2026, "key",
     request("alice", "kms:Decrypt", **{"aws:CurrentTime": "2027-01-01T00:00:00Z"}), "no-match",
     "Condition DateLessThan aws:CurrentTime expected before '2026-12-31T23:59:59Z', "
     "request had '2027-01-01T00:00:00Z'"),
    ("NumericGreaterThanEquals: long window", LONG_WINDOW_ONLY, "key",
     request("admin", "kms:ScheduleKeyDeletion", **{WINDOW: 30}), "allow", None),
    ("NumericGreaterThanEquals: short window", LONG_WINDOW_ONLY, "key",
     request("admin", "kms:ScheduleKeyDeletion", **{WINDOW: 7}), "no-match", "expected at least '21', request had '7'"),
    ("NumericLessThanEquals: short window", SHORT_WINDOW_ONLY, "key",
     request("admin", "kms:ScheduleKeyDeletion", **{WINDOW: 7}), "allow", None),
    ("NumericLessThanEquals: long window", SHORT_WINDOW_ONLY, "key",
     request("admin", "kms:ScheduleKeyDeletion", **{WINDOW: 30}), "no-match",
     f"Condition NumericLessThanEquals {WINDOW} expected at most '10', request had '30'"),
    ("ArnLike aws:PrincipalArn: a KMS role session", KMS_ROLES, "key", request("admin", "kms:Decrypt"), "allow", None),
    ("ArnLike aws:PrincipalArn: a user", KMS_ROLES, "key", request("alice", "kms:Decrypt"), "no-match",
     f"Condition ArnLike aws:PrincipalArn expected like 'arn:aws:iam::{ACCOUNT}:role/KMS*', request had '{ALICE}'"),
    ("Null true: no bypass parameter", NO_BYPASS, "key", request("admin", "kms:PutKeyPolicy"), "allow", None),
    ("Null true: bypass parameter given", NO_BYPASS, "key",
     request("admin", "kms:PutKeyPolicy", **{"kms:BypassPolicyLockoutSafetyCheck": False}), "no-match",
     "Condition Null kms:BypassPolicyLockoutSafetyCheck expected the key to be absent, request had 'false'"),
    ("IfExists: the key is absent", VIA_EC2_IF_ANY, "key", request("alice", "kms:Decrypt"), "allow", None),
    ("IfExists: the key has another value", VIA_EC2_IF_ANY, "key",
     request("alice", "kms:Decrypt", **{"kms:ViaService": "rds.us-west-2.amazonaws.com"}), "no-match",
     "Condition StringEqualsIfExists kms:ViaService expected 'ec2.us-west-2.amazonaws.com', "
     "request had 'rds.us-west-2.amazonaws.com'"),
    ("negated IfExists in a Deny still denies a missing key", DENY_OUTSIDE_EC2, "key",
     request("alice", "kms:Decrypt"), "deny", None),
    ("negated IfExists in a Deny spares the right value", DENY_OUTSIDE_EC2, "key",
     request("alice", "kms:Decrypt", **EC2), "allow", None),
    # Other principals: another account, a service.
    ("cross-account: the other account's user", CROSS_ACCOUNT, "key", request("bob", "kms:Decrypt"), "allow", None),
    ("cross-account: only the listed actions", CROSS_ACCOUNT, "key", request("bob", "kms:ScheduleKeyDeletion"),
     "no-match", "Action kms:ScheduleKeyDeletion is not in [kms:Decrypt, kms:DescribeKey]"),
    ("a service principal", CLOUDTRAIL, "key", request(
        "cloudtrail", "kms:GenerateDataKey", **{TRAIL: f"arn:aws:cloudtrail:us-west-2:{ACCOUNT}:trail/main"}),
     "allow", None),
    ("a service principal for another account's trail", CLOUDTRAIL, "key", request(
        "cloudtrail", "kms:GenerateDataKey", **{TRAIL: f"arn:aws:cloudtrail:us-west-2:{OTHER_ACCOUNT}:trail/x"}),
     "no-match", f"Principal cloudtrail.amazonaws.com is not {ROOT}"),
    # Identity and trust policies.
    ("IAM: Bool denies the bypass", NO_BYPASS_IAM, "identity",
     request("alice", "kms:CreateKey", resource="*", **{"kms:BypassPolicyLockoutSafetyCheck": True}), "deny", None),
    ("IAM: no bypass, allowed", NO_BYPASS_IAM, "identity", request("alice", "kms:CreateKey", resource="*"), "allow",
     "request had no kms:BypassPolicyLockoutSafetyCheck"),
    ("IAM: symmetric algorithm allowed", ONLY_SYMMETRIC, "identity",
     request("alice", "kms:Encrypt", **{"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}), "allow", None),
    ("IAM: asymmetric algorithm denied", ONLY_SYMMETRIC, "identity",
     request("alice", "kms:Encrypt", **{"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}), "deny", None),
    ("IAM: the deny covers keys, not aliases", ONLY_SYMMETRIC, "identity",
     request("alice", "kms:Encrypt", resource=ALIAS, **{"kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}), "allow",
     f"Resource {ALIAS} is not arn:aws:kms:us-west-2:{ACCOUNT}:key/*"),
    ("trust: a user of the trusted account", ACCOUNT_TRUST, "trust", request("alice", "sts:AssumeRole", resource="*"),
     "allow", None),
    ("trust: a stranger", ACCOUNT_TRUST, "trust", request("bob", "sts:AssumeRole", resource="*"), "no-match",
     f"Principal {BOB} is not {ROOT}"),
]
# fmt: on


@pytest.mark.parametrize(
    ("statements", "kind", "context", "outcome", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_aws_documented_example(statements, kind, context, outcome, reason):
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}), kind=kind)
    result = evaluate_policy(policy, context, source=f"{kind} policy")
    assert result.outcome == outcome, result.trace
    if reason is not None:
        reasons = [entry["reason"] for entry in result.trace]
        assert any(reason in text for text in reasons), reasons


def test_the_table_covers_at_least_sixty_documented_cases():
    assert len(CASES) >= 60
    assert len({case[0] for case in CASES}) == len(CASES)


def test_the_account_principal_delegates_to_iam_for_users_but_not_for_root():
    policy = parse_policy(json.dumps({"Statement": [ENABLE_IAM]}), kind="key")
    for_user = evaluate_policy(policy, request("alice", "kms:Decrypt"), source="key policy")
    assert for_user.allows and not for_user.allows_directly
    assert for_user.statements[0].through_account
    assert "the caller's own IAM policies must allow it too" in for_user.statements[0].reason
    for_root = evaluate_policy(policy, request("root", "kms:Decrypt"), source="key policy")
    assert for_root.allows and for_root.allows_directly


def test_naming_the_role_allows_its_sessions_directly():
    policy = parse_policy(json.dumps({"Statement": CONSOLE_DEFAULT}), kind="key")
    result = evaluate_policy(policy, request("app", "kms:Encrypt"), source="key policy")
    assert result.allows_directly


def test_a_role_with_a_path_is_matched_through_the_role_arn_given_with_the_session():
    policy = parse_policy(
        json.dumps({"Statement": [allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops/Admin"}, "kms:*")]}), kind="key"
    )
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"
    context = RequestContext(
        session, ACCOUNT, "AssumedRole", "kms:Decrypt", KEY, role_arn=f"arn:aws:iam::{ACCOUNT}:role/ops/Admin"
    )
    assert evaluate_policy(policy, context, source="key policy").outcome == "allow"


def test_the_trace_is_plain_json_with_one_entry_per_statement():
    policy = parse_policy(json.dumps({"Statement": CONSOLE_DEFAULT}), kind="key")
    result = evaluate_policy(policy, request("admin", "kms:Decrypt"), source="key policy")
    trace = result.trace
    assert json.loads(json.dumps(trace)) == trace
    assert [entry["sid"] for entry in trace] == [statement["Sid"] for statement in CONSOLE_DEFAULT]
    assert trace[1] == {
        "source": "key policy",
        "index": 2,
        "sid": "Allow access for Key Administrators",
        "effect": "Allow",
        "matched": False,
        "reason": NOT_ADMIN_ACTIONS + ", kms:Enable*, kms:List*, kms:Put*, kms:Update*, kms:Revoke*, kms:Disable*, "
        "kms:Get*, kms:Delete*, kms:TagResource, kms:UntagResource, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion]",
    }


def test_a_statement_reports_each_element_and_the_first_failure():
    statement = parse_policy(json.dumps({"Statement": [PERSISTENT_RESOURCES]}), kind="key").statements[0]
    result = evaluate_statement(statement, request("alice", "kms:Decrypt"))
    assert (result.principal_matched, result.action_matched, result.resource_matched) == (False, False, True)
    assert result.conditions_matched is False
    assert result.reason == f"Principal {ALICE} is not {APP_ROLE}"


def test_a_key_policy_statement_without_action_applies_to_nothing():
    statement = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Resource": "*"}
    policy = parse_policy(json.dumps({"Statement": [statement]}), kind="key")
    result = evaluate_policy(policy, request("root", "kms:Decrypt"), source="key policy")
    assert result.outcome == "no-match"
    assert result.trace[0]["reason"] == "Statement has no Action or NotAction, so it applies to no request"


# Adding a Deny can only take permission away.

ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:*", "kms:Describe*", "*", "kms:Get?eyPolicy", "kms:ScheduleKeyDeletion"]
RESOURCES = ["*", KEY, f"arn:aws:kms:*:{ACCOUNT}:key/*", f"arn:aws:kms:*:{OTHER_ACCOUNT}:key/*"]
PRINCIPALS = [
    "*",
    {"AWS": ACCOUNT},
    {"AWS": ALICE},
    {"AWS": APP_ROLE},
    {"AWS": [OTHER_ACCOUNT, ADMIN_ROLE]},
    {"Service": "cloudtrail.amazonaws.com"},
]
CONDITIONS = [
    {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}},
    {"StringNotEquals": {"kms:EncryptionContext:tenant": ["acme", "globex"]}},
    {"StringLikeIfExists": {"kms:ViaService": "*.us-west-2.amazonaws.com"}},
    {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["tenant", "stage"]}},
    {"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": "ten*"}},
    {"Null": {"kms:EncryptionContextKeys": "true"}},
    {"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": 10}},
    {"Bool": {"kms:GrantIsForAWSResource": True}},
    {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
]
REQUEST_VALUES = [
    {},
    {"kms:EncryptionContext:tenant": "acme", "kms:EncryptionContextKeys": ["tenant"]},
    {"kms:EncryptionContext:Tenant": "globex", "kms:EncryptionContextKeys": ["Tenant", "stage"]},
    {"kms:ViaService": "ec2.us-west-2.amazonaws.com", "aws:SourceIp": "203.0.113.9"},
    {"kms:ScheduleKeyDeletionPendingWindowInDays": 7, "kms:GrantIsForAWSResource": False},
]


def _one_of(values: list) -> st.SearchStrategy:
    return st.sampled_from(values)


@st.composite
def statements(draw: st.DrawFn, effect: st.SearchStrategy[str] | None = None) -> dict:
    statement: dict = {"Effect": draw(effect if effect is not None else _one_of(["Allow", "Deny"]))}
    statement["NotPrincipal" if draw(st.integers(0, 3)) == 0 else "Principal"] = draw(_one_of(PRINCIPALS))
    statement["NotAction" if draw(st.integers(0, 3)) == 0 else "Action"] = draw(
        st.lists(_one_of(ACTIONS), min_size=1, max_size=3)
    )
    statement["NotResource" if draw(st.integers(0, 3)) == 0 else "Resource"] = draw(_one_of(RESOURCES))
    chosen = draw(st.lists(_one_of(CONDITIONS), max_size=2))
    if chosen:
        merged: dict = {}
        for condition in chosen:
            for operator, keys in condition.items():
                merged.setdefault(operator, {}).update(keys)
        statement["Condition"] = merged
    return statement


contexts = st.builds(
    lambda caller, action, resource, values: request(caller, action, resource, **values),
    caller=_one_of(sorted(CALLERS)),
    action=_one_of(["kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ScheduleKeyDeletion"]),
    resource=_one_of([KEY, KEY.replace(ACCOUNT, OTHER_ACCOUNT)]),
    values=_one_of(REQUEST_VALUES),
)


@settings(max_examples=300, deadline=None)
@given(
    policy_statements=st.lists(statements(), min_size=1, max_size=5),
    extra_deny=statements(effect=st.just("Deny")),
    position=st.integers(min_value=0, max_value=5),
    context=contexts,
)
def test_adding_a_deny_never_grants_and_never_lifts_a_deny(policy_statements, extra_deny, position, context):
    before = _evaluate(policy_statements, context)
    after = _evaluate([*policy_statements[:position], extra_deny, *policy_statements[position:]], context)
    assert after.explicit_deny or not before.explicit_deny
    assert after.outcome != "allow" or before.outcome == "allow"
    assert after.allows == before.allows
    assert (after.outcome == "deny") == after.explicit_deny


def _evaluate(policy_statements: list[dict], context: RequestContext):
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": policy_statements}), kind="key")
    return evaluate_policy(policy, context, source="key policy")


# Remembered verdicts: evaluate_policy keeps each result on the policy, under the caller,
# action, resource and the values of the condition keys the policy tests.

TENANT_POLICY = [
    allow({"AWS": APP_ROLE}, "kms:Encrypt", {"StringEquals": {"kms:EncryptionContext:tenant": "acme"}}),
    deny({"AWS": ALICE}, "kms:Encrypt", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
]


def _fresh(policy_statements: list[dict]):
    """A parsed policy with nothing remembered (parse_policy hands out one object per text)."""
    return dataclasses.replace(parse_policy(json.dumps({"Statement": policy_statements}), kind="key"))


def test_a_repeated_request_gets_the_remembered_verdict():
    policy = _fresh(TENANT_POLICY)
    forget_verdicts()
    context = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": "acme"})
    first = evaluate_policy(policy, context, source="key policy")
    repeated = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": "acme"})
    again = evaluate_policy(policy, repeated, source="key policy")
    assert first.outcome == "allow"
    assert again is first
    assert remembered_verdicts() == 1


def test_a_changed_value_of_a_tested_key_is_evaluated_afresh():
    policy = _fresh(TENANT_POLICY)
    acme = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": "acme"})
    globex = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": "globex"})
    assert evaluate_policy(policy, acme, source="key policy").outcome == "allow"
    refused = evaluate_policy(policy, globex, source="key policy")
    assert refused.outcome == "no-match"
    assert "request had 'globex'" in refused.trace[0]["reason"]
    inside = request("alice", "kms:Encrypt", **{"aws:SourceIp": "203.0.113.7"})
    outside = request("alice", "kms:Encrypt", **{"aws:SourceIp": "198.51.100.7"})
    assert evaluate_policy(policy, inside, source="key policy").explicit_deny
    assert not evaluate_policy(policy, outside, source="key policy").explicit_deny


def test_values_of_keys_the_policy_does_not_test_share_one_verdict():
    policy = _fresh(TENANT_POLICY)
    forget_verdicts()
    for stage in ("test", "prod", "dev"):
        values = {"kms:EncryptionContext:tenant": "acme", "kms:EncryptionContext:stage": stage}
        context = request("app", "kms:Encrypt", **values)
        assert evaluate_policy(policy, context, source="key policy").outcome == "allow"
    assert remembered_verdicts() == 1


def test_each_caller_action_and_source_has_its_own_verdict():
    policy = _fresh(TENANT_POLICY)
    values = {"kms:EncryptionContext:tenant": "acme"}
    assert evaluate_policy(policy, request("app", "kms:Encrypt", **values), source="key policy").outcome == "allow"
    assert evaluate_policy(policy, request("admin", "kms:Encrypt", **values), source="key policy").outcome == "no-match"
    assert evaluate_policy(policy, request("app", "kms:Decrypt", **values), source="key policy").outcome == "no-match"
    other_source = evaluate_policy(policy, request("app", "kms:Encrypt", **values), source="new key policy")
    assert other_source.source == "new key policy"


def test_a_trace_handed_out_can_be_changed_without_touching_the_remembered_one():
    policy = _fresh(TENANT_POLICY)
    context = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": "acme"})
    evaluate_policy(policy, context, source="key policy").trace[0]["reason"] = "tampered"
    assert evaluate_policy(policy, context, source="key policy").trace[0]["reason"] != "tampered"


def test_the_remembered_verdicts_stay_bounded():
    policy = _fresh(TENANT_POLICY)
    for tenant in range(MEMO_LIMIT + 50):
        context = request("app", "kms:Encrypt", **{"kms:EncryptionContext:tenant": f"t{tenant}"})
        evaluate_policy(policy, context, source="key policy")
    assert 0 < remembered_verdicts() <= MEMO_LIMIT


@settings(max_examples=200, deadline=None)
@given(policy_statements=st.lists(statements(), min_size=1, max_size=4), sequence=st.lists(contexts, max_size=6))
def test_a_remembered_verdict_is_always_the_one_a_fresh_evaluation_gives(policy_statements, sequence):
    shared = _fresh(policy_statements)
    for context in sequence:
        remembered = evaluate_policy(shared, context, source="key policy")
        fresh = evaluate_policy(_fresh(policy_statements), context, source="key policy")
        assert (remembered.explicit_deny, remembered.allows, remembered.allows_directly) == (
            fresh.explicit_deny,
            fresh.allows,
            fresh.allows_directly,
        )
        assert remembered.trace == fresh.trace
