"""Grants through boto3 and the aws CLI: CreateGrant, ListGrants, ListRetirableGrants,
RetireGrant and RevokeGrant against a live server."""

import re

import pytest
from django.utils import timezone
from support import cli_json

from kmsconsole.iam.models import Account, PrincipalType
from kmsconsole.iam.provisioning import create_principal
from kmsconsole.kms.models import Grant, Key
from kmsconsole.kms.operations.grants import MAX_GRANTS_PER_KEY

ENCRYPTION_OPERATIONS = ["Encrypt", "Decrypt"]


def error_of(raised):
    return raised.value.response["Error"]


@pytest.fixture
def key_arn(kms):
    return kms.create_key()["KeyMetadata"]["Arn"]


@pytest.fixture
def reader_role_arn(alice, orm):
    """A role in account A, with a path, to name as a grantee."""
    account = Account.objects.get(account_id=alice.account_id)
    role = create_principal(account, PrincipalType.ROLE, "reader", now=timezone.now())
    role.path = "/apps/"
    role.save(update_fields=["path"])
    return role.arn


def root_of(identity):
    return f"arn:aws:iam::{identity.account_id}:root"


# ---------------------------------------------------------------- CreateGrant


def test_it_creates_a_grant_and_lists_it_as_aws_does(kms, key_arn, alice, bob):
    created = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=ENCRYPTION_OPERATIONS)
    assert re.fullmatch(r"[0-9a-f]{64}", created["GrantId"])
    assert created["GrantToken"]
    [grant] = kms.list_grants(KeyId=key_arn)["Grants"]
    assert grant["KeyId"] == key_arn
    assert grant["GrantId"] == created["GrantId"]
    assert grant["Name"] == ""
    assert grant["GranteePrincipal"] == bob.arn
    assert grant["IssuingAccount"] == root_of(alice)
    assert grant["Operations"] == ENCRYPTION_OPERATIONS
    assert abs((grant["CreationDate"] - timezone.now()).total_seconds()) < 60
    assert "RetiringPrincipal" not in grant
    assert "Constraints" not in grant


def test_it_lists_the_retiring_principal_and_constraints_when_set(kms, key_arn, alice, reader_role_arn):
    constraints = {"EncryptionContextSubset": {"app": "billing"}}
    kms.create_grant(
        KeyId=key_arn,
        GranteePrincipal=reader_role_arn,
        RetiringPrincipal=alice.arn,
        Operations=["Decrypt", "RetireGrant"],
        Constraints=constraints,
        Name="billing-reader",
    )
    [grant] = kms.list_grants(KeyId=key_arn)["Grants"]
    assert grant["Name"] == "billing-reader"
    assert grant["RetiringPrincipal"] == alice.arn
    assert grant["Constraints"] == constraints


