"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias is a name in one account and region that points at one customer managed key of
that account and region. ``alias/aws/`` names belong to AWS managed keys: nobody may
create, repoint or delete them, and ListAliases shows them even before their key exists.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.arns import alias_arn
from kmsconsole.engine.enums import KeySpec, KeyUsage
from kmsconsole.engine.errors import (
    AlreadyExistsException,
    LimitExceededException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from kmsconsole.iam.callers import Caller

from .. import authz
from ..keys import resolve_key
from ..managed import AWS_MANAGED_SERVICES
from ..models import Alias, Key
from ..pagination import decode_marker, encode_marker
from .common import key_for
from .registry import Request, Response, operation

ALIAS_PREFIX = "alias/"
RESERVED_PREFIX = "alias/aws/"
MAX_ALIASES_PER_KEY = 50
DEFAULT_ALIASES_PER_PAGE = 50
MAX_ALIASES_PER_PAGE = 100
PREDEFINED_ALIASES = tuple(f"{RESERVED_PREFIX}{service}" for service in AWS_MANAGED_SERVICES)
# Starts a marker that points into the keyless predefined aliases listed after all rows.
_KEYLESS_MARK = "keyless:"


@operation("CreateAlias")
def create_alias(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html

    The unique constraint on the name decides duplicates, so two concurrent requests for
    one name cannot both succeed."""
    name = _check_customer_alias_name(request["AliasName"])
    key = _target_key(caller, request["TargetKeyId"], operation="CreateAlias")
    if key.aliases.count() >= MAX_ALIASES_PER_KEY:
        raise LimitExceededException(
            f"The request was rejected because {key.arn} already has the maximum of {MAX_ALIASES_PER_KEY} aliases."
        )
    try:
        with transaction.atomic():
            Alias.objects.create(
                account=caller.account,
                region=caller.region,
                name=name,
                key=key,
                creation_date=caller.now,
                last_updated_date=caller.now,
            )
    except IntegrityError:
        raise AlreadyExistsException(f"An alias with the name {_arn(caller, name)} already exists") from None
    return {}


@operation("UpdateAlias")
def update_alias(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateAlias.html

    Only the new key's state matters; the current key may even be pending deletion. Both
    keys must be of the same type and usage, so code that uses the alias keeps working."""
    name = _check_customer_alias_name(request["AliasName"])
    alias = _existing_alias(caller, name)
    current_key = alias.key
    authz.decide(caller, "kms:UpdateAlias", current_key).enforce()
    new_key = _target_key(caller, request["TargetKeyId"], operation="UpdateAlias")
    if _key_type(new_key) != _key_type(current_key) or new_key.key_usage != current_key.key_usage:
        raise ValidationException(
            f"{new_key.arn} is not the same type of KMS key or does not have the same key usage as "
            f"{current_key.arn}, the KMS key that {name} is associated with."
        )
    alias.key = new_key
    alias.last_updated_date = caller.now
    alias.save(update_fields=["key", "last_updated_date"])
    return {}


@operation("DeleteAlias")
def delete_alias(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteAlias.html

    Allowed whatever the key's state: deleting an alias never affects its key."""
    name = _check_customer_alias_name(request["AliasName"])
    alias = _existing_alias(caller, name)
    authz.decide(caller, "kms:DeleteAlias", alias.key).enforce()
    alias.delete()
    return {}


@operation("ListAliases", read_only=True)
def list_aliases(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html

    Aliases come in name order, then the predefined ``alias/aws/*`` names whose AWS managed
    key has not been created in this region yet, without a target or dates, as AWS lists
    them. The marker names the last entry returned, so each page is one indexed range
    query, and the keyless entries never have to be ordered by the database's collation."""
    authz.decide(caller, "kms:ListAliases").enforce()
    key = resolve_key(caller, request["KeyId"], operation="ListAliases") if "KeyId" in request else None
    limit = min(request.get("Limit") or DEFAULT_ALIASES_PER_PAGE, MAX_ALIASES_PER_PAGE)
    after = decode_marker(request["Marker"]) if "Marker" in request else ""
    in_keyless_part = after.startswith(_KEYLESS_MARK)
    entries = [] if in_keyless_part else _alias_entries(caller, key=key, after=after, count=limit + 1)
    if key is None and len(entries) <= limit:
        keyless_after = after.removeprefix(_KEYLESS_MARK) if in_keyless_part else None
        entries += _keyless_predefined_entries(caller, after=keyless_after)
    if len(entries) <= limit:
        return {"Aliases": entries, "Truncated": False}
    page = entries[:limit]
    last = page[-1]
    position = last["AliasName"] if "TargetKeyId" in last else _KEYLESS_MARK + last["AliasName"]
    return {"Aliases": page, "Truncated": True, "NextMarker": encode_marker(position)}


def _check_customer_alias_name(name: str) -> str:
    """An alias name a customer may create, repoint or delete (the model already checked
    its length and characters)."""
    if not name.startswith(ALIAS_PREFIX):
        raise ValidationException(
            'Alias must start with the prefix "alias/". '
            "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if name.startswith(RESERVED_PREFIX):
        raise NotAuthorizedException("")
    if ":" in name:
        raise ValidationException(f"{name} contains invalid characters for an alias")
    return name


def _target_key(caller: Caller, key_ref: str, *, operation: str) -> Key:
    """The locked key an alias is to point at, named by key id or key ARN (``resolve_key``
    refuses alias names here), which the caller may alias and whose state allows
    ``operation``. An AWS managed key's fixed policy does not allow aliasing it, and keys
    of other accounts are refused by their own key policy."""
    return key_for(caller, key_ref, operation=operation, for_update=True)


def _existing_alias(caller: Caller, name: str) -> Alias:
    alias = (
        Alias.objects.select_for_update(of=("self",))
        .select_related("key__account")
        .filter(account=caller.account, region=caller.region, name=name)
        .first()
    )
    if alias is None:
        raise NotFoundException(f"Alias {_arn(caller, name)} is not found.")
    current_draft().note_key(alias.key.arn, alias.key.account.account_id)
    return alias


def _key_type(key: Key) -> str:
    """AWS's alias-compatibility classes: symmetric encryption, HMAC, or asymmetric."""
    if key.key_spec == KeySpec.SYMMETRIC_DEFAULT:
        return "symmetric"
    if key.key_usage == KeyUsage.GENERATE_VERIFY_MAC:
        return "hmac"
    return "asymmetric"


def _alias_entries(caller: Caller, *, key: Key | None, after: str, count: int) -> list[dict[str, Any]]:
    rows = Alias.objects.filter(account=caller.account, region=caller.region, name__gt=after)
    if key is not None:
        rows = rows.filter(key=key)
    return [
        {
            "AliasName": alias.name,
            "AliasArn": _arn(caller, alias.name),
            "TargetKeyId": alias.key.key_id,
            "CreationDate": alias.creation_date,
            "LastUpdatedDate": alias.last_updated_date,
        }
        for alias in rows.select_related("key").order_by("name")[:count]
    ]


def _keyless_predefined_entries(caller: Caller, *, after: str | None) -> list[dict[str, Any]]:
    """Predefined aliases with no AWS managed key yet in this account and region, in
    ``PREDEFINED_ALIASES`` order, starting after the one named ``after`` (if any)."""
    created = set(
        Alias.objects.filter(account=caller.account, region=caller.region, name__in=PREDEFINED_ALIASES).values_list(
            "name", flat=True
        )
    )
    start = PREDEFINED_ALIASES.index(after) + 1 if after in PREDEFINED_ALIASES else 0
    return [
        {"AliasName": name, "AliasArn": _arn(caller, name)}
        for name in PREDEFINED_ALIASES[start:]
        if name not in created
    ]


def _arn(caller: Caller, name: str) -> str:
    return alias_arn(caller.region, caller.account_id, name)
