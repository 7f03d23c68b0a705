"""Each region is its own key space, as in AWS."""

import pytest


def test_a_key_made_in_one_region_is_invisible_from_another(endpoint, alice):
    west = alice.client("kms", endpoint, region="us-west-2")
    east = alice.client("kms", endpoint, region="us-east-1")
    key = west.create_key()["KeyMetadata"]
    assert key["Arn"].startswith("arn:aws:kms:us-west-2:")

    with pytest.raises(east.exceptions.NotFoundException) as raised:
        east.describe_key(KeyId=key["KeyId"])
    assert (
        raised.value.response["Error"]["Message"]
        == f"Key 'arn:aws:kms:us-east-1:{alice.account_id}:key/{key['KeyId']}' does not exist"
    )
    east_ids = {k["KeyId"] for k in east.list_keys(Limit=1000)["Keys"]}
    assert key["KeyId"] not in east_ids


def test_an_arn_of_another_region_is_refused_with_awss_message(endpoint, alice):
    west = alice.client("kms", endpoint, region="us-west-2")
    east = alice.client("kms", endpoint, region="us-east-1")
    arn = west.create_key()["KeyMetadata"]["Arn"]
    with pytest.raises(east.exceptions.NotFoundException) as raised:
        east.describe_key(KeyId=arn)
    assert raised.value.response["Error"]["Message"] == "Invalid arn us-west-2"


def test_ciphertext_from_one_region_does_not_decrypt_in_another(endpoint, alice):
    west = alice.client("kms", endpoint, region="us-west-2")
    east = alice.client("kms", endpoint, region="us-east-1")
    key_id = west.create_key()["KeyMetadata"]["KeyId"]
    blob = west.encrypt(KeyId=key_id, Plaintext=b"regional")["CiphertextBlob"]
    with pytest.raises(east.exceptions.ClientError) as raised:
        east.decrypt(CiphertextBlob=blob)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"regional"


def test_aws_managed_keys_appear_in_a_new_region_on_first_use(endpoint, alice):
    west = alice.client("kms", endpoint, region="eu-west-1")
    metadata = west.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS"
    assert metadata["Arn"].startswith("arn:aws:kms:eu-west-1:")
    again = west.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert again["KeyId"] == metadata["KeyId"]