def test_it_accepts_a_bare_key_id(kms, key_arn, bob):
    key_id = key_arn.rsplit("/", 1)[1]
    kms.create_grant(KeyId=key_id, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 1


def test_the_same_name_and_parameters_return_the_same_grant_with_a_new_token(kms, key_arn, bob):
    request = {"KeyId": key_arn, "GranteePrincipal": bob.arn, "Operations": ENCRYPTION_OPERATIONS, "Name": "app"}
    first = kms.create_grant(**request)
    again = kms.create_grant(**{**request, "Operations": list(reversed(ENCRYPTION_OPERATIONS))})
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


def test_the_same_name_with_other_parameters_makes_another_grant(kms, key_arn, bob):
    first = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Encrypt"], Name="app")
    other = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"], Name="app")
    assert other["GrantId"] != first["GrantId"]


def test_without_a_name_every_request_makes_a_new_grant(kms, key_arn, bob):
    request = {"KeyId": key_arn, "GranteePrincipal": bob.arn, "Operations": ENCRYPTION_OPERATIONS}
    assert kms.create_grant(**request)["GrantId"] != kms.create_grant(**request)["GrantId"]


def test_the_same_name_on_two_keys_makes_two_grants(kms, key_arn, bob):
    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    first = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"], Name="app")
    second = kms.create_grant(KeyId=other_key, GranteePrincipal=bob.arn, Operations=["Decrypt"], Name="app")
    assert first["GrantId"] != second["GrantId"]


def test_it_lists_each_operation_once(kms, key_arn, bob):
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt", "Decrypt", "Encrypt"])
    assert kms.list_grants(KeyId=key_arn)["Grants"][0]["Operations"] == ["Decrypt", "Encrypt"]


@pytest.mark.parametrize("alias_form", ["name", "arn"])
def test_it_refuses_an_alias_with_invalid_arn_exception(kms, key_arn, alice, bob, alias_form):
    alias = "alias/grant-target"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)
    key_ref = alias if alias_form == "name" else f"arn:aws:kms:us-east-1:{alice.account_id}:{alias}"
    with pytest.raises(kms.exceptions.InvalidArnException) as raised:
        kms.create_grant(KeyId=key_ref, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == "Key Aliases are not supported for this operation."


def test_it_refuses_an_unknown_key(kms, alice, bob):
    key_id = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.create_grant(KeyId=key_id, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == f"Key 'arn:aws:kms:us-east-1:{alice.account_id}:key/{key_id}' does not exist"


def test_it_accepts_every_kind_of_principal_of_the_workspace(kms, key_arn, bob, reader_role_arn, alice):
    role_name = reader_role_arn.rsplit("/", 1)[1]
    principals = [
        root_of(bob),
        bob.arn,
        reader_role_arn,
        f"arn:aws:sts::{alice.account_id}:assumed-role/{role_name}/session-1",
        f"arn:aws:sts::{alice.account_id}:federated-user/carol",
    ]
    for principal in principals:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=principal, RetiringPrincipal=principal, Operations=["Decrypt"])
    listed = {grant["GranteePrincipal"] for grant in kms.list_grants(KeyId=key_arn)["Grants"]}
    assert listed == set(principals)


@pytest.mark.parametrize(
    "principal",
    [
        "rds.amazonaws.com",
        "arn:aws:iam::{A}:group/admins",
        "arn:aws:iam::{A}:user/nobody",
        "arn:aws:iam::{A}:role/reader",  # the role exists, but under the path /apps/
        "arn:aws:sts::{A}:assumed-role/no-such-role/session",
        "arn:aws:iam::123456789012:root",
    ],
)
def test_it_refuses_a_grantee_that_is_not_a_principal_of_the_workspace(kms, key_arn, alice, reader_role_arn, principal):
    principal = principal.format(A=alice.account_id)
    with pytest.raises(kms.exceptions.InvalidArnException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=principal, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == f"ARN does not refer to a valid principal: {principal}"


def test_it_refuses_a_retiring_principal_of_another_workspace(kms, key_arn, bob, charlie):
    with pytest.raises(kms.exceptions.InvalidArnException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=charlie.arn, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == f"ARN does not refer to a valid principal: {charlie.arn}"


def test_it_refuses_operations_the_key_type_does_not_offer(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt", "Sign", "GetPublicKey"])
    error = error_of(raised)
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        f"Grant operations Sign, GetPublicKey are not valid for {key_arn}, a KMS key with KeySpec "
        "SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT. Valid grant operations for this key: Encrypt, "
        "Decrypt, ReEncryptFrom, ReEncryptTo, GenerateDataKey, GenerateDataKeyWithoutPlaintext, "
        "GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, CreateGrant, RetireGrant, DescribeKey."
    )


def test_it_offers_signing_operations_on_a_signing_key_but_no_data_keys(kms, bob):
    key_arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Sign", "Verify", "GetPublicKey"])
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["GenerateDataKey"])
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"].startswith(f"Grant operations GenerateDataKey are not valid for {key_arn}")


def test_it_offers_mac_operations_on_an_hmac_key(kms, bob):
    key_arn = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["Arn"]
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["GenerateMac", "VerifyMac"])
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Encrypt"])
    assert error_of(raised)["Code"] == "ValidationException"


def test_it_refuses_a_grant_of_only_create_grant(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["CreateGrant"])
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == "Grants must not contain only the CreateGrant operation."


def test_it_refuses_an_unknown_operation_with_the_validation_grammar(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Teleport"])
    error = error_of(raised)
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(
        "1 validation error detected: Value 'Teleport' at 'operations.1.member' failed to satisfy constraint: "
        "Member must satisfy enum value set: ["
    )


def test_it_refuses_constraints_on_a_key_without_encryption_context(kms, bob):
    key_arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=bob.arn,
            Operations=["Sign"],
            Constraints={"EncryptionContextEquals": {"app": "a"}},
        )
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == (
        "Encryption context grant constraints are supported only with symmetric encryption KMS keys. "
        f"{key_arn} has KeySpec ECC_NIST_P256."
    )


def test_it_refuses_more_than_8_constraint_pairs(kms, key_arn, bob):
    context = {f"k{i}": "v" for i in range(9)}
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=bob.arn,
            Operations=["Decrypt"],
            Constraints={"EncryptionContextSubset": context},
        )
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == (
        "EncryptionContextSubset has 9 encryption context pairs; a grant constraint can have at most 8."
    )


