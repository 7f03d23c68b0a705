"""Identity policies: inline policies of users and roles, customer managed policies and
their attachments, and the checks a policy document gets before IAM stores it.

Every change to what applies to an identity bumps its ``policy_revision``, which keys the
authorizer's cache of parsed policies. (A managed policy's document never changes: only
version ``v1`` exists, and a policy is deleted only once nothing is attached to it.)

These functions act on one account's rows and raise IAM's errors with IAM's messages;
they do not authorize. The IAM operations (``iam/operations/``) authorize and audit,
then call them; labs and the console may call them directly to set a scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from kmsconsole.engine.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from kmsconsole.engine.policy import InvalidPolicyDocument, Policy, PolicyKind, parse_policy

from .models import (
    Account,
    IdentityPolicy,
    ManagedPolicy,
    PolicyAttachment,
    Principal,
    PrincipalType,
    new_unique_id,
)

# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): sizes count characters other
# than whitespace; inline sizes are the total of all of one identity's inline policies.
USER_INLINE_POLICY_CHARS = 2048
ROLE_INLINE_POLICY_CHARS = 10240
MANAGED_POLICY_CHARS = 6144
TRUST_POLICY_CHARS = 2048
MANAGED_POLICIES_PER_IDENTITY = 10


@dataclass(frozen=True)
class NamedPolicy:
    """An identity policy document and where it comes from, for authorization traces."""

    source: str  # "inline policy AppAccess" or "managed policy arn:aws:iam::...:policy/AppAccess"
    document: str


def parse_document(text: str, kind: PolicyKind) -> Policy:
    """Parse an identity or trust policy with the policy engine, answering a bad one with
    IAM's ``MalformedPolicyDocument`` (IAM's message, plus the engine's explanation)."""
    try:
        return parse_policy(text, kind=kind)
    except InvalidPolicyDocument as problem:
        raise MalformedPolicyDocument(problem.message, explanation=problem.explanation) from None


def policy_size(document: str) -> int:
    """A policy's size as IAM counts it against its quotas: whitespace is free."""
    return sum(1 for character in document if not character.isspace())


def check_trust_policy(document: str) -> Policy:
    parsed = parse_document(document, "trust")
    if policy_size(document) > TRUST_POLICY_CHARS:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_CHARS}")
    return parsed


def kind_word(principal: Principal) -> str:
    """``user`` or ``role``, as IAM's messages name an identity."""
    return "role" if principal.kind == PrincipalType.ROLE else "user"


# ---------------------------------------------------------------- inline policies


def put_inline_policy(principal: Principal, name: str, document: str) -> IdentityPolicy:
    """Add or replace ``principal``'s inline policy ``name`` (PutUserPolicy, PutRolePolicy)."""
    parse_document(document, "identity")
    _check_inline_quota(principal, name, document)
    policy, _ = IdentityPolicy.objects.update_or_create(principal=principal, name=name, defaults={"document": document})
    principal.bump_policy_revision()
    return policy


def _check_inline_quota(principal: Principal, name: str, document: str) -> None:
    limit = ROLE_INLINE_POLICY_CHARS if principal.kind == PrincipalType.ROLE else USER_INLINE_POLICY_CHARS
    others = principal.inline_policies.exclude(name=name).values_list("document", flat=True)
    if policy_size(document) + sum(policy_size(text) for text in others) > limit:
        raise LimitExceeded(
            f"Maximum policy size of {limit} bytes exceeded for {kind_word(principal)} {principal.name}"
        )


def get_inline_policy(principal: Principal, name: str) -> IdentityPolicy:
    policy = principal.inline_policies.filter(name=name).first()
    if policy is None:
        raise NoSuchEntity(f"The {kind_word(principal)} policy with name {name} cannot be found.")
    return policy


def delete_inline_policy(principal: Principal, name: str) -> None:
    get_inline_policy(principal, name).delete()
    principal.bump_policy_revision()


