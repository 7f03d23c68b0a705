"""Building a lab's starting state in a fresh workspace, and starting or resetting an attempt.

The setup goes through the same code paths a learner's calls do: keys, aliases, rotation,
ciphertexts and key states through the KMS operations (as each account's admin), users,
roles and their policies through the IAM functions that the IAM operations use. Whatever
the setup creates is recorded in ``refs`` so that instructions and checks can name it.
Each provisioning is one transaction: a setup that fails leaves nothing behind.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kmsconsole import rootkey
from kmsconsole.audit.models import Event
from kmsconsole.engine.errors import AWSError
from kmsconsole.iam import identities
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import AccessKey, Principal, PrincipalType, Workspace
from kmsconsole.iam.provisioning import access_key_purpose, create_workspace
from kmsconsole.kms.operations import find

from .format import Lab, SetupKey, get_lab
from .models import LabAttempt

SETUP_USER_AGENT = "kmsconsole-labs-setup"
INLINE_POLICY_NAME = "lab"
# Placeholders in setup policy documents. Other ${...} (IAM policy variables such as
# ${aws:username}) are left alone.
_SETUP_PLACEHOLDER = re.compile(r"\$\{(account|admin|user|role|key|region)(?::([A-Za-z0-9_-]+))?\}")


class LabSetupError(Exception):
    """A lab's setup could not be built (an author's mistake, reported with where)."""


class FrozenWorkspace(Exception):
    """The attempt's workspace was frozen when its class closed: it may not be replaced."""


def _frozen(workspace: Workspace) -> bool:
    from kmsconsole.classroom.lifecycle import is_frozen  # classroom builds on labs

    return is_frozen(workspace)


class UnknownLab(LookupError):
    pass


@dataclass
class ProvisionedLab:
    workspace: Workspace
    refs: dict[str, Any]
    started_at: datetime
    event_floor: int


def provision(lab: Lab, *, owner: User | None = None) -> ProvisionedLab:
    """Create a workspace (accounts A and B) and build ``lab``'s setup in it. The clock
    offset is applied last, so the starting state looks that many days old."""
    with transaction.atomic():
        name = f"lab-{lab.slug[:40]}-{secrets.token_hex(4)}"
        provisioned = create_workspace(name, owner=owner)
        workspace = provisioned.workspace
        refs: dict[str, Any] = {
            "workspace": workspace.name,
            "region": workspace.region,
            "accounts": {
                item.account.label: {
                    "account_id": item.account.account_id,
                    "admin_arn": item.admin.arn,
                    "admin_access_key_id": item.admin_credentials.access_key_id,
                }
                for item in provisioned.accounts
            },
            "keys": {},
            "users": {},
            "roles": {},
            "ciphertexts": {},
        }
        _SetupBuilder(workspace, refs).build(lab)
        if lab.setup.clock_offset_days:
            move_clock(workspace, timedelta(days=lab.setup.clock_offset_days))
        floor = Event.objects.filter(workspace=workspace).aggregate(last=Max("id"))["last"] or 0
        return ProvisionedLab(workspace, refs, workspace.now(), floor)