def test_it_refuses_a_constraint_value_over_384_characters(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_grant(
            KeyId=key_arn,
            GranteePrincipal=bob.arn,
            Operations=["Decrypt"],
            Constraints={"EncryptionContextEquals": {"app": "x" * 385}},
        )
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == (
        "The value of 'app' in EncryptionContextEquals is 385 characters long; a grant constraint value can "
        "have at most 384."
    )


def test_it_refuses_a_malformed_grant_token(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.InvalidGrantTokenException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"], GrantTokens=["nope"])
    assert error_of(raised)["Message"] == "The grant token is not valid."


def test_a_dry_run_creates_nothing(kms, key_arn, bob):
    with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"], DryRun=True)
    assert error_of(raised)["Message"] == "The request would have succeeded, but the DryRun option is set."
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_it_refuses_a_grant_on_a_disabled_key_but_still_lists_its_grants(kms, key_arn, bob):
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    kms.disable_key(KeyId=key_arn)
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == f"{key_arn} is disabled."
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


def test_it_refuses_a_grant_beyond_50000_on_one_key(kms, key_arn, bob, orm):
    key = Key.objects.get(arn=key_arn)
    now = timezone.now()
    Grant.objects.bulk_create(
        (
            Grant(
                key=key,
                grant_id=f"{i:064x}",
                grantee_principal=bob.arn,
                operations=["Decrypt"],
                issuing_account=key.account.root_arn,
                creation_date=now,
            )
            for i in range(MAX_GRANTS_PER_KEY)
        ),
        batch_size=5000,
    )
    with pytest.raises(kms.exceptions.LimitExceededException) as raised:
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert error_of(raised)["Message"] == (
        f"The request was rejected because {key_arn} already has 50000 grants, the maximum for one KMS key. "
        "Retire or revoke grants you no longer need."
    )


def test_another_account_cannot_create_a_grant_on_the_key(kms_b, key_arn, bob):
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    assert error_of(raised)["Code"] == "AccessDeniedException"


# ---------------------------------------------------------------- ListGrants


def test_it_filters_by_grant_id_and_by_grantee(kms, key_arn, alice, bob):
    to_bob = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    to_alice = kms.create_grant(KeyId=key_arn, GranteePrincipal=alice.arn, Operations=["Decrypt"])["GrantId"]
    by_id = kms.list_grants(KeyId=key_arn, GrantId=to_alice)["Grants"]
    assert [grant["GrantId"] for grant in by_id] == [to_alice]
    by_grantee = kms.list_grants(KeyId=key_arn, GranteePrincipal=bob.arn)["Grants"]
    assert [grant["GrantId"] for grant in by_grantee] == [to_bob]


def test_it_refuses_a_malformed_grant_id_filter(kms, key_arn):
    with pytest.raises(kms.exceptions.InvalidGrantIdException) as raised:
        kms.list_grants(KeyId=key_arn, GrantId="not-a-grant")
    assert error_of(raised)["Message"] == "Invalid grant ID 'not-a-grant': a grant ID is 64 hexadecimal characters."


def test_it_pages_grants_with_truncated_and_marker(kms, key_arn, bob):
    created = {
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"] for _ in range(5)
    }
    seen, pages, marker = [], 0, None
    while True:
        page = kms.list_grants(KeyId=key_arn, Limit=2, **({"Marker": marker} if marker else {}))
        pages += 1
        seen += [grant["GrantId"] for grant in page["Grants"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert len(page["Grants"]) == 2
        marker = page["NextMarker"]
    assert pages == 3
    assert sorted(seen) == sorted(created)


def test_it_refuses_a_marker_it_did_not_issue(kms, key_arn):
    with pytest.raises(kms.exceptions.InvalidMarkerException):
        kms.list_grants(KeyId=key_arn, Marker="bogus")


def test_a_stranger_cannot_list_the_grants_of_a_key(kms, endpoint, key_arn, bob, charlie):
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.list_grants(KeyId=key_arn)


def test_it_lists_grants_with_the_aws_cli(aws_cli, kms, key_arn, bob):
    created = cli_json(
        aws_cli(
            "kms",
            "create-grant",
            "--key-id",
            key_arn,
            "--grantee-principal",
            bob.arn,
            "--operations",
            "Decrypt",
            "GenerateDataKey",
        )
    )
    listed = cli_json(aws_cli("kms", "list-grants", "--key-id", key_arn))
    assert [grant["GrantId"] for grant in listed["Grants"]] == [created["GrantId"]]
    assert listed["Grants"][0]["Operations"] == ["Decrypt", "GenerateDataKey"]


# ---------------------------------------------------------------- ListRetirableGrants


def test_it_lists_the_grants_a_principal_may_retire_across_keys(kms, key_arn, alice, bob):
    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    ids = {
        kms.create_grant(KeyId=arn, GranteePrincipal=bob.arn, RetiringPrincipal=alice.arn, Operations=["Decrypt"])[
            "GrantId"
        ]
        for arn in (key_arn, other_key)
    }
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    listed = kms.list_retirable_grants(RetiringPrincipal=alice.arn)
    assert {grant["GrantId"] for grant in listed["Grants"]} == ids
    assert {grant["KeyId"] for grant in listed["Grants"]} == {key_arn, other_key}
    assert listed["Truncated"] is False


def test_it_includes_grants_on_keys_of_other_accounts(kms, kms_b, alice, bob):
    bobs_key = kms_b.create_key()["KeyMetadata"]["Arn"]
    grant_id = kms_b.create_grant(
        KeyId=bobs_key, GranteePrincipal=alice.arn, RetiringPrincipal=alice.arn, Operations=["Decrypt"]
    )["GrantId"]
    [grant] = kms.list_retirable_grants(RetiringPrincipal=alice.arn)["Grants"]
    assert grant["GrantId"] == grant_id
    assert grant["IssuingAccount"] == root_of(bob)


def test_it_pages_retirable_grants(kms, key_arn, alice, bob):
    for _ in range(3):
        kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=alice.arn, Operations=["Decrypt"])
    first = kms.list_retirable_grants(RetiringPrincipal=alice.arn, Limit=2)
    assert first["Truncated"] is True
    rest = kms.list_retirable_grants(RetiringPrincipal=alice.arn, Limit=2, Marker=first["NextMarker"])
    assert rest["Truncated"] is False
    assert len(first["Grants"]) + len(rest["Grants"]) == 3


def test_another_account_cannot_list_grants_a_principal_of_this_account_may_retire(kms, kms_b, key_arn, alice, bob):
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=alice.arn, Operations=["Decrypt"])
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.list_retirable_grants(RetiringPrincipal=alice.arn)
    assert error_of(raised)["Code"] == "AccessDeniedException"
    assert error_of(raised)["Message"] == (
        f"User: {bob.arn} is not authorized to perform: kms:ListRetirableGrants on resource: {alice.arn} "
        "because no identity-based policy allows the kms:ListRetirableGrants action"
    )


def test_a_stranger_sees_none_of_the_workspace_grants(kms, endpoint, key_arn, alice, bob, charlie):
    kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=alice.arn, Operations=["Decrypt"])
    stranger = charlie.client("kms", endpoint)
    assert stranger.list_retirable_grants(RetiringPrincipal=charlie.arn)["Grants"] == []
    with pytest.raises(stranger.exceptions.ClientError) as raised:
        stranger.list_retirable_grants(RetiringPrincipal=alice.arn)
    assert error_of(raised)["Code"] == "AccessDeniedException"


def test_it_refuses_a_retiring_principal_that_is_not_an_arn(kms):
    with pytest.raises(kms.exceptions.InvalidArnException) as raised:
        kms.list_retirable_grants(RetiringPrincipal="alice")
    assert error_of(raised)["Message"] == "ARN does not refer to a valid principal: alice"


# ---------------------------------------------------------------- RetireGrant


def test_it_retires_a_grant_by_its_token_alone(kms, key_arn, bob):
    token = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantToken"]
    kms.retire_grant(GrantToken=token)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_it_retires_a_grant_by_key_and_grant_id(kms, key_arn, bob):
    grant_id = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    kms.retire_grant(KeyId=key_arn, GrantId=grant_id)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_every_token_of_a_named_grant_retires_it(kms, key_arn, bob):
    request = {"KeyId": key_arn, "GranteePrincipal": bob.arn, "Operations": ["Decrypt"], "Name": "app"}
    kms.create_grant(**request)
    second_token = kms.create_grant(**request)["GrantToken"]
    kms.retire_grant(GrantToken=second_token)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_the_retiring_principal_of_another_account_may_retire(kms, kms_b, key_arn, bob):
    token = kms.create_grant(
        KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=bob.arn, Operations=["Decrypt"]
    )["GrantToken"]
    kms_b.retire_grant(GrantToken=token)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_a_grantee_may_retire_a_grant_that_allows_retire_grant(kms, kms_b, key_arn, bob):
    grant_id = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt", "RetireGrant"])[
        "GrantId"
    ]
    kms_b.retire_grant(KeyId=key_arn, GrantId=grant_id)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_a_grantee_may_not_retire_a_grant_that_does_not_allow_it(kms, kms_b, key_arn, bob):
    token = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantToken"]
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.retire_grant(GrantToken=token)
    assert error_of(raised)["Code"] == "AccessDeniedException"
    assert error_of(raised)["Message"] == (
        f"User: {bob.arn} is not authorized to perform: kms:RetireGrant on resource: {key_arn} "
        "because no resource-based policy allows the kms:RetireGrant action"
    )
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


