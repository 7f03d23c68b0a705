"""Which key states each KMS operation permits, as AWS's key-state table lists them.

One table, read by ``require_state``: an operation's row maps the states it refuses to
the error AWS answers with. States not listed in a row are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .enums import KeyState
from .errors import AWSError, DisabledException, KMSInvalidStateException

ErrorFactory = Callable[[str], AWSError]


def _disabled(arn: str) -> AWSError:
    return DisabledException(f"{arn} is disabled.")


def _invalid(phrase: str) -> ErrorFactory:
    return lambda arn: KMSInvalidStateException(f"{arn} {phrase}.")


_PENDING_DELETION = _invalid("is pending deletion")
_NOT_PENDING_DELETION = _invalid("is not pending deletion")
_PENDING_IMPORT = _invalid("is pending import")
_UNAVAILABLE = _invalid("is unavailable")
_CREATING = _invalid("is creating")
_UPDATING = _invalid("is updating")

_DELETING = {
    KeyState.PENDING_DELETION: _PENDING_DELETION,
    KeyState.PENDING_REPLICA_DELETION: _PENDING_DELETION,
}

_CRYPTO: Mapping[KeyState, ErrorFactory] = {
    KeyState.DISABLED: _disabled,
    **_DELETING,
    KeyState.PENDING_IMPORT: _PENDING_IMPORT,
    KeyState.UNAVAILABLE: _UNAVAILABLE,
    KeyState.CREATING: _CREATING,
}


def _except(row: Mapping[KeyState, ErrorFactory], allowed: KeyState) -> Mapping[KeyState, ErrorFactory]:
    return {state: error for state, error in row.items() if state != allowed}


_CREATE_GRANT = _except(_CRYPTO, KeyState.UNAVAILABLE)
_METADATA: Mapping[KeyState, ErrorFactory] = dict(_DELETING)
_ENABLE_DISABLE: Mapping[KeyState, ErrorFactory] = {
    **_DELETING,
    KeyState.PENDING_IMPORT: _PENDING_IMPORT,
    KeyState.CREATING: _CREATING,
    KeyState.UPDATING: _UPDATING,
}
_SCHEDULE_DELETION: Mapping[KeyState, ErrorFactory] = {**_DELETING, KeyState.UPDATING: _UPDATING}
_CANCEL_DELETION: Mapping[KeyState, ErrorFactory] = {
    state: _NOT_PENDING_DELETION for state in KeyState if state not in _DELETING
}
_ROTATION_SETTINGS: Mapping[KeyState, ErrorFactory] = {
    KeyState.DISABLED: _disabled,
    **_DELETING,
    KeyState.CREATING: _CREATING,
}
_ROTATE_ON_DEMAND: Mapping[KeyState, ErrorFactory] = {
    KeyState.DISABLED: _disabled,
    **_DELETING,
    KeyState.PENDING_IMPORT: _PENDING_IMPORT,
    KeyState.CREATING: _CREATING,
}

CRYPTOGRAPHIC_OPERATIONS = (
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "Sign",
    "Verify",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
)

REFUSED_STATES: Mapping[str, Mapping[KeyState, ErrorFactory]] = {
    **{name: _CRYPTO for name in CRYPTOGRAPHIC_OPERATIONS},
    # AWS's table lists GetPublicKey with Sign, but AWS is seen answering it on a
    # disabled key (the public key is not secret), so only Disabled differs.
    "GetPublicKey": _except(_CRYPTO, KeyState.DISABLED),
    "CreateGrant": _CREATE_GRANT,
    **{
        name: _METADATA
        for name in ("CreateAlias", "UpdateAlias", "TagResource", "UntagResource", "UpdateKeyDescription")
    },
    "EnableKey": _ENABLE_DISABLE,
    "DisableKey": _ENABLE_DISABLE,
    "ScheduleKeyDeletion": _SCHEDULE_DELETION,
    "CancelKeyDeletion": _CANCEL_DELETION,
    "EnableKeyRotation": _ROTATION_SETTINGS,
    "DisableKeyRotation": _ROTATION_SETTINGS,
    "RotateKeyOnDemand": _ROTATE_ON_DEMAND,
}


def require_state(operation: str, state: str, key_arn: str) -> None:
    """Raise AWS's error if ``operation`` is not allowed on a key in ``state``."""
    refusal = REFUSED_STATES.get(operation, {}).get(KeyState(state))
    if refusal is not None:
        raise refusal(key_arn)
