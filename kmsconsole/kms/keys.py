"""Resolve the key a request names, for the caller making it.

Key ids, key ARNs, alias names and alias ARNs all end here, so "not found" and "not
yours" look the same (a key in another workspace is simply not found) and every
operation gets AWS's exact messages.
"""

from __future__ import annotations

import re

from django.db.models import Model

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.arns import KMS_ARN_PATTERN, alias_arn, is_key_id, key_arn
from kmsconsole.engine.errors import NotFoundException
from kmsconsole.fastpath import fetch_chain
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Account

from .managed import managed_key_for_alias
from .models import Alias, Key

# Operations whose KeyId may name an alias (the botocore model's documentation for the
# rest says "key ID or key ARN", or for GetKeyLastUsage "Alias names are not supported";
# AWS answers NotFoundException for an alias there).
ALIAS_ACCEPTING_OPERATIONS = frozenset(
    {
        "DescribeKey",
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GetPublicKey",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
    }
)


# AliasNameType in botocore's model. A name outside it cannot exist, so it is not looked
# up: a database cannot even compare some strings JSON can carry (NUL, lone surrogates).
_POSSIBLE_ALIAS_NAME = re.compile(r"alias/[a-zA-Z0-9:/_-]{1,250}")


def resolve_key(caller: Caller, key_ref: str, *, operation: str, for_update: bool = False) -> Key:
    """The key ``key_ref`` names in the caller's workspace and region.

    Raises ``NotFoundException`` with AWS's text for malformed ids, unknown keys, keys of
    another region, and aliases where ``operation`` does not accept them.
    """
    key = _lookup(caller, key_ref, operation=operation, for_update=for_update)
    draft = current_draft()
    draft.note_key(key.arn, key.account.account_id)
    if "alias/" in key_ref:
        draft.requested_alias = key_ref
    return key


def _lookup(caller: Caller, key_ref: str, *, operation: str, for_update: bool) -> Key:
    accepts_alias = operation in ALIAS_ACCEPTING_OPERATIONS
    match = KMS_ARN_PATTERN.match(key_ref)
    if match:
        if match["region"] != caller.region:
            raise NotFoundException(f"Invalid arn {match['region']}")
        account = _workspace_account(caller, match["account"])
        resource = match["resource"]
        if resource.startswith("alias/"):
            if not accepts_alias:
                raise NotFoundException(f"Invalid keyId '{key_ref}'")
            return _by_alias(caller, account, resource, for_update=for_update)
        key_id = resource.removeprefix("key/")
        if not is_key_id(key_id):
            raise NotFoundException(f"Invalid keyId '{key_ref}'")
        return _by_arn(caller, key_arn(caller.region, match["account"], key_id), for_update=for_update)
    if key_ref.startswith("alias/"):
        if not accepts_alias:
            raise NotFoundException(f"Invalid keyId '{key_ref}'")
        return _by_alias(caller, caller.account, key_ref, for_update=for_update)
    if not is_key_id(key_ref):
        raise NotFoundException(f"Invalid keyId '{key_ref}'")
    return _by_arn(caller, key_arn(caller.region, caller.account_id, key_ref), for_update=for_update)


def _workspace_account(caller: Caller, account_id: str) -> Account | None:
    if account_id == caller.account_id:
        return caller.account
    return Account.objects.filter(workspace_id=caller.account.workspace_id, account_id=account_id).first()


def _by_arn(caller: Caller, arn: str, *, for_update: bool) -> Key:
    key: Model | None
    if for_update:
        key = Key.objects.select_related("account").select_for_update(of=("self",)).filter(arn=arn).first()
    else:
        key = fetch_chain([Key, Account], ["account"], "arn", [arn])  # the hot path: Encrypt, Decrypt
    if not isinstance(key, Key) or key.account.workspace_id != caller.account.workspace_id:
        raise NotFoundException(f"Key '{arn}' does not exist")
    return key


def _by_alias(caller: Caller, account: Account | None, alias_name: str, *, for_update: bool) -> Key:
    not_found = NotFoundException(
        f"Alias {alias_arn(caller.region, account.account_id if account else caller.account_id, alias_name)} "
        "is not found."
    )
    if account is None or not _POSSIBLE_ALIAS_NAME.fullmatch(alias_name):
        raise not_found
    alias = (
        Alias.objects.select_related("key__account")
        .filter(account=account, region=caller.region, name=alias_name)
        .first()
    )
    if alias is None:
        managed = managed_key_for_alias(account, caller.region, alias_name, now=caller.now)
        if managed is None:
            raise not_found
        return managed
    if for_update:
        return _by_arn(caller, alias.key.arn, for_update=True)
    return alias.key
