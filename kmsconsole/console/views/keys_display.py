"""How the console names a key's type, state and regionality, shared by the key list and
the key page so both say the same thing about a key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kmsconsole.engine.enums import KeySpec, KeyState, KeyUsage
from kmsconsole.kms.models import Key

_STATE_BADGES = {
    KeyState.ENABLED: "ok",
    KeyState.DISABLED: "muted",
    KeyState.PENDING_DELETION: "danger",
    KeyState.PENDING_REPLICA_DELETION: "danger",
    KeyState.PENDING_IMPORT: "warn",
    KeyState.UNAVAILABLE: "warn",
}
# Key states as the AWS console words them.
_STATE_LABELS = {
    KeyState.PENDING_DELETION: "Pending deletion",
    KeyState.PENDING_REPLICA_DELETION: "Pending replica deletion",
    KeyState.PENDING_IMPORT: "Pending import",
}


def key_type(key_spec: str, key_usage: str) -> str:
    """AWS's three key types: symmetric encryption, HMAC (also symmetric) and asymmetric."""
    if key_spec == KeySpec.SYMMETRIC_DEFAULT:
        return "Symmetric"
    if key_usage == KeyUsage.GENERATE_VERIFY_MAC:
        return "HMAC"
    return "Asymmetric"


@dataclass(frozen=True)
class KeySummary:
    """What a row of the key list, or the key page's header, shows about a key."""

    key_id: str
    arn: str
    state: str
    key_spec: str
    key_usage: str
    multi_region: bool
    description: str = ""
    key_manager: str = "CUSTOMER"
    aliases: list[str] = field(default_factory=list)

    @classmethod
    def of_row(cls, key: Key) -> KeySummary:
        """From a Key row whose aliases were prefetched (the list's one alias query)."""
        return cls(
            key_id=key.key_id,
            arn=key.arn,
            state=key.key_state,
            key_spec=key.key_spec,
            key_usage=key.key_usage,
            multi_region=key.multi_region,
            description=key.description,
            key_manager=key.key_manager,
            aliases=[alias.name for alias in key.aliases.all()],
        )

    @classmethod
    def of_metadata(cls, metadata: dict[str, Any], aliases: list[str]) -> KeySummary:
        """From DescribeKey's KeyMetadata and the key's alias names."""
        return cls(
            key_id=metadata["KeyId"],
            arn=metadata["Arn"],
            state=metadata["KeyState"],
            key_spec=metadata["KeySpec"],
            key_usage=metadata["KeyUsage"],
            multi_region=metadata["MultiRegion"],
            description=metadata["Description"],
            key_manager=metadata["KeyManager"],
            aliases=aliases,
        )

    @property
    def key_type(self) -> str:
        return key_type(self.key_spec, self.key_usage)

    @property
    def state_label(self) -> str:
        return _STATE_LABELS.get(KeyState(self.state), self.state)

    @property
    def badge(self) -> str:
        return _STATE_BADGES.get(KeyState(self.state), "muted")

    @property
    def regionality(self) -> str:
        return "Multi-Region" if self.multi_region else "Single-Region"

    @property
    def title(self) -> str:
        return self.aliases[0] if self.aliases else self.key_id

    @property
    def more_aliases(self) -> int:
        return max(len(self.aliases) - 1, 0)

    @property
    def is_aws_managed(self) -> bool:
        return self.key_manager == "AWS"
