"""Operations this version deliberately does not offer answer UnsupportedOperationException
with the reason, through boto3 against a live server."""

import pytest

from kmsconsole.kms.operations.unsupported import UNSUPPORTED_OPERATIONS

KEY_ID = "11111111-2222-3333-4444-555555555555"
STORE_ID = "cks-1234567890abcdef0"

# Each operation with the smallest request its model accepts.
REQUESTS = {
    "CreateCustomKeyStore": ("create_custom_key_store", {"CustomKeyStoreName": "store"}),
    "ConnectCustomKeyStore": ("connect_custom_key_store", {"CustomKeyStoreId": STORE_ID}),
    "DisconnectCustomKeyStore": ("disconnect_custom_key_store", {"CustomKeyStoreId": STORE_ID}),
    "DeleteCustomKeyStore": ("delete_custom_key_store", {"CustomKeyStoreId": STORE_ID}),
    "DescribeCustomKeyStores": ("describe_custom_key_stores", {}),
    "UpdateCustomKeyStore": ("update_custom_key_store", {"CustomKeyStoreId": STORE_ID}),
    "ReplicateKey": ("replicate_key", {"KeyId": KEY_ID, "ReplicaRegion": "us-west-2"}),
    "UpdatePrimaryRegion": ("update_primary_region", {"KeyId": KEY_ID, "PrimaryRegion": "us-west-2"}),
    "GetParametersForImport": (
        "get_parameters_for_import",
        {"KeyId": KEY_ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
    ),
    "ImportKeyMaterial": (
        "import_key_material",
        {"KeyId": KEY_ID, "ImportToken": b"token", "EncryptedKeyMaterial": b"material"},
    ),
    "DeleteImportedKeyMaterial": ("delete_imported_key_material", {"KeyId": KEY_ID}),
}


def test_every_unsupported_operation_has_a_request_here():
    assert set(REQUESTS) == set(UNSUPPORTED_OPERATIONS)


@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_it_refuses_the_operation_with_its_reason(kms, operation):
    method, request = REQUESTS[operation]
    with pytest.raises(kms.exceptions.UnsupportedOperationException) as raised:
        getattr(kms, method)(**request)
    message = raised.value.response["Error"]["Message"]
    assert message == UNSUPPORTED_OPERATIONS[operation]
    assert message.startswith(f"{operation} is not supported. kmsconsole ")


def test_the_reasons_name_the_missing_feature():
    assert "custom key stores" in UNSUPPORTED_OPERATIONS["CreateCustomKeyStore"]
    assert "multi-Region keys" in UNSUPPORTED_OPERATIONS["ReplicateKey"]
    assert "importing key material" in UNSUPPORTED_OPERATIONS["ImportKeyMaterial"]
