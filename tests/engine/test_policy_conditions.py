"""Condition operators, as the IAM User Guide defines them, one (operator, key, values)
triple at a time."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from kmsconsole.engine.policy import InvalidPolicyDocument, RequestContext, evaluate_statement, parse_policy

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MISSING = None


def statement_with(condition: dict):
    text = json.dumps({"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*", "Condition": condition}})
    return parse_policy(text, kind="identity").statements[0]


def request(**condition_values: object) -> RequestContext:
    return RequestContext(ALICE, ACCOUNT, "IAMUser", "kms:Decrypt", KEY, condition_values)


def check(operator: str, key: str, values: object, request_values: object):
    context = request(**({} if request_values is MISSING else {key: request_values}))
    return evaluate_statement(statement_with({operator: {key: values}}), context)


CASES = [
    # String operators: exact, case-sensitive; values ORed.
    ("StringEquals", "kms:ViaService", "ec2.us-west-2.amazonaws.com", "ec2.us-west-2.amazonaws.com", True),
    ("StringEquals", "kms:ViaService", "ec2.us-west-2.amazonaws.com", "EC2.us-west-2.amazonaws.com", False),
    (
        "StringEquals",
        "kms:ViaService",
        ["rds.us-west-2.amazonaws.com", "ec2.us-west-2.amazonaws.com"],
        "ec2.us-west-2.amazonaws.com",
        True,
    ),
    ("StringEquals", "kms:ViaService", "ec2.us-west-2.amazonaws.com", MISSING, False),
    ("StringNotEquals", "kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_256", True),
    ("StringNotEquals", "kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT", "SYMMETRIC_DEFAULT", False),
    (
        "StringNotEquals",
        "kms:EncryptionAlgorithm",
        ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
        "RSAES_OAEP_SHA_256",
        False,
    ),  # NOR over the policy values
    ("StringNotEquals", "kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT", MISSING, True),  # negated + missing
    ("StringEqualsIgnoreCase", "kms:EncryptionContext:AppName", "exampleapp", "ExampleApp", True),
    ("StringNotEqualsIgnoreCase", "kms:EncryptionContext:AppName", "exampleapp", "ExampleApp", False),
    ("StringNotEqualsIgnoreCase", "kms:EncryptionContext:AppName", "exampleapp", "OtherApp", True),
    ("StringLike", "kms:DataKeyPairSpec", "RSA*", "RSA_2048", True),
    ("StringLike", "kms:DataKeyPairSpec", "RSA*", "ECC_NIST_P256", False),
    ("StringLike", "kms:DataKeyPairSpec", "rsa*", "RSA_2048", False),  # case-sensitive
    ("StringLike", "kms:DataKeyPairSpec", "RSA_????", "RSA_2048", True),
    ("StringLike", "kms:DataKeyPairSpec", "RSA_???", "RSA_2048", False),  # ? is exactly one character
    ("StringLike", "kms:RequestAlias", "alias/app*", "alias/app/prod", True),
    ("StringLike", "kms:RequestAlias", "alias/app.*", "alias/appX", False),  # . is literal
    ("StringNotLike", "kms:RequestAlias", ["alias/test-*", "alias/dev-*"], "alias/prod-db", True),
    ("StringNotLike", "kms:RequestAlias", ["alias/test-*", "alias/dev-*"], "alias/dev-db", False),
    ("StringNotLike", "kms:RequestAlias", "alias/test-*", MISSING, True),
    # Numeric.
    ("NumericEquals", "kms:RotationPeriodInDays", "365", "365", True),
    ("NumericEquals", "kms:RotationPeriodInDays", 365, "365.0", True),
    ("NumericNotEquals", "kms:RotationPeriodInDays", "365", "90", True),
    ("NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", "30", "29", True),
    ("NumericLessThan", "kms:ScheduleKeyDeletionPendingWindowInDays", "30", "30", False),
    ("NumericLessThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "30", "30", True),
    ("NumericGreaterThan", "kms:ScheduleKeyDeletionPendingWindowInDays", "7", "7", False),
    ("NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "21", "21", True),
    ("NumericGreaterThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "21", "not a number", False),
    ("NumericLessThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "30", MISSING, False),
    # Dates: W3C ISO 8601 or epoch seconds, either side.
    ("DateLessThan", "aws:CurrentTime", "2026-12-31T23:59:59Z", "2026-06-01T00:00:00Z", True),
    ("DateLessThan", "aws:CurrentTime", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", False),
    ("DateLessThan", "aws:CurrentTime", "2026-12-31", "1798675199", True),  # epoch request value
    ("DateGreaterThan", "aws:CurrentTime", "1767225600", "2026-01-01T00:00:01Z", True),  # epoch policy value
    ("DateGreaterThanEquals", "aws:CurrentTime", "2026-01-01T00:00:00+01:00", "2025-12-31T23:00:00Z", True),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-01", "2026-01-01T00:00:00Z", True),
    ("DateEquals", "kms:ValidTo", "2026-03-01T00:00:00Z", "1772323200", True),
    ("DateNotEquals", "kms:ValidTo", "2026-03-01T00:00:00Z", "1772323201", True),
    ("DateGreaterThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", "yesterday", False),
    # Bool: true/false, any case.
    ("Bool", "kms:GrantIsForAWSResource", "true", "true", True),
    ("Bool", "kms:GrantIsForAWSResource", True, "TRUE", True),
    ("Bool", "kms:GrantIsForAWSResource", "true", "false", False),
    ("Bool", "kms:GrantIsForAWSResource", "true", MISSING, False),
    # Binary.
    ("BinaryEquals", "aws:ExampleBinary", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "aws:ExampleBinary", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "b3RoZXI=", False),
    # IP addresses, IPv4 and IPv6; a bare address is a /32.
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.7", "203.0.113.7", True),
    ("IpAddress", "aws:SourceIp", ["203.0.113.0/24", "2001:DB8:1234:5678::/64"], "2001:db8:1234:5678::1", True),
    ("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64", "203.0.113.7", False),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "not-an-ip", False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", True),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", False),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", MISSING, True),
    # ARNs: segment by segment, wildcards within a segment only.
    (
        "ArnLike",
        "aws:PrincipalArn",
        "arn:aws:iam::111122223333:role/KMS*",
        "arn:aws:iam::111122223333:role/KMSAdmin",
        True,
    ),
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-west-2:111122223333:topic",
        "arn:aws:sns:us-west-2:111122223333:topic",
        True,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:someservice:*:111122223333:finance/*",
        "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
        False,
    ),
    (
        "StringLike",
        "aws:SourceArn",
        "arn:aws:someservice:*:111122223333:finance/*",
        "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
        True,
    ),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b:c", True),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::bucket/*", "not-an-arn", False),
    (
        "ArnNotLike",
        "aws:PrincipalArn",
        "arn:aws:iam::111122223333:role/KMS*",
        "arn:aws:iam::111122223333:user/alice",
        True,
    ),
    (
        "ArnNotEquals",
        "aws:PrincipalArn",
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:user/alice",
        False,
    ),
    # IfExists: a missing key passes, a present key is tested.
    ("StringEqualsIfExists", "kms:ViaService", "ec2.us-west-2.amazonaws.com", MISSING, True),
    ("StringEqualsIfExists", "kms:ViaService", "ec2.us-west-2.amazonaws.com", "s3.us-west-2.amazonaws.com", False),
    ("StringNotEqualsIfExists", "kms:ViaService", "ec2.us-west-2.amazonaws.com", MISSING, True),
    ("NumericLessThanEqualsIfExists", "kms:ScheduleKeyDeletionPendingWindowInDays", "10", "30", False),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:111122223333:*", MISSING, True),
    # Null: true = absent, false = present.
    ("Null", "kms:BypassPolicyLockoutSafetyCheck", "true", MISSING, True),
    ("Null", "kms:BypassPolicyLockoutSafetyCheck", True, "false", False),
    ("Null", "kms:EncryptionContextKeys", "false", ["AppName"], True),
    ("Null", "kms:EncryptionContextKeys", False, MISSING, False),
    ("Null", "kms:EncryptionContextKeys", "true", (), True),  # an empty set is missing
    # Set operators on a multi-valued key.
    ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "AppName", ["AppName", "Project"], True),
    ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "AppName", ["Project"], False),
    ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "AppName", MISSING, False),
    ("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", "AppName", (), False),
    ("ForAnyValue:StringEqualsIfExists", "kms:EncryptionContextKeys", "AppName", MISSING, False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["DataClass", "Owner"], ["DataClass", "Owner"], False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["DataClass", "Owner"], ["Dept", "DataClass"], True),
    ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Department", "Project"], ["Department"], True),
    (
        "ForAllValues:StringEquals",
        "kms:EncryptionContextKeys",
        ["Department", "Project"],
        ["Department", "Stage"],
        False,
    ),
    ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Department", "Project"], MISSING, True),
    ("ForAllValues:StringEquals", "kms:EncryptionContextKeys", ["Department", "Project"], (), True),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key1:legal"], False),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key1:hr", "key1:personnel"], False),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", ["key2:audit"], True),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "key1*", MISSING, True),
    ("ForAnyValue:StringLike", "kms:GrantOperations", "Decrypt*", ["Encrypt", "Decrypt"], True),
    # A plain operator on a multi-valued key: any value (positive), no value (negated).
    ("StringEquals", "kms:GrantOperations", "Decrypt", ["Encrypt", "Decrypt"], True),
    ("StringNotEquals", "kms:GrantOperations", "Decrypt", ["Encrypt", "Decrypt"], False),
]


@pytest.mark.parametrize(("operator", "key", "values", "request_values", "holds"), CASES)
def test_condition_operator(operator, key, values, request_values, holds):
    result = check(operator, key, values, request_values)
    assert result.conditions_matched is holds, result.reason


def test_condition_key_names_are_case_insensitive_both_ways():
    assert check("StringEquals", "KMS:viaservice", "ec2.us-west-2.amazonaws.com", "x").conditions_matched is False
    statement = statement_with({"StringEquals": {"KMS:ViaService": "ec2.us-west-2.amazonaws.com"}})
    context = request(**{"kms:viaservice": "ec2.us-west-2.amazonaws.com"})
    assert evaluate_statement(statement, context).conditions_matched


def test_the_encryption_context_key_in_a_condition_key_is_case_insensitive_but_its_value_is_not():
    statement = statement_with({"StringEquals": {"kms:EncryptionContext:Appname": "ExampleApp"}})
    assert evaluate_statement(statement, request(**{"kms:EncryptionContext:AppName": "ExampleApp"})).matched
    assert not evaluate_statement(statement, request(**{"kms:EncryptionContext:AppName": "exampleapp"})).matched


def test_context_keys_that_differ_only_in_case_become_one_multi_valued_key():
    context = request(**{"kms:EncryptionContext:Dept": "IT", "kms:EncryptionContext:dept": "HR"})
    assert context.values_of("KMS:ENCRYPTIONCONTEXT:DEPT") == ("IT", "HR")


def test_request_values_may_be_booleans_numbers_datetimes_and_bytes():
    context = request(
        **{
            "kms:GrantIsForAWSResource": True,
            "kms:ScheduleKeyDeletionPendingWindowInDays": 7,
            "aws:CurrentTime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "aws:ExampleBinary": b"BinaryValueInBase64",
            "kms:EncryptionContextKeys": ["AppName"],
            "aws:SourceVpc": None,
        }
    )
    assert context.values_of("kms:GrantIsForAWSResource") == ("true",)
    assert context.values_of("kms:ScheduleKeyDeletionPendingWindowInDays") == ("7",)
    assert context.values_of("aws:CurrentTime") == ("2026-01-02T03:04:05Z",)
    assert context.values_of("aws:ExampleBinary") == ("QmluYXJ5VmFsdWVJbkJhc2U2NA==",)
    assert context.values_of("aws:SourceVpc") is None


def test_principal_keys_are_derived_from_the_caller_unless_given():
    context = RequestContext(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/KMSAdmin/alice", ACCOUNT, "AssumedRole", "kms:Decrypt", KEY
    )
    assert context.role_arn == f"arn:aws:iam::{ACCOUNT}:role/KMSAdmin"
    assert context.values_of("aws:PrincipalArn") == (f"arn:aws:iam::{ACCOUNT}:role/KMSAdmin",)
    assert context.values_of("aws:PrincipalAccount") == (ACCOUNT,)
    assert context.values_of("aws:PrincipalType") == ("AssumedRole",)
    assert context.values_of("kms:CallerAccount") == (ACCOUNT,)
    given = RequestContext(ALICE, ACCOUNT, "IAMUser", "kms:Decrypt", KEY, {"kms:CallerAccount": "444455556666"})
    assert given.values_of("kms:CallerAccount") == ("444455556666",)
    assert RequestContext(ALICE, ACCOUNT, "IAMUser", "sts:AssumeRole", "*").values_of("kms:CallerAccount") is None


def test_values_for_many_keys_agree_with_values_of_each():
    context = RequestContext(
        ALICE, ACCOUNT, "IAMUser", "kms:Decrypt", KEY, {"kms:EncryptionContext:Dept": "IT", "kms:CallerAccount": "9"}
    )
    keys = ("aws:principalarn", "kms:calleraccount", "kms:encryptioncontext:dept", "aws:sourcevpc")
    assert context.values_for(keys) == tuple(context.values_of(key) for key in keys)
    assert context.values_for(keys) == ((ALICE,), ("9",), ("IT",), None)


def test_replacing_the_principal_derives_its_keys_again():
    context = RequestContext(ALICE, ACCOUNT, "IAMUser", "kms:Decrypt", KEY, {"aws:SourceIp": "203.0.113.7"})
    other = dataclasses.replace(
        context, principal_arn="arn:aws:iam::444455556666:user/bob", principal_account="444455556666"
    )
    assert other.values_of("aws:PrincipalArn") == ("arn:aws:iam::444455556666:user/bob",)
    assert other.effective_values["kms:calleraccount"] == ("444455556666",)
    assert other.effective_values["aws:sourceip"] == ("203.0.113.7",)


def test_a_service_principal_carries_its_service_name():
    context = RequestContext("cloudtrail.amazonaws.com", ACCOUNT, "AWSService", "kms:GenerateDataKey", KEY)
    assert context.values_of("aws:PrincipalServiceName") == ("cloudtrail.amazonaws.com",)
    assert context.values_of("aws:PrincipalArn") is None


def test_several_keys_and_operators_in_one_block_are_anded():
    statement = statement_with(
        {
            "StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ec2.us-west-2.amazonaws.com"},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        }
    )
    everything = {"kms:ViaService": "ec2.us-west-2.amazonaws.com", "kms:GrantIsForAWSResource": "true"}
    assert evaluate_statement(statement, request(**everything)).conditions_matched
    for missing in everything:
        partial = {key: value for key, value in everything.items() if key != missing}
        assert not evaluate_statement(statement, request(**partial)).conditions_matched


@pytest.mark.parametrize(
    ("operator", "key", "values", "request_values", "reason"),
    [
        (
            "StringEquals",
            "kms:EncryptionContext:tenant",
            "acme",
            "globex",
            "Condition StringEquals kms:EncryptionContext:tenant expected 'acme', request had 'globex'",
        ),
        (
            "StringEquals",
            "kms:EncryptionContext:tenant",
            ["acme", "initech"],
            MISSING,
            "Condition StringEquals kms:EncryptionContext:tenant expected one of ['acme', 'initech'], "
            "request had no kms:EncryptionContext:tenant",
        ),
        (
            "StringNotEquals",
            "kms:EncryptionAlgorithm",
            "SYMMETRIC_DEFAULT",
            "SYMMETRIC_DEFAULT",
            "Condition StringNotEquals kms:EncryptionAlgorithm expected a value other than 'SYMMETRIC_DEFAULT', "
            "request had 'SYMMETRIC_DEFAULT'",
        ),
        (
            "StringNotLike",
            "kms:RequestAlias",
            ["alias/test-*", "alias/dev-*"],
            "alias/dev-db",
            "Condition StringNotLike kms:RequestAlias expected a value like none of ['alias/test-*', 'alias/dev-*'], "
            "request had 'alias/dev-db'",
        ),
        (
            "NumericLessThanEquals",
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            "10",
            "30",
            "Condition NumericLessThanEquals kms:ScheduleKeyDeletionPendingWindowInDays expected at most '10', "
            "request had '30'",
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            "2026-12-31T23:59:59Z",
            "2027-01-01T00:00:00Z",
            "Condition DateLessThan aws:CurrentTime expected before '2026-12-31T23:59:59Z', "
            "request had '2027-01-01T00:00:00Z'",
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            "203.0.113.0/24",
            "198.51.100.7",
            "Condition IpAddress aws:SourceIp expected in '203.0.113.0/24', request had '198.51.100.7'",
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            "203.0.113.0/24",
            "203.0.113.7",
            "Condition NotIpAddress aws:SourceIp expected a value not in '203.0.113.0/24', request had '203.0.113.7'",
        ),
        (
            "ForAnyValue:StringEquals",
            "kms:EncryptionContextKeys",
            "AppName",
            ["Project"],
            "Condition ForAnyValue:StringEquals kms:EncryptionContextKeys expected at least one value to be 'AppName', "
            "request had 'Project'",
        ),
        (
            "ForAllValues:StringEquals",
            "kms:EncryptionContextKeys",
            ["Department", "Project"],
            ["Department", "Stage"],
            "Condition ForAllValues:StringEquals kms:EncryptionContextKeys expected every value to be one of "
            "['Department', 'Project'], request had ['Department', 'Stage']",
        ),
        (
            "Null",
            "kms:EncryptionContextKeys",
            "false",
            MISSING,
            "Condition Null kms:EncryptionContextKeys expected the key to be present, "
            "request had no kms:EncryptionContextKeys",
        ),
        (
            "Null",
            "kms:BypassPolicyLockoutSafetyCheck",
            "true",
            "true",
            "Condition Null kms:BypassPolicyLockoutSafetyCheck expected the key to be absent, request had 'true'",
        ),
        (
            "StringEqualsIfExists",
            "kms:ViaService",
            "ec2.us-west-2.amazonaws.com",
            "s3.us-west-2.amazonaws.com",
            "Condition StringEqualsIfExists kms:ViaService expected 'ec2.us-west-2.amazonaws.com', "
            "request had 's3.us-west-2.amazonaws.com'",
        ),
    ],
)
def test_a_failing_condition_says_what_was_expected_and_what_the_request_had(
    operator, key, values, request_values, reason
):
    assert check(operator, key, values, request_values).reason == reason


def test_the_first_failing_condition_gives_the_reason():
    statement = statement_with(
        {
            "StringEquals": {"kms:ViaService": "ec2.us-west-2.amazonaws.com"},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
        }
    )
    reason = evaluate_statement(statement, request(**{"kms:ViaService": "ec2.us-west-2.amazonaws.com"})).reason
    assert (
        reason == "Condition Bool kms:GrantIsForAWSResource expected 'true', request had no kms:GrantIsForAWSResource"
    )


@pytest.mark.parametrize(
    ("condition", "explanation"),
    [
        ({"StringEqualz": {"kms:ViaService": "x"}}, "StringEqualz is not a condition operator"),
        ({"ForSomeValues:StringEquals": {"aws:TagKeys": "x"}}, "ForSomeValues is not a condition set operator"),
        ({"NullIfExists": {"aws:TagKeys": "true"}}, "Null takes neither IfExists nor a set operator"),
        ({"ForAnyValue:Null": {"aws:TagKeys": "true"}}, "Null takes neither IfExists nor a set operator"),
        ({"Null": {"aws:TagKeys": "maybe"}}, "Null needs true or false"),
        ({"NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "ten"}}, "'ten' is not a number"),
        ({"DateLessThan": {"aws:CurrentTime": "next week"}}, "is not an ISO 8601 date or epoch seconds"),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}, "is not an IP address or CIDR range"),
        ({"Bool": {"kms:GrantIsForAWSResource": "yes"}}, "Bool needs true or false"),
        ({"BinaryEquals": {"aws:ExampleBinary": "***"}}, "is not base64"),
        ({"StringEquals": {"kms:ViaService": []}}, "needs a string, number or boolean"),
        ({"StringEquals": {"kms:ViaService": {"nested": "object"}}}, "needs a string, number or boolean"),
        ({"StringEquals": "kms:ViaService"}, "must map condition keys to values"),
        (["StringEquals"], "Condition must be an object of operators"),
        ({"StringEquals": {"ViaService": "x"}}, "needs a vendor prefix"),
    ],
)
def test_a_malformed_condition_is_refused_when_the_policy_is_parsed(condition, explanation):
    with pytest.raises(InvalidPolicyDocument) as caught:
        statement_with(condition)
    assert explanation in caught.value.explanation
