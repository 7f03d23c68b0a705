"""Evaluating one policy against one request, with a trace a learner can read.

Pure Python: no Django imports.

A statement applies when its principal, action, resource and conditions all match. Each
part is checked and reported, and ``reason`` is the first part that did not match, in the
order principal, action, resource, conditions. A policy's result says whether any Allow
applied, whether any Deny applied (an explicit deny, which wins over every allow), and
keeps the per-statement trace.

This module judges one policy at a time. Combining the key policy, identity policies,
grants and the cross-account rules into one decision is ``kms.authz.decide``'s job; for it
the result tells an Allow that names the caller (``allows_directly``) from one that only
names the caller's account (delegation: the account's IAM policies must allow as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from .conditions import first_failure
from .context import RequestContext
from .document import Policy, Statement
from .matching import PatternSet, PrincipalMatch

Outcome = Literal["allow", "deny", "no-match"]

# Verdicts remembered across all policies, by policy and the request values it reads. A
# hot key sees few distinct callers and contexts, so a few thousand entries cover many
# keys; past that the memo starts over, which bounds its memory (each entry holds one
# result per statement).
MEMO_LIMIT = 4096
_verdicts: dict[tuple[Any, ...], tuple[Policy, PolicyResult]] = {}


@dataclass(frozen=True)
class StatementResult:
    """How one statement relates to one request.

    ``through_account`` is true when the principal matched only because the statement
    names the caller's account (``arn:aws:iam::<id>:root``) and the caller is not that
    account's root user.
    """

    statement: Statement
    principal_matched: bool
    action_matched: bool
    resource_matched: bool
    conditions_matched: bool
    reason: str
    through_account: bool = False
    source: str = ""

    @property
    def matched(self) -> bool:
        return self.principal_matched and self.action_matched and self.resource_matched and self.conditions_matched

    def as_trace(self) -> dict[str, Any]:
        """A plain, JSON-serialisable record of this result for audit events and pages."""
        return {
            "source": self.source,
            "index": self.statement.index,
            "sid": self.statement.sid,
            "effect": self.statement.effect,
            "matched": self.matched,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PolicyResult:
    """One policy's verdict on one request.

    ``allows``: at least one Allow statement applies. ``allows_directly``: at least one
    applies without relying on account delegation. ``explicit_deny``: at least one Deny
    statement applies. ``outcome`` is this policy's verdict taken alone.
    """

    source: str
    statements: tuple[StatementResult, ...]
    explicit_deny: bool
    allows: bool
    allows_directly: bool

    @property
    def outcome(self) -> Outcome:
        if self.explicit_deny:
            return "deny"
        return "allow" if self.allows else "no-match"

    @property
    def trace(self) -> list[dict[str, Any]]:
        """The per-statement records, fresh copies each time: a remembered result is
        shared by many requests, and each request's audit event owns its trace."""
        return [dict(record) for record in self._trace_records]

    @cached_property
    def _trace_records(self) -> tuple[dict[str, Any], ...]:
        return tuple(result.as_trace() for result in self.statements)


def evaluate_policy(policy: Policy, context: RequestContext, *, source: str) -> PolicyResult:
    """Evaluate every statement of ``policy`` against ``context``; ``source`` names the
    policy in the trace (``key policy``, ``identity policy AppAccess``...).

    A verdict depends on nothing but the policy, the caller, the action, the resource and
    the values of the condition keys the policy tests, so it is remembered under exactly
    those. A changed policy is a new ``Policy`` object, so it never meets a verdict of its
    old text; a policy testing ``aws:CurrentTime`` simply gets a new entry each second."""
    fingerprint = (
        id(policy),
        source,
        context.principal_arn,
        context.principal_account,
        context.principal_type,
        context.role_arn,
        context.action,
        context.resource,
        context.values_for(policy.condition_keys),
    )
    remembered = _verdicts.get(fingerprint)
    # Keying by id() is safe because the entry holds the policy itself: no other object
    # can take that id while the entry lives. The identity check guards that reasoning.
    if remembered is not None and remembered[0] is policy:
        return remembered[1]
    result = _evaluate_policy(policy, context, source)
    if len(_verdicts) >= MEMO_LIMIT:
        _verdicts.clear()
    _verdicts[fingerprint] = (policy, result)
    return result


def forget_verdicts() -> None:
    """Empty the memo: for tests that count entries, and to time evaluation from scratch."""
    _verdicts.clear()


def remembered_verdicts() -> int:
    """How many verdicts the memo holds."""
    return len(_verdicts)


def _evaluate_policy(policy: Policy, context: RequestContext, source: str) -> PolicyResult:
    results = tuple(evaluate_statement(statement, context, source=source) for statement in policy.statements)
    applying = [result for result in results if result.matched]
    allowing = [result for result in applying if result.statement.effect == "Allow"]
    return PolicyResult(
        source=source,
        statements=results,
        explicit_deny=any(result.statement.effect == "Deny" for result in applying),
        allows=bool(allowing),
        allows_directly=any(not result.through_account for result in allowing),
    )


def evaluate_statement(statement: Statement, context: RequestContext, *, source: str = "") -> StatementResult:
    """Check each element of ``statement`` against ``context`` and say which did not match."""
    principal_match, principal_failure = _principal(statement, context)
    action_failure = _elements(statement.actions, statement.not_action is not None, "Action", context.action)
    resource_failure = _elements(statement.resources, statement.not_resource is not None, "Resource", context.resource)
    condition_failure = first_failure(statement.conditions, context)
    failures = [f for f in (principal_failure, action_failure, resource_failure, condition_failure) if f]
    through_account = principal_match is PrincipalMatch.ACCOUNT
    return StatementResult(
        statement=statement,
        principal_matched=principal_failure is None,
        action_matched=action_failure is None,
        resource_matched=resource_failure is None,
        conditions_matched=condition_failure is None,
        reason=failures[0] if failures else _applies(statement, context, through_account),
        through_account=through_account,
        source=source,
    )


def _principal(statement: Statement, context: RequestContext) -> tuple[PrincipalMatch, str | None]:
    principals = statement.principals
    if principals is None:  # identity policy: it applies to the identity it is attached to
        return PrincipalMatch.CALLER, None
    if statement.not_principal is not None:
        if principals.excludes(context):
            return (
                PrincipalMatch.NONE,
                f"Principal {context.principal_arn} is excluded by NotPrincipal {principals.describe()}",
            )
        return PrincipalMatch.CALLER, None
    match = principals.match(context)
    if match is PrincipalMatch.NONE:
        return match, f"Principal {context.principal_arn} {_is_not(principals.describe(), len(principals.entries))}"
    return match, None


def _elements(patterns: PatternSet | None, negated: bool, element: str, value: str) -> str | None:
    if patterns is None:
        return f"Statement has no {element} or Not{element}, so it applies to no request"
    if negated:
        return (
            f"{element} {value} is excluded by Not{element} {patterns.describe()}" if patterns.matches(value) else None
        )
    return (
        None if patterns.matches(value) else f"{element} {value} {_is_not(patterns.describe(), len(patterns.patterns))}"
    )


def _is_not(described: str, count: int) -> str:
    return f"is not {described}" if count == 1 else f"is not in {described}"


def _applies(statement: Statement, context: RequestContext, through_account: bool) -> str:
    verb = "Allows" if statement.effect == "Allow" else "Denies"
    summary = f"{verb} {context.action} for {context.principal_arn}"
    if through_account and statement.effect == "Allow":
        return (
            f"{summary} through the account principal {context.root_arn}: "
            "the caller's own IAM policies must allow it too"
        )
    return summary