def test_a_retiring_account_stands_for_its_principals(kms, kms_b, key_arn, alice, bob):
    token = kms.create_grant(
        KeyId=key_arn, GranteePrincipal=alice.arn, RetiringPrincipal=root_of(bob), Operations=["Decrypt"]
    )["GrantToken"]
    kms_b.retire_grant(GrantToken=token)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_a_stranger_holding_a_token_finds_no_grant(kms, endpoint, key_arn, bob, charlie):
    grant = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.retire_grant(GrantToken=grant["GrantToken"])
    assert error_of(raised)["Message"] == f"Grant ID {grant['GrantId']} not found."
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


def test_a_retired_grant_is_not_found_again(kms, key_arn, bob):
    grant = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])
    kms.retire_grant(GrantToken=grant["GrantToken"])
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.retire_grant(KeyId=key_arn, GrantId=grant["GrantId"])
    assert error_of(raised)["Message"] == f"Grant ID {grant['GrantId']} not found for key {key_arn}."


@pytest.mark.parametrize("token", ["x", "AAAA", "not base64!", "A" * 64])
def test_it_refuses_a_malformed_token_to_retire(kms, token):
    with pytest.raises(kms.exceptions.InvalidGrantTokenException) as raised:
        kms.retire_grant(GrantToken=token)
    assert error_of(raised)["Message"] == "The grant token is not valid."


