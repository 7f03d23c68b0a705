"""The condition keys of a KMS request: what a policy's Condition block can test.

Values come from three places: the caller (``aws:*`` principal keys, the workspace clock,
the simulated service it calls through), the key (``kms:KeySpec``, ``aws:ResourceTag/*``)
and the request itself (``kms:EncryptionContext:*``, ``kms:SigningAlgorithm`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmsconsole.engine.policy import RequestContext
from kmsconsole.iam.callers import Caller

from .models import Key

ConditionValues = dict[str, tuple[str, ...] | str]

# Request members whose value a condition key exposes as it is.
_REQUEST_KEYS = {
    "EncryptionAlgorithm": "kms:EncryptionAlgorithm",
    "SigningAlgorithm": "kms:SigningAlgorithm",
    "MessageType": "kms:MessageType",
    "MacAlgorithm": "kms:MacAlgorithm",
    "KeyPairSpec": "kms:DataKeyPairSpec",
    "GranteePrincipal": "kms:GranteePrincipal",
    "RetiringPrincipal": "kms:RetiringPrincipal",
    "RotationPeriodInDays": "kms:RotationPeriodInDays",
    "PendingWindowInDays": "kms:ScheduleKeyDeletionPendingWindowInDays",
    "BypassPolicyLockoutSafetyCheck": "kms:BypassPolicyLockoutSafetyCheck",
    "KeyAgreementAlgorithm": "kms:KeyAgreementAlgorithm",
}

_GRANT_ACTIONS = frozenset({"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"})

# CreateKey's request members that policies test as the new key's properties.
_CREATE_KEY_KEYS = {"KeySpec": "kms:KeySpec", "KeyUsage": "kms:KeyUsage", "Origin": "kms:KeyOrigin"}

# Which encryption context an action is about: ReEncrypt reads its source on one side
# and its destination on the other.
_CONTEXT_MEMBER = {"kms:ReEncryptFrom": "SourceEncryptionContext", "kms:ReEncryptTo": "DestinationEncryptionContext"}


def encryption_context_for(action: str, request: Mapping[str, Any]) -> dict[str, str] | None:
    return request.get(_CONTEXT_MEMBER.get(action, "EncryptionContext"))


def request_context(
    caller: Caller,
    action: str,
    key: Key | None,
    request: Mapping[str, Any],
    *,
    requested_alias: str = "",
    with_tags_and_aliases: bool = False,
) -> RequestContext:
    """The context a policy is evaluated in. Tags and aliases of the key cost a query, so
    they are read only ``with_tags_and_aliases`` (when some policy tests them)."""
    values: ConditionValues = {}
    values.update(_caller_values(caller))
    if key is not None:
        values.update(_key_values(key, with_tags_and_aliases))
    values.update(_request_values(action, request))
    if action in _GRANT_ACTIONS:
        # Present on every grant request: true only when an AWS service makes it.
        values["kms:GrantIsForAWSResource"] = "true" if caller.via_service else "false"
    if requested_alias:
        values["kms:RequestAlias"] = requested_alias
    return RequestContext(
        principal_arn=caller.arn,
        principal_account=caller.account_id,
        principal_type=caller.identity_type,
        action=action,
        resource=key.arn if key is not None else "*",
        condition_values=values,
        role_arn=caller.principal.arn if caller.session is not None else None,
    )


def _caller_values(caller: Caller) -> ConditionValues:
    values: ConditionValues = {
        "aws:CurrentTime": caller.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(caller.now.timestamp())),
        "aws:SecureTransport": "false",
        "aws:userid": caller.user_id,
    }
    if caller.source_ip and not caller.via_service:
        values["aws:SourceIp"] = caller.source_ip
    if caller.identity_type == "IAMUser":
        values["aws:username"] = caller.principal.name
    for tag_key, tag_value in (caller.principal.tags or {}).items():
        values[f"aws:PrincipalTag/{tag_key}"] = str(tag_value)
    if caller.via_service:
        values["kms:ViaService"] = caller.via_service
    return values


def _key_values(key: Key, with_tags_and_aliases: bool) -> ConditionValues:
    values: ConditionValues = {
        "kms:KeySpec": key.key_spec,
        "kms:KeyUsage": key.key_usage,
        "kms:KeyOrigin": key.origin,
        "kms:MultiRegion": "true" if key.multi_region else "false",
    }
    if with_tags_and_aliases:
        for tag_key, tag_value in key.tags.values_list("tag_key", "tag_value"):
            values[f"aws:ResourceTag/{tag_key}"] = tag_value
        aliases = tuple(key.aliases.values_list("name", flat=True))
        if aliases:
            values["kms:ResourceAliases"] = aliases
    return values


def _tag_pair(tag: Mapping[str, str]) -> tuple[str, str]:
    """KMS spells tags TagKey/TagValue, IAM and STS Key/Value."""
    return tag.get("TagKey", tag.get("Key", "")), tag.get("TagValue", tag.get("Value", ""))


def _request_values(action: str, request: Mapping[str, Any]) -> ConditionValues:
    values: ConditionValues = {}
    for member, condition_key in _REQUEST_KEYS.items():
        if request.get(member) is not None:
            value = request[member]
            values[condition_key] = str(value).lower() if isinstance(value, bool) else str(value)
    context = encryption_context_for(action, request)
    if context is not None:
        values["kms:EncryptionContextKeys"] = tuple(context)
        for context_key, context_value in context.items():
            values[f"kms:EncryptionContext:{context_key}"] = context_value
    if request.get("Operations"):
        values["kms:GrantOperations"] = tuple(request["Operations"])
    constraints = request.get("Constraints") or {}
    if constraints:
        values["kms:GrantConstraintType"] = tuple(constraints)
    tags = [_tag_pair(tag) for tag in request.get("Tags") or ()]
    if tags:
        for tag_key, tag_value in tags:
            values[f"aws:RequestTag/{tag_key}"] = tag_value
        values["aws:TagKeys"] = tuple(tag_key for tag_key, _ in tags)
    elif request.get("TagKeys"):
        values["aws:TagKeys"] = tuple(request["TagKeys"])
    for member, condition_key in (
        ("KeySpec", "kms:KeySpec"),
        ("KeyUsage", "kms:KeyUsage"),
        ("Origin", "kms:KeyOrigin"),
    ):
        if action == "kms:CreateKey" and request.get(member):
            values[condition_key] = request[member]
    return values
