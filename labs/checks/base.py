"""What a check is and what it may read.

A check is a small function registered by name (``@check("data_key_generated")``) that
looks at a learner's workspace (its keys, policies and audit trail) and says whether a
step is done, and if not, why, in words a learner understands. Checks only read: they
never change state, and the operations they may call through ``ctx.caller()`` are
recorded with a user agent of their own that ``ctx.events()`` leaves out.
"""

from __future__ import annotations

import base64
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from kmsconsole.audit import recorder
from kmsconsole.audit.models import Event
from kmsconsole.engine.policy import Policy, parse_policy
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKey, Account, Principal, PrincipalType, Workspace
from kmsconsole.kms import authz
from kmsconsole.kms.models import Key

CHECK_USER_AGENT = "kmsconsole-labs-check"


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    reason: str


def passed(reason: str) -> CheckResult:
    return CheckResult(True, reason)


def not_yet(reason: str) -> CheckResult:
    return CheckResult(False, reason)


CheckFunction = Callable[..., CheckResult]


@dataclass(frozen=True)
class RegisteredCheck:
    name: str
    function: CheckFunction

    def params_problem(self, params: Mapping[str, Any]) -> str:
        """Why ``params`` do not fit the function's signature, or "" if they do."""
        try:
            inspect.signature(self.function).bind(None, **params)
        except TypeError as problem:
            return str(problem)
        return ""

    def __call__(self, ctx: CheckContext, params: Mapping[str, Any]) -> CheckResult:
        return self.function(ctx, **params)


REGISTRY: dict[str, RegisteredCheck] = {}


