"""The request context a policy is evaluated against: who asks, to do what, on what, and
the condition keys of the request.

Pure Python: no Django imports.

Condition key names are case-insensitive, all of them: ``aws:SourceIp`` and
``AWS:sourceip`` are one key. That includes the ``<context-key>`` part of
``kms:EncryptionContext:<context-key>``: the KMS Developer Guide ("Case sensitivity of the
encryption context condition", conditions-kms) says the whole condition key, prefix and
context key, "is not case sensitive", and that a case-sensitive *key* check needs
``kms:EncryptionContextKeys`` with a case-sensitive operator (there the context key is a
*value*, and values keep their case). So names are folded to lower case here and in
compiled conditions; values never are.

Two encryption context keys that differ only in case (``Dept`` and ``dept``) fold to one
condition key; their values are kept together as a multi-valued key, so a plain
``StringEquals`` matches either. AWS advises against such contexts and does not document
this case.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, cast

PrincipalType = Literal["Root", "IAMUser", "AssumedRole", "Role", "AWSService"]

ConditionValue = tuple[str, ...] | str
"""What the caller may pass per key. Booleans, numbers, datetimes and bytes are also
accepted and turned into the strings IAM compares (``true``, ``30``, ISO 8601 UTC,
base64)."""

# aws:PrincipalType values, from the IAM global condition keys reference.
_AWS_PRINCIPAL_TYPE = {"Root": "Account", "IAMUser": "User", "AssumedRole": "AssumedRole", "Role": "AssumedRole"}


@dataclass(frozen=True)
class RequestContext:
    """One request, as the policy engine sees it.

    ``principal_arn`` is the caller as CloudTrail names it: ``arn:aws:iam::<id>:root``,
    a user ARN, an assumed-role session ARN (``arn:aws:sts::<id>:assumed-role/<role>/<session>``),
    a role ARN, or a service principal name (``cloudtrail.amazonaws.com``) for AWSService.
    ``role_arn`` is the IAM role behind a session, with its path; when omitted it is derived
    from the session ARN (which carries no path).

    ``condition_values`` holds the request's condition keys. A key that is absent, None or
    an empty tuple is *missing* (the "null dataset" of the IAM docs). Unless given, these
    global keys are filled in from the principal: ``aws:PrincipalArn`` (the role ARN for a
    session, as AWS does), ``aws:PrincipalAccount``, ``aws:PrincipalType`` and, for KMS
    actions, ``kms:CallerAccount``; for a service principal ``aws:PrincipalServiceName``.
    ``aws:CurrentTime`` is not: the engine has no clock, the caller passes the workspace's.
    """

    principal_arn: str
    principal_account: str
    principal_type: PrincipalType
    action: str
    resource: str
    condition_values: Mapping[str, ConditionValue] = field(default_factory=dict)
    role_arn: str | None = None
    _derived_values: Mapping[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.principal_type == "AssumedRole" and self.role_arn is None:
            object.__setattr__(self, "role_arn", role_arn_of_session(self.principal_arn))
        object.__setattr__(self, "condition_values", MappingProxyType(_fold_keys(self.condition_values)))
        # Kept apart from the given values so that dataclasses.replace() re-derives them.
        object.__setattr__(self, "_derived_values", self._derived_keys())

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.principal_account}:root"

    @property
    def effective_values(self) -> dict[str, tuple[str, ...]]:
        """Every condition key of the request, derived ones included, as evaluated."""
        given = cast("Mapping[str, tuple[str, ...]]", self.condition_values)
        return {**self._derived_values, **given}

    def values_of(self, key: str) -> tuple[str, ...] | None:
        """The request's values for a condition key (any case), or None when it is missing."""
        folded = key.lower()
        given = cast("tuple[str, ...] | None", self.condition_values.get(folded))
        return given if given is not None else self._derived_values.get(folded)

    def values_for(self, folded_keys: Iterable[str]) -> tuple[tuple[str, ...] | None, ...]:
        """``values_of`` for many keys already in lower case, in one pass: what a policy's
        remembered verdict is keyed by."""
        given = cast("Mapping[str, tuple[str, ...]]", self.condition_values)
        derived = self._derived_values
        return tuple(given.get(key) or derived.get(key) for key in folded_keys)

    def _derived_keys(self) -> dict[str, tuple[str, ...]]:
        if self.principal_type == "AWSService":
            return {"aws:principalservicename": (self.principal_arn,)}
        derived: dict[str, tuple[str, ...]] = {
            "aws:principalarn": (self.role_arn or self.principal_arn,),
            "aws:principalaccount": (self.principal_account,),
            "aws:principaltype": (_AWS_PRINCIPAL_TYPE[self.principal_type],),
        }
        if self.action.lower().startswith("kms:"):
            derived["kms:calleraccount"] = (self.principal_account,)
        return derived


def role_arn_of_session(session_arn: str) -> str | None:
    """``arn:aws:sts::<id>:assumed-role/<role>/<session>`` → ``arn:aws:iam::<id>:role/<role>``."""
    prefix, _, resource = session_arn.partition(":assumed-role/")
    role_name, slash, _ = resource.partition("/")
    if not slash or not prefix.startswith("arn:") or ":sts::" not in prefix:
        return None
    partition_and_account = prefix.removeprefix("arn:").split(":sts::")
    return f"arn:{partition_and_account[0]}:iam::{partition_and_account[1]}:role/{role_name}"


def _fold_keys(values: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    folded: dict[str, tuple[str, ...]] = {}
    for key, raw in values.items():
        strings = _as_strings(raw)
        if not strings:
            continue
        lower = key.lower()
        if lower in folded:
            strings = tuple(dict.fromkeys(folded[lower] + strings))
        folded[lower] = strings
    return folded


def _as_strings(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str | bool | int | float | Decimal | datetime | bytes):
        return (_as_string(raw),)
    if isinstance(raw, Iterable):
        return tuple(_as_string(item) for item in raw)
    raise TypeError(f"condition value {raw!r} is not a string, scalar or sequence")


def _as_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)