class _SetupBuilder:
    def __init__(self, workspace: Workspace, refs: dict[str, Any]) -> None:
        self.workspace = workspace
        self.refs = refs

    def build(self, lab: Lab) -> None:
        setup = lab.setup
        for index, user in enumerate(setup.users):
            self._step(f"setup.users[{index}]", self._user, user.ref, user.account, user.name)
        for index, role in enumerate(setup.roles):
            self._step(f"setup.roles[{index}]", self._role, role.ref, role.account, role.name, role.trust)
        for index, key in enumerate(setup.keys):
            self._step(f"setup.keys[{index}]", self._key, key)
        identities_with_policies = [(u.ref, u.policy, "users") for u in setup.users] + [
            (r.ref, r.policy, "roles") for r in setup.roles
        ]
        for ref, policy, group in identities_with_policies:
            if policy is not None:
                self._step(f"setup.{group}.{ref}.policy", self._identity_policy, group, ref, policy)

    def _step(self, where: str, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except AWSError as error:
            raise LabSetupError(f"{where}: {error.code}: {error.message}") from error
        except LabSetupError as error:
            raise LabSetupError(f"{where}: {error}") from error

    # -- identities

    def _user(self, ref: str, account_label: str, name: str) -> None:
        account = self.workspace.accounts.get(label=account_label)
        user = identities.create_user(account, name, now=self.workspace.now())
        credentials = identities.create_access_key(user, now=self.workspace.now())
        self.refs["users"][ref] = {
            "arn": user.arn,
            "name": user.name,
            "account": account_label,
            "access_key_id": credentials.access_key_id,
        }

    def _role(self, ref: str, account_label: str, name: str, trust: dict[str, Any]) -> None:
        account = self.workspace.accounts.get(label=account_label)
        role = identities.create_role(account, name, self._document(trust), now=self.workspace.now())
        self.refs["roles"][ref] = {"arn": role.arn, "name": role.name, "account": account_label}

    def _identity_policy(self, group: str, ref: str, policy: dict[str, Any]) -> None:
        entry = self.refs[group][ref]
        kind = PrincipalType.USER if group == "users" else PrincipalType.ROLE
        principal = Principal.objects.get(
            account__workspace=self.workspace, account__label=entry["account"], kind=kind, name=entry["name"]
        )
        put_inline_policy(principal, INLINE_POLICY_NAME, self._document(policy))

    # -- keys

    def _key(self, spec: SetupKey) -> None:
        admin = self._admin_caller(spec.account)
        request: dict[str, Any] = {"KeySpec": spec.spec}
        if spec.usage:
            request["KeyUsage"] = spec.usage
        if spec.description:
            request["Description"] = spec.description
        if spec.policy is not None:
            request["Policy"] = self._document(spec.policy)
            request["BypassPolicyLockoutSafetyCheck"] = spec.bypass_policy_lockout_check
        if spec.tags:
            request["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in spec.tags.items()]
        metadata = _call("CreateKey", admin, request)["KeyMetadata"]
        key_id, arn = metadata["KeyId"], metadata["Arn"]
        self.refs["keys"][spec.ref] = {"key_id": key_id, "arn": arn, "alias": spec.alias, "account": spec.account}
        if spec.alias:
            _call("CreateAlias", admin, {"AliasName": spec.alias, "TargetKeyId": key_id})
        if spec.rotation_days is not None:
            _call("EnableKeyRotation", admin, {"KeyId": key_id, "RotationPeriodInDays": spec.rotation_days})
        for blob in spec.ciphertexts:
            encrypt: dict[str, Any] = {"KeyId": key_id, "Plaintext": blob.plaintext.encode()}
            if blob.context:
                encrypt["EncryptionContext"] = dict(blob.context)
            encrypted = _call("Encrypt", admin, encrypt)["CiphertextBlob"]
            self.refs["ciphertexts"][blob.ref] = {
                "blob": base64.b64encode(encrypted).decode(),
                "key": spec.ref,
                "context": dict(blob.context),
            }
        if spec.state == "Disabled":
            _call("DisableKey", admin, {"KeyId": key_id})
        elif spec.state == "PendingDeletion":
            _call("ScheduleKeyDeletion", admin, {"KeyId": key_id, "PendingWindowInDays": 7})

    def _admin_caller(self, account_label: str) -> Caller:
        admin = Principal.objects.select_related("account__workspace").get(
            account__workspace=self.workspace, account__label=account_label, kind=PrincipalType.USER, name="admin"
        )
        return Caller(principal=admin, region=self.workspace.region, user_agent=SETUP_USER_AGENT)

    def _document(self, document: dict[str, Any]) -> str:
        """A policy document as JSON, with the setup's ``${...}`` placeholders filled."""

        def fill(match: re.Match[str]) -> str:
            kind, argument = match[1], match[2] or ""
            if kind == "region":
                return self.workspace.region
            if kind == "account":
                return self._entry("accounts", argument)["account_id"]
            if kind == "admin":
                return self._entry("accounts", argument)["admin_arn"]
            group = {"user": "users", "role": "roles", "key": "keys"}[kind]
            return self._entry(group, argument)["arn"]

        return json.dumps(_substitute(document, lambda text: _SETUP_PLACEHOLDER.sub(fill, text)), indent=2)

    def _entry(self, group: str, ref: str) -> dict[str, Any]:
        entry = self.refs[group].get(ref)
        if entry is None:
            raise LabSetupError(f"a policy names {group[:-1]} {ref!r}, which the setup has not created (yet)")
        return entry


def _substitute(value: Any, fill: Any) -> Any:
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [_substitute(item, fill) for item in value]
    if isinstance(value, dict):
        return {fill(str(k)): _substitute(v, fill) for k, v in value.items()}
    return value


def _call(name: str, caller: Caller, request: dict[str, Any]) -> dict[str, Any]:
    operation = find("kms", name)
    assert operation is not None, name
    return operation(caller, request)


# ---------------------------------------------------------------- attempts


def require_lab(slug: str) -> Lab:
    lab = get_lab(slug)
    if lab is None:
        raise UnknownLab(f"There is no lab {slug!r}.")
    return lab


def start_lab(user: User, slug: str) -> LabAttempt:
    """Start ``slug`` for ``user`` in a fresh workspace they own. A learner has one attempt
    per lab: starting again (a double click) returns the attempt in progress; ``reset_lab``
    is what starts over. Two concurrent starts make one attempt: the loser's transaction,
    workspace included, rolls back on the unique constraint."""
    lab = require_lab(slug)
    existing = LabAttempt.objects.filter(user=user, lab_slug=slug).first()
    if existing is not None:
        # An attempt whose workspace was deleted elsewhere starts over like a reset.
        return existing if existing.workspace_id is not None else reset_lab(existing)
    try:
        with transaction.atomic():
            return LabAttempt.objects.create(user=user, lab_slug=slug, **_attempt_fields(provision(lab, owner=user)))
    except IntegrityError:
        return LabAttempt.objects.get(user=user, lab_slug=slug)


def reset_lab(attempt: LabAttempt) -> LabAttempt:
    """Restore the starting state: a new workspace built from the setup replaces the old
    one, which is deleted, and step results start again. Hints taken, quiz answers and a
    completion already earned stay."""
    lab = require_lab(attempt.lab_slug)
    if attempt.workspace is not None and _frozen(attempt.workspace):
        raise FrozenWorkspace("This lab's workspace belongs to a closed class; it is kept read-only until it expires.")
    with transaction.atomic():
        attempt = LabAttempt.objects.select_for_update().get(pk=attempt.pk)
        old_workspace = attempt.workspace
        provisioned = provision(lab, owner=attempt.user)
        for name, value in _attempt_fields(provisioned).items():
            setattr(attempt, name, value)
        attempt.resets += 1
        attempt.save()
        attempt.step_progress.all().delete()
        if old_workspace is not None:
            old_workspace.delete()
    return attempt


def _attempt_fields(provisioned: ProvisionedLab) -> dict[str, Any]:
    return {
        "workspace": provisioned.workspace,
        "refs": provisioned.refs,
        "started_at": provisioned.started_at,
        "started_real_at": timezone.now(),
        "event_floor": provisioned.event_floor,
        "checked_through_event": 0,
    }


# ---------------------------------------------------------------- what the learner is shown


@dataclass(frozen=True)
class LabIdentity:
    """A set of credentials the lab hands the learner."""

    label: str
    arn: str
    access_key_id: str
    secret_access_key: str


def secret_of(access_key_id: str) -> str:
    """The secret of one of the lab's access keys (stored wrapped), or "" if the learner
    deleted the key."""
    row = AccessKey.objects.filter(access_key_id=access_key_id).first()
    if row is None:
        return ""
    return rootkey.unseal(bytes(row.secret_wrapped), purpose=access_key_purpose(access_key_id)).decode()


def lab_identities(refs: dict[str, Any]) -> list[LabIdentity]:
    """The accounts' admins and the setup's users, with their credentials."""
    entries = [
        (f"Account {label} admin", entry["admin_arn"], entry["admin_access_key_id"])
        for label, entry in sorted(refs.get("accounts", {}).items())
    ]
    entries += [
        (f"User {entry['name']} (account {entry['account']})", entry["arn"], entry["access_key_id"])
        for entry in refs.get("users", {}).values()
    ]
    return [LabIdentity(label, arn, key_id, secret_of(key_id)) for label, arn, key_id in entries]


def placeholder_values(refs: dict[str, Any], endpoint: str) -> dict[str, str]:
    """The learner's value of every placeholder ``labs.format`` knows, keyed without braces."""
    values = {"endpoint": endpoint, "region": refs.get("region", ""), "workspace": refs.get("workspace", "")}
    for label, entry in refs.get("accounts", {}).items():
        values[f"account:{label}"] = entry["account_id"]
        values[f"admin:{label}:arn"] = entry["admin_arn"]
        values[f"admin:{label}:access_key_id"] = entry["admin_access_key_id"]
        values[f"admin:{label}:secret_access_key"] = secret_of(entry["admin_access_key_id"])
    for ref, entry in refs.get("keys", {}).items():
        values[f"key:{ref}"] = values[f"key:{ref}:id"] = entry["key_id"]
        values[f"key:{ref}:arn"] = entry["arn"]
        values[f"key:{ref}:alias"] = entry.get("alias") or entry["key_id"]
    for ref, entry in refs.get("users", {}).items():
        values[f"user:{ref}:arn"] = entry["arn"]
        values[f"user:{ref}:name"] = entry["name"]
        values[f"user:{ref}:access_key_id"] = entry["access_key_id"]
        values[f"user:{ref}:secret_access_key"] = secret_of(entry["access_key_id"])
    for ref, entry in refs.get("roles", {}).items():
        values[f"role:{ref}:arn"] = entry["arn"]
        values[f"role:{ref}:name"] = entry["name"]
    for ref, entry in refs.get("ciphertexts", {}).items():
        values[f"ciphertext:{ref}"] = entry["blob"]
    return values