def inline_policies(principal: Principal) -> QuerySet[IdentityPolicy]:
    return principal.inline_policies.order_by("name")


# ---------------------------------------------------------------- managed policies


def create_managed_policy(
    account: Account, name: str, document: str, *, now: datetime, path: str = "/", description: str = ""
) -> ManagedPolicy:
    """Create a customer managed policy (CreatePolicy); its only version is ``v1``."""
    parse_document(document, "identity")
    if policy_size(document) > MANAGED_POLICY_CHARS:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_CHARS}")
    duplicate = EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    if ManagedPolicy.objects.filter(account=account, name__iexact=name).exists():
        raise duplicate
    try:
        with transaction.atomic():
            return ManagedPolicy.objects.create(
                account=account,
                name=name,
                path=path,
                arn=ManagedPolicy.arn_for(account.account_id, path, name),
                policy_id=new_unique_id("ANPA"),
                document=document,
                description=description,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise duplicate from None


def managed_policy(account: Account, policy_arn: str, *, missing: str) -> ManagedPolicy:
    """The account's managed policy named by ``policy_arn``. ``missing`` is the message of
    the NoSuchEntity raised when there is none, which differs by operation."""
    _require_arn(policy_arn)
    policy = ManagedPolicy.objects.filter(account=account, arn=policy_arn).first()
    if policy is None:
        raise NoSuchEntity(missing.format(arn=policy_arn))
    return policy


NOT_ATTACHABLE = "Policy {arn} does not exist or is not attachable."
NOT_FOUND = "Policy {arn} was not found."


def _require_arn(value: str) -> None:
    if not value.startswith("arn:") or value.count(":") < 5:
        raise InvalidInput(f"ARN {value} is not valid.")


def delete_managed_policy(account: Account, policy_arn: str) -> None:
    policy = managed_policy(account, policy_arn, missing=NOT_FOUND)
    if policy.attachments.exists():
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    policy.delete()


def managed_policies(account: Account, *, path_prefix: str = "/") -> QuerySet[ManagedPolicy]:
    return ManagedPolicy.objects.filter(account=account, path__startswith=path_prefix).order_by("name")


def attach_policy(principal: Principal, policy_arn: str) -> None:
    """Attach a managed policy; attaching one that is already attached changes nothing."""
    policy = managed_policy(principal.account, policy_arn, missing=NOT_ATTACHABLE)
    if principal.policy_attachments.filter(policy=policy).exists():
        return
    if principal.policy_attachments.count() >= MANAGED_POLICIES_PER_IDENTITY:
        quota = "PoliciesPerRole" if principal.kind == PrincipalType.ROLE else "PoliciesPerUser"
        raise LimitExceeded(f"Cannot exceed quota for {quota}: {MANAGED_POLICIES_PER_IDENTITY}")
    PolicyAttachment.objects.get_or_create(principal=principal, policy=policy)
    principal.bump_policy_revision()


def detach_policy(principal: Principal, policy_arn: str) -> None:
    _require_arn(policy_arn)
    deleted, _ = principal.policy_attachments.filter(policy__arn=policy_arn).delete()
    if not deleted:
        raise NoSuchEntity(NOT_FOUND.format(arn=policy_arn))
    principal.bump_policy_revision()


def attached_policies(principal: Principal, *, path_prefix: str = "/") -> QuerySet[ManagedPolicy]:
    return ManagedPolicy.objects.filter(attachments__principal=principal, path__startswith=path_prefix).order_by("name")


def identity_policies_of(principal: Principal) -> list[NamedPolicy]:
    """Every identity policy that applies to ``principal``: its inline policies, then the
    managed policies attached to it. Authorization evaluates these."""
    inline = [NamedPolicy(f"inline policy {p.name}", p.document) for p in inline_policies(principal)]
    managed = [NamedPolicy(f"managed policy {p.arn}", p.document) for p in attached_policies(principal)]
    return inline + managed
