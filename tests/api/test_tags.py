"""TagResource, UntagResource and ListResourceTags through boto3 and the aws CLI."""

import pytest


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def tags_of(kms, key_id):
    return {tag["TagKey"]: tag["TagValue"] for tag in kms.list_resource_tags(KeyId=key_id)["Tags"]}


def tag_list(**tags):
    return [{"TagKey": key, "TagValue": value} for key, value in tags.items()]


def test_the_guide_creates_a_tagged_key_with_the_cli(aws_cli, kms):
    created = aws_cli(
        "aws kms create-key --description 'Production data key' "
        "--tags TagKey=Environment,TagValue=Production TagKey=Owner,TagValue=SecurityTeam "
        "--query KeyMetadata.KeyId --output text",
        shell=True,
    )
    assert created.returncode == 0, created.stderr
    key_id = created.stdout.strip()
    listed = kms.list_resource_tags(KeyId=key_id)
    assert listed["Tags"] == [
        {"TagKey": "Environment", "TagValue": "Production"},
        {"TagKey": "Owner", "TagValue": "SecurityTeam"},
    ]
    assert listed["Truncated"] is False
    assert "NextMarker" not in listed


def test_it_adds_tags_and_overwrites_existing_values(kms):
    key_id = kms.create_key(Tags=tag_list(Team="red", Stage="dev"))["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=tag_list(Stage="prod", CostCenter=""))
    assert tags_of(kms, key_id) == {"Team": "red", "Stage": "prod", "CostCenter": ""}


def test_it_tags_a_key_named_by_arn(kms):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.tag_resource(KeyId=arn, Tags=tag_list(Project="atlas"))
    assert tags_of(kms, arn) == {"Project": "atlas"}


def test_it_removes_tags_and_ignores_keys_it_does_not_have(kms):
    key_id = kms.create_key(Tags=tag_list(Team="red", Stage="dev"))["KeyMetadata"]["KeyId"]
    kms.untag_resource(KeyId=key_id, TagKeys=["Stage", "NeverSet"])
    assert tags_of(kms, key_id) == {"Team": "red"}


@pytest.mark.parametrize("reserved", ["aws:owner", "AWS:owner", "Aws:owner"])
def test_it_reserves_the_aws_prefix_in_any_case_and_adds_nothing(kms, reserved):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.TagException) as raised:
        kms.tag_resource(KeyId=key_id, Tags=[*tag_list(Good="yes"), {"TagKey": reserved, "TagValue": "x"}])
    assert error_of(raised)[1] == "Tags beginning with aws: are reserved"
    assert tags_of(kms, key_id) == {}


def test_it_refuses_duplicate_keys_in_one_request(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.TagException) as raised:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Team", "TagValue": "a"}, {"TagKey": "Team", "TagValue": "b"}])
    assert error_of(raised)[1] == "Duplicate tag keys"
    assert tags_of(kms, key_id) == {}


def test_it_counts_existing_tags_toward_the_limit_of_50(kms):
    existing = {f"k{n:02d}": "v" for n in range(49)}
    key_id = kms.create_key(Tags=tag_list(**existing))["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.TagException) as raised:
        kms.tag_resource(KeyId=key_id, Tags=tag_list(extra1="a", extra2="b"))
    assert error_of(raised)[1] == "Too many tags"
    assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 49
    kms.tag_resource(KeyId=key_id, Tags=tag_list(extra1="a", k00="changed"))
    assert tags_of(kms, key_id)["k00"] == "changed"
    assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 50


def test_it_refuses_a_tag_key_over_128_characters(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    long_key = "k" * 129
    with pytest.raises(kms.exceptions.ClientError) as raised:
        kms.tag_resource(KeyId=key_id, Tags=tag_list(ok="1") + [{"TagKey": long_key, "TagValue": "v"}])
    assert error_of(raised) == (
        "ValidationException",
        f"1 validation error detected: Value '{long_key}' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length less than or equal to 128",
    )


def test_it_pages_through_tags_with_markers(kms):
    tags = {f"tag-{n}": str(n) for n in range(7)}
    key_id = kms.create_key(Tags=tag_list(**tags))["KeyMetadata"]["KeyId"]
    first = kms.list_resource_tags(KeyId=key_id, Limit=3)
    assert first["Truncated"] is True
    second = kms.list_resource_tags(KeyId=key_id, Limit=3, Marker=first["NextMarker"])
    third = kms.list_resource_tags(KeyId=key_id, Limit=3, Marker=second["NextMarker"])
    assert third["Truncated"] is False
    assert "NextMarker" not in third
    paged = first["Tags"] + second["Tags"] + third["Tags"]
    assert [tag["TagKey"] for tag in paged] == sorted(tags)
    assert {tag["TagKey"]: tag["TagValue"] for tag in paged} == tags


def test_it_refuses_a_marker_it_did_not_issue(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.InvalidMarkerException):
        kms.list_resource_tags(KeyId=key_id, Marker="bm90LW91cnM=")


def test_it_refuses_to_tag_a_key_pending_deletion_but_still_lists_its_tags(kms):
    metadata = kms.create_key(Tags=tag_list(Team="red"))["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    for call in (
        lambda: kms.tag_resource(KeyId=metadata["KeyId"], Tags=tag_list(Stage="prod")),
        lambda: kms.untag_resource(KeyId=metadata["KeyId"], TagKeys=["Team"]),
    ):
        with pytest.raises(kms.exceptions.KMSInvalidStateException) as raised:
            call()
        assert error_of(raised)[1] == f"{metadata['Arn']} is pending deletion."
    assert tags_of(kms, metadata["KeyId"]) == {"Team": "red"}


def test_it_tags_a_disabled_key(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    kms.tag_resource(KeyId=key_id, Tags=tag_list(Stage="retired"))
    assert tags_of(kms, key_id) == {"Stage": "retired"}


def test_it_refuses_to_tag_an_aws_managed_key(kms, alice):
    managed = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    for operation, call in (
        ("TagResource", lambda: kms.tag_resource(KeyId=managed["KeyId"], Tags=tag_list(Team="red"))),
        ("UntagResource", lambda: kms.untag_resource(KeyId=managed["KeyId"], TagKeys=["Team"])),
    ):
        with pytest.raises(kms.exceptions.ClientError) as raised:
            call()
        assert error_of(raised) == (
            "AccessDeniedException",
            f"User: {alice.arn} is not authorized to perform: kms:{operation} on resource: {managed['Arn']} "
            f"because no resource-based policy allows the kms:{operation} action",
        )
    assert kms.list_resource_tags(KeyId=managed["KeyId"])["Tags"] == []


def test_another_account_cannot_tag_the_key(kms, kms_b):
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(kms_b.exceptions.ClientError) as raised:
        kms_b.tag_resource(KeyId=arn, Tags=tag_list(Team="blue"))
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert tags_of(kms, arn) == {}


def test_a_stranger_can_neither_see_nor_change_the_tags(kms, endpoint, charlie):
    arn = kms.create_key(Tags=tag_list(Team="red"))["KeyMetadata"]["Arn"]
    stranger = charlie.client("kms", endpoint)
    for call in (
        lambda: stranger.list_resource_tags(KeyId=arn),
        lambda: stranger.tag_resource(KeyId=arn, Tags=tag_list(Team="black")),
        lambda: stranger.untag_resource(KeyId=arn, TagKeys=["Team"]),
    ):
        with pytest.raises(stranger.exceptions.NotFoundException) as raised:
            call()
        assert error_of(raised)[1] == f"Key '{arn}' does not exist"
    assert tags_of(kms, arn) == {"Team": "red"}
