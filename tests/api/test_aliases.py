"""CreateAlias, UpdateAlias, DeleteAlias and ListAliases through boto3 and the aws CLI."""

from datetime import datetime

import pytest
from support import cli_json

from kmsconsole.iam.models import Account
from kmsconsole.kms.managed import AWS_MANAGED_SERVICES
from kmsconsole.kms.models import Alias, Key

PREFIX_MESSAGE = (
    'Alias must start with the prefix "alias/". '
    "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
)


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def alias_arn(identity, name, region="us-east-1"):
    return f"arn:aws:kms:{region}:{identity.account_id}:{name}"


def aliases_of(kms, **filters):
    return {entry["AliasName"]: entry for entry in kms.list_aliases(**filters)["Aliases"]}


def all_pages(kms, limit, **filters):
    """Every entry, following NextMarker page by page, and the number of pages."""
    entries, pages, request = [], 0, {"Limit": limit, **filters}
    while True:
        page = kms.list_aliases(**request)
        pages += 1
        entries += page["Aliases"]
        assert len(page["Aliases"]) <= limit
        if not page["Truncated"]:
            assert "NextMarker" not in page
            return entries, pages
        request["Marker"] = page["NextMarker"]


def managed_key_arn(kms, service="s3"):
    return kms.describe_key(KeyId=f"alias/aws/{service}")["KeyMetadata"]["Arn"]


# CreateAlias


def test_it_creates_an_alias_that_crypto_calls_can_use(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=key_id)
    entry = aliases_of(kms, KeyId=key_id)["alias/app"]
    assert entry["AliasArn"] == alias_arn(alice, "alias/app")
    assert entry["TargetKeyId"] == key_id
    assert isinstance(entry["CreationDate"], datetime)
    assert entry["LastUpdatedDate"] == entry["CreationDate"]
    blob = kms.encrypt(KeyId="alias/app", Plaintext=b"pin")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyId"].endswith(key_id)


def test_it_accepts_a_key_arn_as_target(kms):
    metadata = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/by-arn", TargetKeyId=metadata["Arn"])
    assert aliases_of(kms)["alias/by-arn"]["TargetKeyId"] == metadata["KeyId"]


def test_it_allows_an_alias_for_a_disabled_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    kms.create_alias(AliasName="alias/dormant", TargetKeyId=key_id)
    assert aliases_of(kms)["alias/dormant"]["TargetKeyId"] == key_id


