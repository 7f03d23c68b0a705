"""Turn an authorization trace into plain language for the event history and the simulator.

``kms.authz.decide`` (and the IAM and STS authorizers) store a trace with every decision:
a ``decision`` entry with the verdict, one entry per key-policy statement, identity-policy
statement, trust-policy statement and grant considered, and closing notes. AWS shows a
learner only the error message; this module says which policy allowed what, which side
was missing, and the first reason each statement did not apply.

The trace is data written by our own authorizers, but its text can quote a policy's Sid
or a principal the learner typed: templates must render every field escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Tone = Literal["ok", "warn", "danger", "muted"]

KEY_POLICY = "Key policy"
IDENTITY_POLICIES = "Identity policies"
GRANTS = "Grants"
TRUST_POLICY = "Trust policy"


@dataclass(frozen=True)
class TraceRow:
    """One statement or grant and how it related to the request."""

    source: str
    statement: str
    effect: str
    matched: bool
    reason: str


@dataclass(frozen=True)
class Side:
    """What one kind of policy said about the request: ``verdict`` reads after the side's
    name ("Key policy: delegates it to IAM"), ``clause`` stands alone in a sentence."""

    name: str
    verdict: str
    tone: Tone
    clause: str


@dataclass(frozen=True)
class Explanation:
    allowed: bool | None
    principal: str
    action: str
    resource: str
    summary: str
    aws_reason: str
    sides: tuple[Side, ...]
    notes: tuple[str, ...]
    rows: tuple[TraceRow, ...]

    @property
    def headline(self) -> str:
        if self.allowed is None:
            return "How the request was authorized"
        return "Why it was allowed" if self.allowed else "Why it was denied"


def explain(
    trace: Sequence[Mapping[str, Any]] | None,
    *,
    principal: str = "",
    action: str = "",
    error_code: str = "",
) -> Explanation | None:
    """Explain ``trace`` for a request by ``principal``; None when there is no trace.

    Traces of IAM and STS calls have no ``decision`` entry; their verdict then comes from
    ``error_code`` (an AccessDenied code means denied)."""
    if not trace:
        return None
    decision = next((entry for entry in trace if _is_verdict(entry)), None)
    notes = [str(entry.get("reason", "")) for entry in trace if _is_note(entry)]
    rows = tuple(_row(entry) for entry in trace if entry.get("source") != "decision")
    allowed = _verdict(decision, error_code)
    action = str(decision.get("action", "")) if decision else action
    resource = str(decision.get("resource", "")) if decision else ""
    sides = tuple(_sides(rows, principal))
    closing = notes[-1] if notes and allowed is False and _is_closing(notes[-1]) else ""
    summary = _capitalised(closing) or _summary(allowed, principal, action, sides)
    return Explanation(
        allowed=allowed,
        principal=principal,
        action=action,
        resource=resource,
        summary=summary,
        aws_reason=str(decision.get("reason", "")) if decision else "",
        sides=sides,
        notes=tuple(note for note in notes if note != closing and not _repeats(note, sides)),
        rows=rows,
    )


def _repeats(note: str, sides: tuple[Side, ...]) -> bool:
    """Whether a side already says what ``note`` says (the root user's note does)."""
    said = note.rstrip(".").lower()
    return any(side.verdict.lower() == said for side in sides)


def _is_verdict(entry: Mapping[str, Any]) -> bool:
    return entry.get("source") == "decision" and "allowed" in entry


def _is_note(entry: Mapping[str, Any]) -> bool:
    return entry.get("source") == "decision" and "allowed" not in entry


def _is_closing(note: str) -> bool:
    """``decide`` ends a denial with a sentence naming the missing side."""
    return note.startswith(("the key policy", "an identity", "no identity"))


def _verdict(decision: Mapping[str, Any] | None, error_code: str) -> bool | None:
    if decision is not None:
        return bool(decision["allowed"])
    if error_code:
        return not error_code.startswith("AccessDenied")
    return None


def _row(entry: Mapping[str, Any]) -> TraceRow:
    source = str(entry.get("source", ""))
    if source.startswith("grant "):
        statement = source.removeprefix("grant ")
        source = "grant"
    elif entry.get("sid"):
        statement = str(entry["sid"])
    elif entry.get("index") is not None:
        statement = f"Statement {entry['index']}"
    else:
        statement = ""
    return TraceRow(
        source=source,
        statement=statement,
        effect=str(entry.get("effect") or ""),
        matched=bool(entry.get("matched")),
        reason=str(entry.get("reason", "")),
    )


def side_of(row: TraceRow) -> str:
    if row.source in ("key policy", "new key policy"):
        return KEY_POLICY
    if row.source == "trust policy":
        return TRUST_POLICY
    if row.source in ("grant", "grants"):
        return GRANTS
    return IDENTITY_POLICIES


def _sides(rows: tuple[TraceRow, ...], principal: str) -> Iterable[Side]:
    by_side: dict[str, list[TraceRow]] = {}
    for row in rows:
        by_side.setdefault(side_of(row), []).append(row)
    for name in (TRUST_POLICY, KEY_POLICY, IDENTITY_POLICIES, GRANTS):
        if name in by_side:
            yield _side(name, by_side[name])
        elif name == IDENTITY_POLICIES and principal.endswith(":root"):
            verdict = "the account root user is allowed everything by IAM in its own account"
            yield Side(name, verdict, "ok", verdict)
        elif name == IDENTITY_POLICIES and (KEY_POLICY in by_side or TRUST_POLICY in by_side):
            yield Side(
                name,
                "none: the caller has no identity-based policies",
                "muted",
                "the caller has no identity-based policies",
            )


def _side(name: str, rows: list[TraceRow]) -> Side:
    plural = name == IDENTITY_POLICIES
    subject = "identity-based policies" if plural else name.lower()
    applying = [row for row in rows if row.matched]
    denying = [row for row in applying if row.effect == "Deny"]
    if name == GRANTS:
        verdict = f"grant {applying[0].statement} allows it" if applying else "no grant allows it"
        return Side(name, verdict, "ok" if applying else "muted", verdict)
    if denying:
        verdict = f"{'deny' if plural else 'denies'} it explicitly ({_names(denying)}), and an explicit deny wins"
        return Side(name, verdict, "danger", f"the {subject} {verdict}")
    allowing = [row for row in applying if row.effect == "Allow"]
    delegating = [row for row in allowing if "account principal" in row.reason]
    if allowing and len(delegating) == len(allowing):
        verdict = f"delegates it to IAM ({_names(delegating)} names the caller's account)"
        return Side(name, verdict, "warn", f"the {subject} {verdict}")
    if allowing:
        verdict = f"{'allow' if plural else 'allows'} it ({_names(allowing)})"
        return Side(name, verdict, "ok", f"the {subject} {verdict}")
    verdict = "do not allow it" if plural else "has no statement that allows it"
    return Side(name, verdict, "danger", f"the {subject} {verdict}")


def _names(rows: list[TraceRow]) -> str:
    labels = [f"{row.source} “{row.statement}”" if row.statement else row.source for row in rows]
    return ", ".join(labels)


def _summary(allowed: bool | None, principal: str, action: str, sides: tuple[Side, ...]) -> str:
    """A sentence for traces that carry no closing note: allowed calls, explicit denials,
    and IAM or STS decisions."""
    clauses = "; ".join(side.clause for side in sides)
    if allowed is None:
        return _capitalised(f"{clauses}.")
    verb = "may" if allowed else "may not"
    return _capitalised(f"{principal or 'the caller'} {verb} call {action}: {clauses}.")


def _capitalised(text: str) -> str:
    """Start a sentence with a capital, but never change an ARN."""
    return text if text.startswith("arn:") else text[:1].upper() + text[1:]
