"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

These operations store and remove grants. Whether a grant lets its grantee use a key is
decided by ``authz``: a grant row keeps ``operations`` as a list of GrantOperation values
and ``constraints`` as AWS's ``GrantConstraints`` dict (or None), ready to evaluate.
"""

from __future__ import annotations

import os
import re
from typing import Any

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine.arns import KMS_ARN_PATTERN
from kmsconsole.engine.enums import GrantOperation, KeySpec, KeyUsage
from kmsconsole.engine.errors import (
    InvalidArnException,
    InvalidGrantIdException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import Account, Principal, PrincipalType

from .. import authz
from ..grant_rules import grant_id_from_token, grant_token
from ..keys import resolve_key
from ..models import Grant, Key
from ..pagination import paginate
from .common import key_for, stop_if_dry_run
from .registry import Request, Response, operation

MAX_GRANTS_PER_KEY = 50_000
MAX_CONSTRAINT_PAIRS = 8
MAX_CONSTRAINT_VALUE_CHARS = 384

_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws:(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$")

# Grant token: base64url of a version byte, the 32-byte grant id and a random nonce, so
# each CreateGrant call returns a new token that still names its grant.


_ANY_KEY_OPERATIONS = (GrantOperation.CREATE_GRANT, GrantOperation.RETIRE_GRANT, GrantOperation.DESCRIBE_KEY)
_ENCRYPTION_OPERATIONS = (
    GrantOperation.ENCRYPT,
    GrantOperation.DECRYPT,
    GrantOperation.RE_ENCRYPT_FROM,
    GrantOperation.RE_ENCRYPT_TO,
)
_DATA_KEY_OPERATIONS = (
    GrantOperation.GENERATE_DATA_KEY,
    GrantOperation.GENERATE_DATA_KEY_WITHOUT_PLAINTEXT,
    GrantOperation.GENERATE_DATA_KEY_PAIR,
    GrantOperation.GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT,
)
_OPERATIONS_BY_USAGE: dict[KeyUsage, tuple[GrantOperation, ...]] = {
    KeyUsage.ENCRYPT_DECRYPT: (*_ENCRYPTION_OPERATIONS, GrantOperation.GET_PUBLIC_KEY),
    KeyUsage.SIGN_VERIFY: (GrantOperation.SIGN, GrantOperation.VERIFY, GrantOperation.GET_PUBLIC_KEY),
    KeyUsage.GENERATE_VERIFY_MAC: (GrantOperation.GENERATE_MAC, GrantOperation.VERIFY_MAC),
    KeyUsage.KEY_AGREEMENT: (GrantOperation.DERIVE_SHARED_SECRET, GrantOperation.GET_PUBLIC_KEY),
}


def grantable_operations(spec: KeySpec, usage: KeyUsage) -> tuple[GrantOperation, ...]:
    """The operations a grant for a key of this type may allow (AWS's "grant operations"
    table): a symmetric encryption key has no public key but makes data keys."""
    if spec == KeySpec.SYMMETRIC_DEFAULT:
        return (*_ENCRYPTION_OPERATIONS, *_DATA_KEY_OPERATIONS, *_ANY_KEY_OPERATIONS)
    return (*_OPERATIONS_BY_USAGE[usage], *_ANY_KEY_OPERATIONS)


@operation("CreateGrant")
def create_grant(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html

    With a ``Name``, repeating a request with the same parameters returns the grant made
    the first time (with a new token) instead of a duplicate grant.
    """
    _refuse_alias(request["KeyId"])
    key = key_for(caller, request["KeyId"], operation="CreateGrant", for_update=True)
    fields = _grant_fields(caller, key, request)
    name = request.get("Name", "")
    existing = _same_named_grant(key, name, fields)
    if existing is None:
        _require_grant_quota(key)
    stop_if_dry_run(request)
    grant = existing or Grant.objects.create(
        key=key,
        grant_id=os.urandom(32).hex(),
        name=name,
        issuing_account=caller.account.root_arn,
        creation_date=caller.now,
        **fields,
    )
    return {"GrantToken": grant_token(grant.grant_id), "GrantId": grant.grant_id}