def test_it_refuses_a_malformed_grant_id_to_retire(kms, key_arn):
    with pytest.raises(kms.exceptions.InvalidGrantIdException):
        kms.retire_grant(KeyId=key_arn, GrantId="1234")


def test_it_needs_a_token_or_a_key_and_grant_id_to_retire(kms, key_arn):
    for partial in ({}, {"KeyId": key_arn}, {"GrantId": "0" * 64}):
        with pytest.raises(kms.exceptions.ClientError) as raised:
            kms.retire_grant(**partial)
        assert error_of(raised)["Code"] == "ValidationException"
        assert error_of(raised)["Message"] == (
            "Specify either GrantToken, or both KeyId and GrantId, to identify the grant."
        )


def test_a_dry_run_retires_nothing(kms, key_arn, bob):
    token = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantToken"]
    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.retire_grant(GrantToken=token, DryRun=True)
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


# ---------------------------------------------------------------- RevokeGrant


def test_it_revokes_a_grant(kms, key_arn, bob):
    grant_id = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    kms.revoke_grant(KeyId=key_arn, GrantId=grant_id)
    assert kms.list_grants(KeyId=key_arn)["Grants"] == []


def test_it_refuses_to_revoke_an_unknown_grant(kms, key_arn):
    grant_id = "ab" * 32
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.revoke_grant(KeyId=key_arn, GrantId=grant_id)
    assert error_of(raised)["Message"] == f"Grant ID {grant_id} not found for key {key_arn}."


