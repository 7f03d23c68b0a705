"""Parsing and validating policy documents into immutable, pre-compiled policies.

Pure Python: no Django imports.

Three kinds of document share one grammar (IAM JSON policy element reference) and differ
in what a statement must, may and must not contain:

=========  ============================  ==============================  ==========================
kind       Principal / NotPrincipal      Action / NotAction              Resource / NotResource
=========  ============================  ==============================  ==========================
key        required (one of the two)     optional: a statement without   optional, same
                                         one is accepted but inert
identity   forbidden                     required                        required
trust      Principal required,           required                        forbidden
           NotPrincipal forbidden
=========  ============================  ==============================  ==========================

(KMS key policies: "Statements lacking Action or Resource are accepted but inert",
kms-behaviour.md §6. IAM identity and trust rules and their messages are IAM's:
``Policy document should not specify a principal.``, ``Policy statement must contain
actions.``, ``Has prohibited field Resource``...)

Parsing is cached by (text, kind): policies are immutable values, and the same key policy
text is evaluated on every request to its key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

from kmsconsole.engine.errors import LimitExceededException

from .conditions import VENDOR_REQUIRED, Condition, compile_conditions
from .grammar import GrammarError, InvalidPolicyDocument, InvalidPrincipal, PolicyKind
from .matching import PatternSet, PrincipalSet, action_patterns, arn_patterns

MAX_KEY_POLICY_BYTES = 32 * 1024  # KMS quota "Key policy document size: 32 KB"
VERSIONS = ("2012-10-17", "2008-10-17")
TOP_LEVEL_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
EXCLUSIVE_PAIRS = (("Principal", "NotPrincipal"), ("Action", "NotAction"), ("Resource", "NotResource"))

_ACCOUNT_ID = re.compile(r"\d{12}")
_NAME = r"[\w+=,.@-]+"
_AWS_PRINCIPAL_ARN = re.compile(
    rf"arn:aws(?:-cn|-us-gov)?:(?:iam::\d{{12}}:(?:root|(?:user|role)(?:/{_NAME})*/{_NAME})"
    rf"|sts::\d{{12}}:(?:assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME}))"
)
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?")
_IAM_SID = re.compile(r"[0-9A-Za-z]*")


@dataclass(frozen=True)
class Statement:
    """One statement, normalised: element values are tuples (a single string becomes a
    one-item tuple), absent elements are None, principals are ``(type, value)`` pairs with
    account ids expanded to ``arn:aws:iam::<id>:root``. ``index`` counts from 1."""

    index: int
    sid: str | None
    effect: Literal["Allow", "Deny"]
    principal: tuple[tuple[str, str], ...] | None = None
    not_principal: tuple[tuple[str, str], ...] | None = None
    action: tuple[str, ...] | None = None
    not_action: tuple[str, ...] | None = None
    resource: tuple[str, ...] | None = None
    not_resource: tuple[str, ...] | None = None
    conditions: tuple[Condition, ...] = ()
    principals: PrincipalSet | None = field(default=None, repr=False, compare=False)
    actions: PatternSet | None = field(default=None, repr=False, compare=False)
    resources: PatternSet | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """How messages name the statement: ``Statement 2 (KeyAdmins)``."""
        return f"Statement {self.index}" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True)
class Policy:
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]

    def named_principal_arns(self) -> frozenset[str]:
        """Every AWS principal ARN the policy names (roots included), for the caller to
        check they exist: KMS refuses a policy naming a principal it cannot find with
        ``Policy contains a statement with one or more invalid principals.``"""
        named: set[str] = set()
        for statement in self.statements:
            for entries in (statement.principal, statement.not_principal):
                named.update(value for kind, value in entries or () if kind == "AWS" and value != "*")
        return frozenset(named)

    @cached_property
    def condition_keys(self) -> tuple[str, ...]:
        """Every condition key the policy tests (lower case, sorted): with the principal,
        action and resource, all that its verdict on a request depends on."""
        return tuple(
            sorted({condition.lookup_key for statement in self.statements for condition in statement.conditions})
        )

    def tests_condition_keys(self, prefixes: tuple[str, ...]) -> bool:
        """Whether any condition tests a key starting with one of ``prefixes`` (lower
        case), so an evaluator can skip gathering values no statement reads."""
        return any(key.startswith(prefixes) for key in self.condition_keys)


def parse_policy(text: str, *, kind: PolicyKind) -> Policy:
    """Validate a policy document and return it parsed, normalised and compiled.

    Raises ``InvalidPolicyDocument`` (a ``MalformedPolicyDocumentException`` with AWS's
    message for the kind, and an ``explanation`` for people) and, for a key policy over
    32 KB, ``LimitExceededException``.
    """
    return _parse_cached(text, kind)


@lru_cache(maxsize=1024)
def _parse_cached(text: str, kind: PolicyKind) -> Policy:
    if kind == "key" and len(text.encode("utf-8")) > MAX_KEY_POLICY_BYTES:
        raise LimitExceededException(f"The key policy exceeds the {MAX_KEY_POLICY_BYTES}-byte quota for key policies.")
    try:
        return _policy(_load_json(text), kind)
    except GrammarError as problem:
        raise InvalidPolicyDocument(problem.message_for(kind), explanation=problem.explanation) from None


def _load_json(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as problem:
        raise GrammarError(
            f"The policy is not valid JSON: {problem}", iam_message="This policy contains invalid Json"
        ) from None
    if isinstance(document, list):
        raise GrammarError("A policy is a JSON object, not a list", iam_message="This policy contains invalid Json")
    if not isinstance(document, dict):
        raise GrammarError("A policy is a JSON object", iam_message="This text appears not to be a policy")
    return document


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a policy")


def _policy(document: dict[str, Any], kind: PolicyKind) -> Policy:
    _reject_unknown(document, TOP_LEVEL_ELEMENTS, "The policy")
    version = _optional_string(document, "Version", "The policy")
    if version is not None and version not in VERSIONS:
        raise GrammarError(f"Version must be one of {', '.join(VERSIONS)}, not {version!r}")
    policy_id = _optional_string(document, "Id", "The policy")
    statements = tuple(_statement(raw, index, kind) for index, raw in enumerate(_raw_statements(document), start=1))
    if kind != "key":
        _require_unique_sids(statements)
    return Policy(kind, version, policy_id, statements)


def _raw_statements(document: dict[str, Any]) -> list[Any]:
    if "Statement" not in document:
        raise GrammarError("The policy has no Statement", iam_message="Missing required field Statement")
    raw = document["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        raise GrammarError("Statement is an empty list", iam_message="Could not parse the policy: Statement is empty!")
    return statements


def _statement(raw: object, index: int, kind: PolicyKind) -> Statement:
    where = f"Statement {index}"
    if not isinstance(raw, dict):
        raise GrammarError(f"{where} must be a JSON object")
    _reject_unknown(raw, STATEMENT_ELEMENTS, where)
    sid = _sid(raw, where, kind)
    where += f" ({sid})" if sid else ""
    effect = _effect(raw, where)
    for first, second in EXCLUSIVE_PAIRS:
        if first in raw and second in raw:
            raise GrammarError(f"{where} has both {first} and {second}; use one")
    _check_elements_for_kind(raw, where, kind)
    principal = _principals(raw["Principal"], where) if "Principal" in raw else None
    not_principal = _principals(raw["NotPrincipal"], where) if "NotPrincipal" in raw else None
    action = _actions(raw, "Action", where)
    not_action = _actions(raw, "NotAction", where)
    resource = _resources(raw, "Resource", where)
    not_resource = _resources(raw, "NotResource", where)
    principal_entries = principal or not_principal
    action_values = action or not_action
    # A trust policy's resource is the role it is attached to: every statement covers it.
    resource_values = ("*",) if kind == "trust" else resource or not_resource
    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        principal=principal,
        not_principal=not_principal,
        action=action,
        not_action=not_action,
        resource=resource,
        not_resource=not_resource,
        conditions=compile_conditions(raw["Condition"], where=where) if "Condition" in raw else (),
        principals=PrincipalSet(principal_entries) if principal_entries else None,
        actions=action_patterns(action_values) if action_values else None,
        resources=arn_patterns(resource_values) if resource_values else None,
    )


def _check_elements_for_kind(raw: dict[str, Any], where: str, kind: PolicyKind) -> None:
    has = raw.keys().__contains__
    if kind == "identity":
        if has("Principal") or has("NotPrincipal"):
            raise GrammarError(
                f"{where}: identity policies apply to the identity they are attached to and name no Principal",
                iam_message="Policy document should not specify a principal.",
            )
        if not has("Resource") and not has("NotResource"):
            raise GrammarError(f"{where} has no Resource", iam_message="Policy statement must contain resources.")
    if kind == "trust":
        for forbidden in ("NotPrincipal", "Resource", "NotResource"):
            if has(forbidden):
                raise GrammarError(
                    f"{where}: a trust policy has no {forbidden}", iam_message=f"Has prohibited field {forbidden}"
                )
        if not has("Principal"):
            raise GrammarError(
                f"{where} must name the Principal allowed to assume the role",
                iam_message="Missing required field Principal",
            )
    if kind == "key" and not has("Principal") and not has("NotPrincipal"):
        raise GrammarError(f"{where}: key policy statements must name a Principal (or NotPrincipal)")
    if kind != "key" and not has("Action") and not has("NotAction"):
        raise GrammarError(f"{where} has no Action", iam_message="Policy statement must contain actions.")


def _reject_unknown(element: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(element) - allowed)
    if unknown:
        raise GrammarError(f"{where} has unknown element {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def _optional_string(element: dict[str, Any], name: str, where: str) -> str | None:
    value = element.get(name)
    if value is not None and not isinstance(value, str):
        raise GrammarError(f"{where}: {name} must be a string")
    return value


def _sid(raw: dict[str, Any], where: str, kind: PolicyKind) -> str | None:
    sid = _optional_string(raw, "Sid", where)
    if sid is not None and kind != "key" and not _IAM_SID.fullmatch(sid):
        raise GrammarError(
            f"{where}: Sid {sid!r} may hold only letters and digits",
            iam_message="Statement IDs (SID) must be alpha-numeric. "
            "Check that your input satisfies the regular expression [0-9A-Za-z]*",
        )
    return sid


def _require_unique_sids(statements: tuple[Statement, ...]) -> None:
    sids = [statement.sid for statement in statements if statement.sid]
    duplicates = sorted({sid for sid in sids if sids.count(sid) > 1})
    if duplicates:
        raise GrammarError(
            f"Sid {duplicates[0]!r} names more than one statement",
            iam_message="Statement IDs (SID) in a single policy must be unique.",
        )


def _effect(raw: dict[str, Any], where: str) -> Literal["Allow", "Deny"]:
    if "Effect" not in raw:
        raise GrammarError(f"{where} has no Effect (Allow or Deny)", iam_message="Missing required field Effect")
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise GrammarError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    return "Allow" if effect == "Allow" else "Deny"


def _string_tuple(raw: object, name: str, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str) for item in items):
        raise GrammarError(f"{where}: {name} must be a string or a non-empty list of strings")
    return tuple(dict.fromkeys(items))


def _actions(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...] | None:
    if name not in raw:
        return None
    actions = _string_tuple(raw[name], name, where)
    for action in actions:
        if action == "*":
            continue
        colons = action.count(":")
        if colons == 0 or not action.split(":")[0]:
            raise GrammarError(
                f"{where}: action {action!r} needs a service prefix, as in kms:Decrypt", iam_message=VENDOR_REQUIRED
            )
        if colons > 1:
            raise GrammarError(
                f"{where}: action {action!r} has more than one colon",
                iam_message="Actions/Condition can contain only one colon.",
            )
    return actions


def _resources(raw: dict[str, Any], name: str, where: str) -> tuple[str, ...] | None:
    if name not in raw:
        return None
    resources = _string_tuple(raw[name], name, where)
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise GrammarError(
                f'{where}: {name} {resource!r} must be an ARN or "*"',
                iam_message=f'Resource {resource} must be in ARN format or "*".',
            )
    return resources


def _principals(raw: object, where: str) -> tuple[tuple[str, str], ...]:
    if raw == "*":
        return (("AWS", "*"),)
    if not isinstance(raw, dict) or not raw:
        raise InvalidPrincipal(
            f'{where}: Principal must be "*" or an object such as {{"AWS": "arn:aws:iam::111122223333:root"}}',
            principal_type="AWS",
            value=raw,
        )
    entries: list[tuple[str, str]] = []
    for principal_type, values in raw.items():
        items = values if isinstance(values, list) else [values]
        if not items:
            raise InvalidPrincipal(
                f"{where}: {principal_type} lists no principal", principal_type=principal_type, value=values
            )
        entries.extend((principal_type, _principal_value(principal_type, item, where)) for item in items)
    return tuple(dict.fromkeys(entries))


def _principal_value(principal_type: str, value: object, where: str) -> str:
    normalised = _normalised_principal(principal_type, value) if isinstance(value, str) else None
    if normalised is None:
        raise InvalidPrincipal(
            f'{where}: {principal_type} principal {value!r} is not valid; use "*", a 12-digit account id, '
            "or the ARN of an account root, user, role or role session (no wildcards), or a service name",
            principal_type=principal_type,
            value=value,
        )
    return normalised


def _normalised_principal(principal_type: str, value: str) -> str | None:
    if principal_type == "AWS":
        if _ACCOUNT_ID.fullmatch(value):
            return f"arn:aws:iam::{value}:root"
        return value if value == "*" or _AWS_PRINCIPAL_ARN.fullmatch(value) else None
    if principal_type == "Service":
        return value if _SERVICE_PRINCIPAL.fullmatch(value) else None
    if principal_type == "Federated":
        return value or None
    return None
