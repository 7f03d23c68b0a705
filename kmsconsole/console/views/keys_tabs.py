"""What each tab of the key page shows, each read through the operation AWS's console
uses for it (GetKeyPolicy, ListResourceTags, GetKeyRotationStatus, ListGrants...), so
a principal sees exactly what its permissions allow."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.forms import Form
from django.http import HttpRequest

from kmsconsole.audit.lookup import list_events
from kmsconsole.engine.enums import KeySpec, KeyUsage, RotationType
from kmsconsole.engine.policy import parse_policy
from kmsconsole.iam.models import Principal
from kmsconsole.kms.operations.aliases import list_aliases
from kmsconsole.kms.operations.grants import grantable_operations, list_grants
from kmsconsole.kms.operations.key_policies import get_key_policy
from kmsconsole.kms.operations.rotation import get_key_rotation_status, list_key_rotations
from kmsconsole.kms.operations.signing import get_public_key
from kmsconsole.kms.operations.tags import list_resource_tags
from kmsconsole.kms.rotation import DEFAULT_ROTATION_PERIOD_DAYS

from ..forms_keys import AliasForm, DescriptionForm, GrantForm, KeyPolicyForm, NewTagForm, RotationForm
from .keys_display import KeySummary
from .keys_policy import policy_warnings, read_policy

Metadata = dict[str, Any]
TabLoader = Callable[[HttpRequest, Metadata, KeySummary, dict[str, Form]], dict[str, Any]]

EVENTS_PER_PAGE = 25
GRANTS_PER_PAGE = 50
MAX_TAGS_PER_KEY = 50
MAX_ROTATIONS_LISTED = 1000
_ALGORITHM_LISTS = (
    ("EncryptionAlgorithms", "Encryption algorithms"),
    ("SigningAlgorithms", "Signing algorithms"),
    ("MacAlgorithms", "MAC algorithms"),
    ("KeyAgreementAlgorithms", "Key agreement algorithms"),
)


def general_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    form = bound.get("description") or DescriptionForm(initial={"description": metadata["Description"]})
    return {"description_form": form}


def policy_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    policy = get_key_policy(request.caller, {"KeyId": key.arn})["Policy"]  # type: ignore[attr-defined]
    parsed = parse_policy(policy, kind="key")
    account_id = metadata["AWSAccountId"]
    return {
        "policy": policy,
        "statements": read_policy(parsed, account_id=account_id),
        "warnings": policy_warnings(parsed, account_id=account_id),
        "policy_form": bound.get("policy") or KeyPolicyForm(initial={"policy": policy}),
    }


def cryptography_tab(
    request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]
) -> dict[str, Any]:
    return {"algorithms": _algorithms(metadata)}


def _algorithms(metadata: Metadata) -> list[tuple[str, list[str]]]:
    return [(label, metadata[member]) for member, label in _ALGORITHM_LISTS if member in metadata]


def tags_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    response = list_resource_tags(request.caller, {"KeyId": key.arn, "Limit": MAX_TAGS_PER_KEY})  # type: ignore[attr-defined]
    return {"tags": response["Tags"], "tag_form": bound.get("tag") or NewTagForm()}


def rotation_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    caller = request.caller  # type: ignore[attr-defined]
    status = get_key_rotation_status(caller, {"KeyId": key.arn})
    history = list_key_rotations(caller, {"KeyId": key.arn, "Limit": MAX_ROTATIONS_LISTED})["Rotations"]
    on_demand = sum(1 for rotation in history if rotation.get("RotationType") == RotationType.ON_DEMAND)
    period = status.get("RotationPeriodInDays", DEFAULT_ROTATION_PERIOD_DAYS)
    return {
        "rotation": status,
        "rotations": list(reversed(history)),
        "on_demand_left": max(settings.KMSCONSOLE_ON_DEMAND_ROTATION_LIMIT - on_demand, 0),
        "on_demand_limit": settings.KMSCONSOLE_ON_DEMAND_ROTATION_LIMIT,
        "rotation_form": bound.get("rotation") or RotationForm(initial={"rotation_period_days": period}),
    }


def aliases_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    response = list_aliases(request.caller, {"KeyId": key.arn, "Limit": 100})  # type: ignore[attr-defined]
    return {"key_aliases": response["Aliases"], "alias_form": bound.get("alias") or AliasForm()}


def grants_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    marker = request.GET.get("marker")
    listing = {"KeyId": key.arn, "Limit": GRANTS_PER_PAGE, **({"Marker": marker} if marker else {})}
    response = list_grants(request.caller, listing)  # type: ignore[attr-defined]
    operations = list(grantable_operations(KeySpec(key.key_spec), KeyUsage(key.key_usage)))
    return {
        "grants": response["Grants"],
        "grants_next_marker": response.get("NextMarker"),
        "grant_form": bound.get("grant") or GrantForm(operations=operations),
        "principal_suggestions": _workspace_principal_arns(request),
    }


def _workspace_principal_arns(request: HttpRequest) -> list[str]:
    """Every principal of the console's workspace, offered as grantees."""
    principals = Principal.objects.filter(account__workspace=request.console.workspace).select_related("account")  # type: ignore[attr-defined]
    return sorted(principal.arn for principal in principals)


def public_key_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    response = get_public_key(request.caller, {"KeyId": key.arn})  # type: ignore[attr-defined]
    return {"public_key_pem": pem_public_key(response["PublicKey"]), "algorithms": _algorithms(response)}


def pem_public_key(der: bytes) -> str:
    """A DER SubjectPublicKeyInfo as PEM (RFC 7468): base64 in 64-character lines."""
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def events_tab(request: HttpRequest, metadata: Metadata, key: KeySummary, bound: dict[str, Form]) -> dict[str, Any]:
    """The workspace's audit events naming this key, newest first, a page at a time."""
    before = request.GET.get("before", "")
    events = list_events(
        request.console.workspace,  # type: ignore[attr-defined]
        key_arn=key.arn,
        limit=EVENTS_PER_PAGE,
        before_id=int(before) if before.isdigit() else None,
    )
    return {
        "events": [(event, json.dumps(event.record, indent=2, sort_keys=True)) for event in events],
        "events_before": events[-1].pk if len(events) == EVENTS_PER_PAGE else None,
    }


TAB_LOADERS: dict[str, TabLoader] = {
    "general": general_tab,
    "policy": policy_tab,
    "cryptography": cryptography_tab,
    "tags": tags_tab,
    "rotation": rotation_tab,
    "aliases": aliases_tab,
    "grants": grants_tab,
    "public-key": public_key_tab,
    "events": events_tab,
}