def test_it_refuses_a_malformed_grant_id_to_revoke(kms, key_arn):
    with pytest.raises(kms.exceptions.InvalidGrantIdException):
        kms.revoke_grant(KeyId=key_arn, GrantId="XYZ")


def test_a_grant_of_another_key_is_not_found_on_this_one(kms, key_arn, bob):
    other_key = kms.create_key()["KeyMetadata"]["Arn"]
    grant_id = kms.create_grant(KeyId=other_key, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.revoke_grant(KeyId=key_arn, GrantId=grant_id)


def test_another_account_cannot_revoke(kms, kms_b, key_arn, bob):
    grant_id = kms.create_grant(
        KeyId=key_arn, GranteePrincipal=bob.arn, RetiringPrincipal=bob.arn, Operations=["Decrypt"]
    )["GrantId"]
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.revoke_grant(KeyId=key_arn, GrantId=grant_id)
    assert error_of(raised)["Code"] == "AccessDeniedException"
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1


def test_a_stranger_cannot_revoke(kms, endpoint, key_arn, bob, charlie):
    grant_id = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    stranger = charlie.client("kms", endpoint)
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.revoke_grant(KeyId=key_arn, GrantId=grant_id)


def test_a_dry_run_revokes_nothing(kms, key_arn, bob):
    grant_id = kms.create_grant(KeyId=key_arn, GranteePrincipal=bob.arn, Operations=["Decrypt"])["GrantId"]
    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.revoke_grant(KeyId=key_arn, GrantId=grant_id, DryRun=True)
    assert len(kms.list_grants(KeyId=key_arn)["Grants"]) == 1