@operation("ListGrants", read_only=True)
def list_grants(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListGrants.html"""
    key = key_for(caller, request["KeyId"], operation="ListGrants")
    rows = Grant.objects.filter(key=key)
    if "GrantId" in request:
        rows = rows.filter(grant_id=_checked_grant_id(request["GrantId"]))
    if "GranteePrincipal" in request:
        rows = rows.filter(grantee_principal=request["GranteePrincipal"])
    page = paginate(rows, order_field="grant_id", request=request, default_limit=50, max_limit=100)
    return {"Grants": [_grant_entry(key, grant) for grant in page.items], **page.envelope()}


@operation("ListRetirableGrants", read_only=True)
def list_retirable_grants(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListRetirableGrants.html

    The retiring principal must be in the caller's account; the grants listed may be on
    keys of any account (of the workspace), in the caller's region.
    """
    principal = request["RetiringPrincipal"]
    _require_own_account_principal(caller, principal)
    authz.decide(caller, "kms:ListRetirableGrants").enforce()
    rows = Grant.objects.select_related("key").filter(
        retiring_principal=principal,
        key__region=caller.region,
        key__account__workspace_id=caller.account.workspace_id,
    )
    page = paginate(rows, order_field="grant_id", request=request, default_limit=50, max_limit=100)
    return {"Grants": [_grant_entry(grant.key, grant) for grant in page.items], **page.envelope()}


@operation("RetireGrant")
def retire_grant(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html

    The grant is named by its token alone, or by key and grant id. Who may retire it is
    decided by the grant itself (see ``_authorize_retirement``), not by a key policy.
    """
    grant = _grant_to_retire(caller, request)
    _authorize_retirement(caller, grant)
    stop_if_dry_run(request)
    grant.delete()
    return {}


@operation("RevokeGrant")
def revoke_grant(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_RevokeGrant.html"""
    key = key_for(caller, request["KeyId"], operation="RevokeGrant")
    grant = _grant_on_key(key, request["GrantId"])
    stop_if_dry_run(request)
    grant.delete()
    return {}


def _refuse_alias(key_ref: str) -> None:
    """CreateGrant names a key by id or key ARN only; AWS refuses an alias outright."""
    match = KMS_ARN_PATTERN.match(key_ref)
    resource = match["resource"] if match else key_ref
    if resource.startswith("alias/"):
        raise InvalidArnException("Key Aliases are not supported for this operation.")


def _grant_fields(caller: Caller, key: Key, request: Request) -> dict[str, Any]:
    """The checked parameters of a new grant, as Grant model fields."""
    grantee = request["GranteePrincipal"]
    retiring = request.get("RetiringPrincipal", "")
    for principal in (grantee, retiring):
        if principal:
            _require_principal(caller, principal)
    fields = {
        "grantee_principal": grantee,
        "retiring_principal": retiring,
        "operations": _grant_operations(key, request["Operations"]),
        "constraints": _grant_constraints(key, request.get("Constraints")),
    }
    return fields


def _require_principal(caller: Caller, principal_arn: str) -> None:
    """Grantees and retiring principals are accounts, users, roles, assumed-role sessions
    or federated users that exist in the workspace; never service principals or groups."""
    if not _is_existing_principal(caller, principal_arn):
        raise InvalidArnException(f"ARN does not refer to a valid principal: {principal_arn}")


def _is_existing_principal(caller: Caller, principal_arn: str) -> bool:
    match = _PRINCIPAL_ARN.match(principal_arn)
    if match is None:
        return False
    account = Account.objects.filter(workspace_id=caller.account.workspace_id, account_id=match["account"]).first()
    if account is None:
        return False
    kind, _, rest = match["resource"].partition("/")
    if match["service"] == "sts":
        if kind == "assumed-role":
            role_name, _, session_name = rest.partition("/")
            roles = Principal.objects.filter(account=account, kind=PrincipalType.ROLE, name=role_name)
            return bool(session_name) and roles.exists()
        return kind == "federated-user" and bool(rest)
    if match["resource"] == "root":
        return True
    iam_kinds = {"user": PrincipalType.USER, "role": PrincipalType.ROLE}
    if kind not in iam_kinds or not rest:
        return False
    # The resource after "user/" or "role/" is the principal's path, then its name.
    path, _, name = ("/" + rest).rpartition("/")
    return Principal.objects.filter(account=account, kind=iam_kinds[kind], name=name, path=path + "/").exists()


def _require_own_account_principal(caller: Caller, principal_arn: str) -> None:
    match = _PRINCIPAL_ARN.match(principal_arn)
    if match is None:
        raise InvalidArnException(f"ARN does not refer to a valid principal: {principal_arn}")
    if match["account"] != caller.account_id:
        action = "kms:ListRetirableGrants"
        reason = f"because no identity-based policy allows the {action} action"
        authz.Decision(False, action, principal_arn, caller.arn, reason).enforce()


def _grant_operations(key: Key, requested: list[str]) -> list[str]:
    """The requested operations without repeats, if the key's type offers them all."""
    operations = list(dict.fromkeys(requested))
    if operations == [GrantOperation.CREATE_GRANT]:
        raise ValidationException("Grants must not contain only the CreateGrant operation.")
    spec, usage = KeySpec(key.key_spec), KeyUsage(key.key_usage)
    allowed = grantable_operations(spec, usage)
    refused = [name for name in operations if name not in allowed]
    if refused:
        raise ValidationException(
            f"Grant operations {', '.join(refused)} are not valid for {key.arn}, a KMS key with KeySpec "
            f"{spec} and KeyUsage {usage}. Valid grant operations for this key: {', '.join(allowed)}."
        )
    return operations


def _grant_constraints(key: Key, constraints: dict[str, Any] | None) -> dict[str, dict[str, str]] | None:
    """The encryption context constraints to store (empty ones dropped), if this key
    takes an encryption context at all."""
    given = {kind: context for kind, context in (constraints or {}).items() if context}
    if not given:
        return None
    if key.key_spec != KeySpec.SYMMETRIC_DEFAULT:
        raise ValidationException(
            "Encryption context grant constraints are supported only with symmetric encryption KMS keys. "
            f"{key.arn} has KeySpec {key.key_spec}."
        )
    for kind, context in given.items():
        if len(context) > MAX_CONSTRAINT_PAIRS:
            raise ValidationException(
                f"{kind} has {len(context)} encryption context pairs; a grant constraint can have at most "
                f"{MAX_CONSTRAINT_PAIRS}."
            )
        for context_key, value in context.items():
            if len(value) > MAX_CONSTRAINT_VALUE_CHARS:
                raise ValidationException(
                    f"The value of {context_key!r} in {kind} is {len(value)} characters long; a grant "
                    f"constraint value can have at most {MAX_CONSTRAINT_VALUE_CHARS}."
                )
    return given


def _same_named_grant(key: Key, name: str, fields: dict[str, Any]) -> Grant | None:
    """The grant an earlier CreateGrant with this Name and these parameters made."""
    if not name:
        return None
    for grant in Grant.objects.filter(key=key, name=name):
        if (
            grant.grantee_principal == fields["grantee_principal"]
            and grant.retiring_principal == fields["retiring_principal"]
            and set(grant.operations) == set(fields["operations"])
            and grant.constraints == fields["constraints"]
        ):
            return grant
    return None


def _require_grant_quota(key: Key) -> None:
    if Grant.objects.filter(key=key).count() >= MAX_GRANTS_PER_KEY:
        raise LimitExceededException(
            f"The request was rejected because {key.arn} already has {MAX_GRANTS_PER_KEY} grants, "
            "the maximum for one KMS key. Retire or revoke grants you no longer need."
        )


def _checked_grant_id(grant_id: str) -> str:
    if not _GRANT_ID.match(grant_id):
        raise InvalidGrantIdException(f"Invalid grant ID '{grant_id}': a grant ID is 64 hexadecimal characters.")
    return grant_id


def _grant_on_key(key: Key, grant_id: str) -> Grant:
    grant = key.grants.filter(grant_id=_checked_grant_id(grant_id)).first()
    if grant is None:
        raise NotFoundException(f"Grant ID {grant_id} not found for key {key.arn}.")
    return grant


def _grant_to_retire(caller: Caller, request: Request) -> Grant:
    token = request.get("GrantToken")
    if token:
        grant_id = grant_id_from_token(token)
        grant = (
            Grant.objects.select_related("key__account")
            .filter(
                grant_id=grant_id,
                key__region=caller.region,
                key__account__workspace_id=caller.account.workspace_id,
            )
            .first()
        )
        if grant is None:
            raise NotFoundException(f"Grant ID {grant_id} not found.")
        current_draft().note_key(grant.key.arn, grant.key.account.account_id)
        return grant
    if "KeyId" not in request or "GrantId" not in request:
        raise ValidationException("Specify either GrantToken, or both KeyId and GrantId, to identify the grant.")
    key = resolve_key(caller, request["KeyId"], operation="RetireGrant")
    return _grant_on_key(key, request["GrantId"])


def _authorize_retirement(caller: Caller, grant: Grant) -> None:
    """The grant's retiring principal, its grantee when the grant allows RetireGrant, and
    the account that issued the grant may retire it. A principal that is an account
    stands for its users and roles, which IAM policies delegate to (the policy-evaluation
    work refines that delegation)."""
    if grant.retiring_principal and _stands_for(grant.retiring_principal, caller):
        reason = "the grant names the caller as its retiring principal"
    elif GrantOperation.RETIRE_GRANT in grant.operations and _stands_for(grant.grantee_principal, caller):
        reason = "the grant allows its grantee to retire it"
    elif grant.issuing_account == caller.account.root_arn:
        reason = "the caller's account issued the grant"
    else:
        reason = ""
    action = "kms:RetireGrant"
    decision = authz.Decision(
        bool(reason),
        action,
        grant.key.arn,
        caller.arn,
        reason or f"because no resource-based policy allows the {action} action",
    )
    current_draft().trace = [
        {"action": action, "resource": decision.resource, "allowed": decision.allowed, "reason": decision.reason}
    ]
    decision.enforce()


def _stands_for(principal_arn: str, caller: Caller) -> bool:
    return principal_arn in (caller.arn, caller.account.root_arn)


def _grant_entry(key: Key, grant: Grant) -> Response:
    entry: Response = {
        "KeyId": key.arn,
        "GrantId": grant.grant_id,
        "Name": grant.name,
        "CreationDate": grant.creation_date,
        "GranteePrincipal": grant.grantee_principal,
        "IssuingAccount": grant.issuing_account,
        "Operations": list(grant.operations),
    }
    if grant.retiring_principal:
        entry["RetiringPrincipal"] = grant.retiring_principal
    if grant.constraints:
        entry["Constraints"] = grant.constraints
    return entry