def check(name: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under a globally unique ``name``."""

    def register(function: CheckFunction) -> CheckFunction:
        existing = REGISTRY.get(name)
        if existing is not None and _origin(existing.function) != _origin(function):
            raise ValueError(f"Check {name!r} is defined twice: {_origin(existing.function)} and {_origin(function)}")
        REGISTRY[name] = RegisteredCheck(name, function)
        return function

    return register


def _origin(function: CheckFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def get_check(name: str) -> RegisteredCheck | None:
    return REGISTRY.get(name)


class LabRefError(LookupError):
    """A check or solution named a ref the lab's setup does not define."""


_EVENT_FILTERS = frozenset(
    {
        "event_name", "key_arn", "principal_arn", "principal_arn__contains", "error_code",
        "succeeded", "read_only", "event_source", "by", "after",
    }
)  # fmt: skip


class CheckContext:
    """A learner's workspace as a check sees it.

    ``refs`` is what provisioning recorded (``labs.provisioning``); ``started_at`` and
    ``event_floor`` mark the start (or last reset) of the lab, so only the learner's own
    work counts; ``submissions`` holds what the learner pasted into steps' text boxes.
    """

    def __init__(
        self,
        workspace: Workspace,
        refs: Mapping[str, Any],
        *,
        started_at: datetime,
        event_floor: int = 0,
        submissions: Mapping[str, str] | None = None,
    ) -> None:
        self.workspace = workspace
        self.refs = refs
        self.started_at = started_at
        self.event_floor = event_floor
        self.submissions = dict(submissions or {})

    # -- time and accounts

    @property
    def now(self) -> datetime:
        """The workspace clock, re-read (a solution or a sweep may have moved it)."""
        self.workspace.refresh_from_db(fields=["clock_offset"])
        return self.workspace.now()

    def account(self, label: str = "A") -> Account:
        return self.workspace.accounts.get(label=label)

    def account_id(self, label: str = "A") -> str:
        return str(self._ref("accounts", label)["account_id"])

    # -- setup refs

    def key_arn(self, ref: str) -> str:
        return str(self._ref("keys", ref)["arn"])

    def key_id(self, ref: str) -> str:
        return str(self._ref("keys", ref)["key_id"])

    def alias(self, ref: str) -> str:
        return str(self._ref("keys", ref).get("alias") or "")

    def key(self, ref: str) -> Key | None:
        """The setup key ``ref``, or None once it has been deleted."""
        return Key.objects.select_related("account").filter(arn=self.key_arn(ref)).first()

    def key_refs_of(self, ref: str) -> set[str]:
        """Every way a request can name key ``ref``: id, ARN, alias and alias ARN."""
        entry = self._ref("keys", ref)
        names = {entry["key_id"], entry["arn"]}
        if entry.get("alias"):
            names.add(entry["alias"])
            names.add(entry["arn"].split(":key/")[0] + ":" + entry["alias"])
        return names

    def key_policy(self, ref: str) -> Policy | None:
        key = self.key(ref)
        return None if key is None else parse_policy(key.policy, kind="key")

    def key_policy_document(self, ref: str) -> dict[str, Any]:
        key = self.key(ref)
        return {} if key is None else json.loads(key.policy)

    def user_arn(self, ref: str) -> str:
        return str(self._ref("users", ref)["arn"])

    def role_arn(self, ref: str) -> str:
        return str(self._ref("roles", ref)["arn"])

    def principal(self, who: str, account: str = "A") -> Principal:
        """The principal a check talks about: ``"admin"``, ``"root"`` (of ``account``), or a
        setup user or role ref (which carries its own account)."""
        if who in ("admin", "root"):
            kind = PrincipalType.USER if who == "admin" else PrincipalType.ROOT
            return Principal.objects.select_related("account").get(
                account__workspace=self.workspace, account__label=account, kind=kind, name=who
            )
        for group in ("users", "roles"):
            entry = self.refs.get(group, {}).get(who)
            if entry is not None:
                kind = PrincipalType.USER if group == "users" else PrincipalType.ROLE
                return Principal.objects.select_related("account").get(
                    account__workspace=self.workspace, account__label=entry["account"], kind=kind, name=entry["name"]
                )
        raise LabRefError(f"The lab setup has no user or role with ref {who!r}.")

    def principal_arn(self, who: str, account: str = "A") -> str:
        return self.principal(who, account).arn

    def ciphertext(self, ref: str) -> bytes:
        return base64.b64decode(self._ref("ciphertexts", ref)["blob"])

    def ciphertext_context(self, ref: str) -> dict[str, str]:
        return dict(self._ref("ciphertexts", ref).get("context") or {})

    def ciphertext_key_ref(self, ref: str) -> str:
        return str(self._ref("ciphertexts", ref)["key"])

    def submission(self, step_id: str) -> str:
        """What the learner pasted into step ``step_id``'s text box ("" if nothing)."""
        return self.submissions.get(step_id, "")

    def _ref(self, group: str, ref: str) -> Mapping[str, Any]:
        entry = self.refs.get(group, {}).get(ref)
        if entry is None:
            raise LabRefError(f"The lab setup has no {group[:-1]} with ref {ref!r}.")
        return entry

    # -- the audit trail

    def events(self, **filters: Any) -> QuerySet[Event]:
        """The workspace's audit events since the start, newest first.

        Filters: ``event_name`` (a name or a list), ``key_arn``, ``principal_arn``,
        ``principal_arn__contains``, ``error_code``, ``succeeded`` (bool), ``read_only``,
        ``event_source``, ``by`` (a principal as ``principal()`` takes it; a role matches
        its sessions; ``"admin:B"`` for account B's admin) and ``after`` (an Event: only
        later ones)."""
        unknown = set(filters) - _EVENT_FILTERS
        if unknown:
            raise TypeError(f"Unknown event filters: {', '.join(sorted(unknown))}")
        rows = Event.objects.filter(workspace=self.workspace, pk__gt=self.event_floor)
        rows = rows.exclude(record__userAgent=CHECK_USER_AGENT)
        for name, value in filters.items():
            rows = rows.filter(self._event_condition(name, value))
        return rows.order_by("-event_time", "-id")

    def _event_condition(self, name: str, value: Any) -> Q:
        if name == "event_name":
            return Q(event_name__in=list(value)) if isinstance(value, list | tuple) else Q(event_name=value)
        if name == "succeeded":
            return Q(error_code="") if value else ~Q(error_code="")
        if name == "after":
            return Q(pk__gt=value.pk)
        if name == "by":
            who, _, account = str(value).partition(":")
            principal = self.principal(who, account or "A")
            if principal.kind == PrincipalType.ROLE:
                return Q(principal_arn__contains=f":{principal.account.account_id}:assumed-role/{principal.name}/")
            return Q(principal_arn=principal.arn)
        return Q(**{name: value})

    # -- asking the authorizer and the operations

    def caller(self, account: str = "A", principal: str = "admin") -> Caller:
        """A caller to run operations as; prefer reading models, since each call is audited
        (under a user agent that ``events()`` leaves out)."""
        who = self.principal(principal, account)
        session = None
        if who.kind == PrincipalType.ROLE:
            session = AccessKey(
                principal=who, session_name="lab-check", session_token_hash="lab-check", created_at=self.now
            )
        return Caller(principal=who, region=self.workspace.region, user_agent=CHECK_USER_AGENT, session=session)

    def decide(
        self,
        action: str,
        key: str,
        *,
        principal: str = "admin",
        account: str = "A",
        encryption_context: Mapping[str, str] | None = None,
    ) -> authz.Decision:
        """Would ``principal`` be allowed ``action`` (``kms:Decrypt``) on setup key ``key``
        right now? The real authorizer answers, with its trace; nothing is recorded."""
        key_row = self.key(key)
        if key_row is None:
            raise LabRefError(f"Key {key!r} no longer exists.")
        request: dict[str, Any] = {}
        if encryption_context is not None:
            request["EncryptionContext"] = dict(encryption_context)
        with recorder.drafting(request):
            return authz.decide(self.caller(account, principal), action, key_row)


def allowing_statements(decision: authz.Decision) -> list[str]:
    """The statements that allowed a decision, as learners see them named:
    ``key policy statement 2 (EveryoneCanUseIt)``."""
    return [_statement_label(entry) for entry in decision.trace if entry.get("matched") and entry["effect"] == "Allow"]


def allowed_by(statements: list[str]) -> str:
    """``statement 2 (X) allows it`` / ``statement 2 (X) and statement 3 allow it``."""
    if not statements:
        return "a grant allows it"
    if len(statements) == 1:
        return f"{statements[0]} allows it"
    return f"{', '.join(statements[:-1])} and {statements[-1]} allow it"


def denying_statements(decision: authz.Decision) -> list[str]:
    return [_statement_label(entry) for entry in decision.trace if entry.get("matched") and entry["effect"] == "Deny"]


def _statement_label(entry: Mapping[str, Any]) -> str:
    sid = f" ({entry['sid']})" if entry.get("sid") else ""
    return f"{entry['source']} statement {entry['index']}{sid}"


def describe_event(event: Event) -> str:
    """``Decrypt at 14:02:11 by arn:aws:iam::111122223333:user/app`` (workspace time)."""
    who = event.principal_arn or "AWS Internal"
    outcome = f" (failed: {event.error_code})" if event.error_code else ""
    return f"{event.event_name} at {event.event_time:%H:%M:%S} by {who}{outcome}"


def request_parameters(event: Event) -> dict[str, Any]:
    """The event's logged request (CloudTrail's ``requestParameters``), never None."""
    return dict(event.record.get("requestParameters") or {})