def test_it_refuses_a_name_without_the_alias_prefix(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_alias(AliasName="prod-key", TargetKeyId=key_id)
    assert error_of(raised) == ("ValidationException", PREFIX_MESSAGE)


def test_it_refuses_a_name_the_model_forbids(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_alias(AliasName="alias/bad name", TargetKeyId=key_id)
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    )


def test_it_refuses_a_colon_which_only_alias_arns_may_contain(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_alias(AliasName="alias/team:app", TargetKeyId=key_id)
    assert error_of(raised) == ("ValidationException", "alias/team:app contains invalid characters for an alias")


def test_it_reserves_alias_aws_names_for_aws_managed_keys(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for call in (
        lambda: kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id),
        lambda: kms.update_alias(AliasName="alias/aws/s3", TargetKeyId=key_id),
        lambda: kms.delete_alias(AliasName="alias/aws/s3"),
    ):
        with pytest.raises(kms.exceptions.ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert "alias/aws/mine" not in aliases_of(kms)
    assert aliases_of(kms)["alias/aws/s3"]["TargetKeyId"] != key_id


def test_it_refuses_a_duplicate_name_and_keeps_the_first_target(kms, alice):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/shared", TargetKeyId=first)
    with pytest.raises(kms.exceptions.AlreadyExistsException) as raised:
        kms.create_alias(AliasName="alias/shared", TargetKeyId=second)
    assert error_of(raised)[1] == f"An alias with the name {alias_arn(alice, 'alias/shared')} already exists"
    assert aliases_of(kms)["alias/shared"]["TargetKeyId"] == first


def test_it_refuses_an_alias_as_the_target(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/original", TargetKeyId=key_id)
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.create_alias(AliasName="alias/second", TargetKeyId="alias/original")
    assert error_of(raised)[1] == "Invalid keyId 'alias/original'"
    assert "alias/second" not in aliases_of(kms)


def test_it_refuses_an_unknown_target(kms, alice):
    missing = "0b9e6a0c-1f4e-4d7b-9a51-2f0f3c1d2e4a"
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.create_alias(AliasName="alias/nothing", TargetKeyId=missing)
    assert error_of(raised)[1] == f"Key 'arn:aws:kms:us-east-1:{alice.account_id}:key/{missing}' does not exist"


def test_it_refuses_an_aws_managed_key_as_the_target(kms, alice):
    managed_arn = managed_key_arn(kms)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_alias(AliasName="alias/my-s3", TargetKeyId=managed_arn)
    assert error_of(raised) == (
        "AccessDeniedException",
        f"User: {alice.arn} is not authorized to perform: kms:CreateAlias on resource: {managed_arn} "
        "because no resource-based policy allows the kms:CreateAlias action",
    )
    assert "alias/my-s3" not in aliases_of(kms)


def test_it_refuses_a_key_of_another_account(kms, kms_b):
    foreign_arn = kms_b.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.create_alias(AliasName="alias/foreign", TargetKeyId=foreign_arn)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "alias/foreign" not in aliases_of(kms)


def test_it_refuses_a_target_pending_deletion(kms):
    metadata = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
        kms.create_alias(AliasName="alias/doomed", TargetKeyId=metadata["KeyId"])
    assert error_of(raised)[1] == f"{metadata['Arn']} is pending deletion."


def test_it_limits_a_key_to_50_aliases(kms, alice, orm):
    metadata = kms.create_key()["KeyMetadata"]
    key = Key.objects.get(key_id=metadata["KeyId"])
    account = Account.objects.get(account_id=alice.account_id)
    Alias.objects.bulk_create(
        Alias(
            account=account,
            region="us-east-1",
            name=f"alias/many-{n:02d}",
            key=key,
            creation_date=key.creation_date,
            last_updated_date=key.creation_date,
        )
        for n in range(49)
    )
    kms.create_alias(AliasName="alias/many-49", TargetKeyId=metadata["KeyId"])
    with pytest.raises(kms.exceptions.LimitExceededException):
        kms.create_alias(AliasName="alias/many-50", TargetKeyId=metadata["KeyId"])
    assert len(aliases_of(kms, KeyId=metadata["KeyId"], Limit=100)) == 50


def test_the_guide_creates_an_alias_with_the_cli(aws_cli, kms):
    key_id = kms.create_key(Description="prod")["KeyMetadata"]["KeyId"]
    created = aws_cli("kms", "create-alias", "--alias-name", "alias/prod-encryption-key", "--target-key-id", key_id)
    assert created.returncode == 0, created.stderr
    assert created.stdout == ""
    listed = cli_json(aws_cli("kms", "list-aliases", "--key-id", key_id))
    assert [entry["AliasName"] for entry in listed["Aliases"]] == ["alias/prod-encryption-key"]


# UpdateAlias


def test_it_repoints_an_alias_to_a_key_of_the_same_type(kms):
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/current", TargetKeyId=first)
    created = aliases_of(kms)["alias/current"]["CreationDate"]
    kms.update_alias(AliasName="alias/current", TargetKeyId=second)
    entry = aliases_of(kms)["alias/current"]
    assert entry["TargetKeyId"] == second
    assert entry["CreationDate"] == created
    assert entry["LastUpdatedDate"] >= created
    assert kms.encrypt(KeyId="alias/current", Plaintext=b"x")["KeyId"].endswith(second)


def test_it_repoints_between_asymmetric_keys_of_the_same_usage(kms):
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/signer", TargetKeyId=rsa)
    kms.update_alias(AliasName="alias/signer", TargetKeyId=ecc)
    assert aliases_of(kms)["alias/signer"]["TargetKeyId"] == ecc


@pytest.mark.parametrize(
    ("key_spec", "key_usage"),
    [("HMAC_256", "GENERATE_VERIFY_MAC"), ("ECC_NIST_P256", "SIGN_VERIFY")],
)
def test_it_refuses_a_new_target_of_another_type_or_usage(kms, key_spec, key_usage):
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key(KeySpec=key_spec, KeyUsage=key_usage)["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/typed", TargetKeyId=symmetric)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.update_alias(AliasName="alias/typed", TargetKeyId=other)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert aliases_of(kms)["alias/typed"]["TargetKeyId"] == symmetric


def test_it_refuses_an_asymmetric_target_with_another_usage(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    agreement = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/ecc", TargetKeyId=signing)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.update_alias(AliasName="alias/ecc", TargetKeyId=agreement)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_only_the_new_targets_state_matters(kms):
    old = kms.create_key()["KeyMetadata"]["KeyId"]
    new = kms.create_key()["KeyMetadata"]["KeyId"]
    doomed = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/moving", TargetKeyId=old)
    kms.schedule_key_deletion(KeyId=old, PendingWindowInDays=7)
    kms.update_alias(AliasName="alias/moving", TargetKeyId=new)
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
        kms.update_alias(AliasName="alias/moving", TargetKeyId=doomed["KeyId"])
    assert error_of(raised)[1] == f"{doomed['Arn']} is pending deletion."
    assert aliases_of(kms)["alias/moving"]["TargetKeyId"] == new


def test_it_refuses_to_repoint_to_an_aws_managed_key(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/custom", TargetKeyId=key_id)
    managed_arn = managed_key_arn(kms)
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.update_alias(AliasName="alias/custom", TargetKeyId=managed_arn)
    assert error_of(raised) == (
        "AccessDeniedException",
        f"User: {alice.arn} is not authorized to perform: kms:UpdateAlias on resource: {managed_arn} "
        "because no resource-based policy allows the kms:UpdateAlias action",
    )
    assert aliases_of(kms)["alias/custom"]["TargetKeyId"] == key_id


def test_it_cannot_update_an_unknown_alias(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.update_alias(AliasName="alias/missing", TargetKeyId=key_id)
    assert error_of(raised)[1] == f"Alias {alias_arn(alice, 'alias/missing')} is not found."


# DeleteAlias


def test_it_deletes_an_alias_but_not_its_key(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/temporary", TargetKeyId=key_id)
    kms.delete_alias(AliasName="alias/temporary")
    assert "alias/temporary" not in aliases_of(kms)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.delete_alias(AliasName="alias/temporary")
    assert error_of(raised)[1] == f"Alias {alias_arn(alice, 'alias/temporary')} is not found."


def test_it_deletes_the_alias_of_a_key_pending_deletion(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/leaving", TargetKeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    kms.delete_alias(AliasName="alias/leaving")
    assert "alias/leaving" not in aliases_of(kms)


def test_it_refuses_to_delete_a_name_without_the_prefix(kms):
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.delete_alias(AliasName="leaving")
    assert error_of(raised) == ("ValidationException", PREFIX_MESSAGE)


# ListAliases


def test_it_lists_the_predefined_aliases_with_their_aws_managed_keys(kms):
    listed = aliases_of(kms)
    for service in AWS_MANAGED_SERVICES:
        entry = listed[f"alias/aws/{service}"]
        assert entry["TargetKeyId"]
        assert "CreationDate" in entry


def test_it_lists_predefined_aliases_without_a_key_where_none_was_created_yet(alice, endpoint):
    kms_west = alice.client("kms", endpoint, region="us-west-2")
    listed = aliases_of(kms_west)
    entry = listed["alias/aws/ebs"]
    assert entry == {"AliasName": "alias/aws/ebs", "AliasArn": alias_arn(alice, "alias/aws/ebs", "us-west-2")}
    s3_key = kms_west.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyId"]
    assert aliases_of(kms_west)["alias/aws/s3"]["TargetKeyId"] == s3_key
    assert "TargetKeyId" not in aliases_of(kms_west)["alias/aws/ebs"]


def test_it_filters_by_key_id_or_key_arn(kms):
    first = kms.create_key()["KeyMetadata"]
    second = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/one-a", TargetKeyId=first["KeyId"])
    kms.create_alias(AliasName="alias/one-b", TargetKeyId=first["KeyId"])
    kms.create_alias(AliasName="alias/two", TargetKeyId=second["KeyId"])
    assert set(aliases_of(kms, KeyId=first["KeyId"])) == {"alias/one-a", "alias/one-b"}
    assert set(aliases_of(kms, KeyId=second["Arn"])) == {"alias/two"}


def test_it_refuses_an_alias_as_the_key_filter(kms):
    with pytest.raises(kms.exceptions.NotFoundException) as raised:
        kms.list_aliases(KeyId="alias/aws/s3")
    assert error_of(raised)[1] == "Invalid keyId 'alias/aws/s3'"


def test_it_pages_through_every_alias_once(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/a-1", "alias/b-2", "alias/z-3", "alias/awsome", "alias/aws-tools"):
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    everything = kms.list_aliases(Limit=100)["Aliases"]
    paged, pages = all_pages(kms, limit=3)
    assert paged == everything
    assert pages == -(-len(everything) // 3)
    assert len({entry["AliasName"] for entry in paged}) == len(paged)


def test_it_pages_into_the_keyless_predefined_aliases(alice, endpoint):
    kms_west = alice.client("kms", endpoint, region="us-west-2")
    key_id = kms_west.create_key()["KeyMetadata"]["KeyId"]
    for name in ("alias/west-1", "alias/west-2"):
        kms_west.create_alias(AliasName=name, TargetKeyId=key_id)
    kms_west.describe_key(KeyId="alias/aws/lambda")
    paged, _ = all_pages(kms_west, limit=4)
    names = [entry["AliasName"] for entry in paged]
    assert sorted(names) == sorted(["alias/west-1", "alias/west-2", *(f"alias/aws/{s}" for s in AWS_MANAGED_SERVICES)])
    assert len(set(names)) == len(names)
    keyless = [entry for entry in paged if "TargetKeyId" not in entry]
    assert len(keyless) == len(AWS_MANAGED_SERVICES) - 1


def test_it_paginates_by_key_filter(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for n in range(5):
        kms.create_alias(AliasName=f"alias/page-{n}", TargetKeyId=key_id)
    paged, pages = all_pages(kms, limit=2, KeyId=key_id)
    assert [entry["AliasName"] for entry in paged] == [f"alias/page-{n}" for n in range(5)]
    assert pages == 3


def test_it_refuses_a_marker_it_did_not_issue(kms):
    with pytest.raises(kms.exceptions.InvalidMarkerException):
        kms.list_aliases(Marker="not-a-marker")


# Isolation


def test_a_stranger_can_neither_see_nor_touch_the_aliases(kms, endpoint, charlie):
    metadata = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/private", TargetKeyId=metadata["KeyId"])
    stranger = charlie.client("kms", endpoint)
    assert "alias/private" not in aliases_of(stranger)
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.describe_key(KeyId="alias/private")
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.delete_alias(AliasName="alias/private")
    assert error_of(raised)[1] == f"Alias {alias_arn(charlie, 'alias/private')} is not found."
    with pytest.raises(stranger.exceptions.NotFoundException) as raised:
        stranger.create_alias(AliasName="alias/hijack", TargetKeyId=metadata["Arn"])
    assert error_of(raised)[1] == f"Key '{metadata['Arn']}' does not exist"
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.list_aliases(KeyId=metadata["Arn"])
    assert aliases_of(kms)["alias/private"]["TargetKeyId"] == metadata["KeyId"]
