"""Grant tokens on the operations a grant allows."""

import pytest


def test_a_malformed_grant_token_is_refused_on_any_operation(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(kms.exceptions.InvalidGrantTokenException):
        kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=["not-a-token"])


def test_a_grant_token_is_accepted_right_after_create_grant(kms, alice):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    token = kms.create_grant(KeyId=key_id, GranteePrincipal=alice.arn, Operations=["Encrypt"])["GrantToken"]
    assert kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[token])["KeyId"].endswith(key_id)
