"""GenerateMac and VerifyMac through boto3 and the aws CLI against a live server."""

import base64

import pytest

MESSAGE = b'{"event": "payment.succeeded", "amount": 4200}'
MAC_LENGTHS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}


def create_hmac_key(kms, spec="HMAC_256"):
    return kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]


def error_of(raised):
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


@pytest.mark.parametrize("spec", sorted(MAC_LENGTHS))
def test_it_generates_a_mac_that_verifies(kms, spec):
    key = create_hmac_key(kms, spec)
    algorithm = key["MacAlgorithms"][0]
    generated = kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm=algorithm)
    assert generated["KeyId"] == key["Arn"]
    assert generated["MacAlgorithm"] == algorithm
    assert len(generated["Mac"]) == MAC_LENGTHS[spec]
    assert kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm=algorithm)["Mac"] == generated["Mac"]
    verified = kms.verify_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm=algorithm, Mac=generated["Mac"])
    assert (verified["KeyId"], verified["MacValid"], verified["MacAlgorithm"]) == (key["Arn"], True, algorithm)


def test_it_raises_for_a_mac_that_does_not_match_instead_of_answering_false(kms):
    key = create_hmac_key(kms)
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")["Mac"]
    for message, wrong_mac in [
        (b"tampered payload", mac),
        (MESSAGE, bytes([mac[0] ^ 1]) + mac[1:]),
        (MESSAGE, mac[:16]),
    ]:
        with pytest.raises(kms.exceptions.KMSInvalidMacException) as raised:
            kms.verify_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256", Mac=wrong_mac)
        assert error_of(raised) == ("KMSInvalidMacException", "")


def test_it_refuses_an_algorithm_that_does_not_match_the_key_spec(kms):
    key = create_hmac_key(kms, "HMAC_224")
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")
    assert error_of(raised)[1] == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.verify_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=b"m" * 32)
    assert error_of(raised)[1] == "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224."


def test_it_refuses_a_key_whose_usage_is_not_generate_verify_mac(kms):
    key = kms.create_key()["KeyMetadata"]
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")
    assert error_of(raised)[1] == f"{key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac."
    with pytest.raises(kms.exceptions.InvalidKeyUsageException) as raised:
        kms.verify_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=b"m" * 32)
    assert error_of(raised)[1] == f"{key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for VerifyMac."


def test_it_refuses_a_disabled_key(kms):
    key = create_hmac_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(kms.exceptions.DisabledException) as raised:
        kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")
    assert error_of(raised)[1] == f"{key['Arn']} is disabled."


def test_a_dry_run_checks_the_request_and_returns_no_mac(kms):
    key = create_hmac_key(kms)
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")["Mac"]
    with pytest.raises(kms.exceptions.DryRunOperationException) as raised:
        kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", DryRun=True)
    assert error_of(raised)[1] == "The request would have succeeded, but the DryRun option is set."
    with pytest.raises(kms.exceptions.DryRunOperationException):
        kms.verify_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=mac, DryRun=True)


def test_the_guides_cli_command_returns_the_webhook_mac(kms, aws_cli, tmp_path):
    key = create_hmac_key(kms)
    kms.create_alias(AliasName="alias/webhook-hmac-key", TargetKeyId=key["KeyId"])
    (tmp_path / "webhook_payload.json").write_bytes(MESSAGE)
    result = aws_cli(
        "aws kms generate-mac --key-id alias/webhook-hmac-key --mac-algorithm HMAC_SHA_256 "
        "--message fileb://webhook_payload.json --query Mac --output text",
        shell=True,
    )
    assert result.returncode == 0, result.stderr
    mac = base64.b64decode(result.stdout.strip())
    assert mac == kms.generate_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert kms.verify_mac(KeyId=key["KeyId"], Message=MESSAGE, MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"]
