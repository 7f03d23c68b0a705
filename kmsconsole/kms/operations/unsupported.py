"""KMS operations this version deliberately does not offer.

Each is registered so that clients get a clear UnsupportedOperationException naming the
reason, rather than an unknown-operation error that looks like a bug in the client.
"""

from __future__ import annotations

from .registry import unsupported

_CUSTOM_KEY_STORES = (
    "kmsconsole has no custom key stores: there is no AWS CloudHSM cluster or external key "
    "manager to connect to. Keys are always created in the kmsconsole key store (Origin AWS_KMS)."
)
_MULTI_REGION = (
    "kmsconsole does not support multi-Region keys yet, so there are no primary keys to "
    "replicate or replicas to promote."
)
_IMPORTED_MATERIAL = (
    "kmsconsole does not support importing key material yet. Create keys with Origin AWS_KMS "
    "and let kmsconsole generate their material."
)

# Operation name -> why it is refused, as the UnsupportedOperationException's message.
UNSUPPORTED_OPERATIONS: dict[str, str] = {
    **{
        name: f"{name} is not supported. {_CUSTOM_KEY_STORES}"
        for name in (
            "CreateCustomKeyStore",
            "ConnectCustomKeyStore",
            "DisconnectCustomKeyStore",
            "DeleteCustomKeyStore",
            "DescribeCustomKeyStores",
            "UpdateCustomKeyStore",
        )
    },
    **{name: f"{name} is not supported. {_MULTI_REGION}" for name in ("ReplicateKey", "UpdatePrimaryRegion")},
    **{
        name: f"{name} is not supported. {_IMPORTED_MATERIAL}"
        for name in ("GetParametersForImport", "ImportKeyMaterial", "DeleteImportedKeyMaterial")
    },
}

for _name, _reason in UNSUPPORTED_OPERATIONS.items():
    unsupported(_name, _reason)
