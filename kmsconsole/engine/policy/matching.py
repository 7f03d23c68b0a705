"""Matching the Principal, Action and Resource elements of a statement against a request.

Pure Python: no Django imports.

Wildcards are compiled to regular expressions once, when the policy is parsed, so that
evaluating a statement is a set lookup or one ``fullmatch``:

- ``*`` matches any run of characters (also none), ``?`` exactly one. Policy variables
  (``${aws:username}``) are not supported: they are matched literally.
- Actions compare case-insensitively (``kms:decrypt`` is ``kms:Decrypt``), as IAM does.
- Resources and ARN condition values compare case-sensitively and segment by segment:
  each of the six colon-separated parts of an ARN is matched on its own, so a ``*`` in
  the region never swallows the account (IAM user guide, ARN condition operators). The
  sixth part (the resource) may itself contain colons. A lone ``*`` matches everything.
- Principals take no wildcards except a lone ``*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum

from .context import RequestContext

ARN_SEGMENTS = 6


def wildcard_regex(pattern: str, *, any_character: str = ".") -> str:
    """The regex source for a pattern with ``*`` and ``?`` wildcards; ``any_character``
    is what a wildcard may consume (``[^:]`` inside an ARN segment)."""
    return "".join(
        f"{any_character}*" if char == "*" else any_character if char == "?" else re.escape(char) for char in pattern
    )


def arn_regex(pattern: str) -> str:
    """The regex source matching an ARN pattern segment by segment."""
    segments = pattern.split(":", ARN_SEGMENTS - 1)
    compiled = [wildcard_regex(segment, any_character="[^:]") for segment in segments[: ARN_SEGMENTS - 1]]
    if len(segments) == ARN_SEGMENTS:
        compiled.append(wildcard_regex(segments[-1]))
    return ":".join(compiled)


@dataclass(frozen=True)
class PatternSet:
    """A list of patterns compiled for matching: exact values in a set, wildcards in one
    alternation."""

    patterns: tuple[str, ...]
    exact: frozenset[str]
    wildcards: re.Pattern[str] | None
    matches_everything: bool
    ignore_case: bool

    def matches(self, value: str) -> bool:
        if self.matches_everything:
            return True
        folded = value.lower() if self.ignore_case else value
        if folded in self.exact:
            return True
        return self.wildcards is not None and self.wildcards.fullmatch(value) is not None

    def describe(self) -> str:
        """``kms:Encrypt`` for one pattern, ``[kms:Encrypt, kms:GenerateDataKey*]`` for several."""
        return self.patterns[0] if len(self.patterns) == 1 else f"[{', '.join(self.patterns)}]"


def action_patterns(patterns: Iterable[str]) -> PatternSet:
    return _compile(tuple(patterns), ignore_case=True, to_regex=wildcard_regex)


def arn_patterns(patterns: Iterable[str]) -> PatternSet:
    return _compile(tuple(patterns), ignore_case=False, to_regex=arn_regex)


def string_patterns(patterns: Iterable[str]) -> PatternSet:
    """StringLike values: ``*`` and ``?`` anywhere, ARN segments ignored."""
    return _compile(tuple(patterns), ignore_case=False, to_regex=wildcard_regex)


def _compile(patterns: tuple[str, ...], *, ignore_case: bool, to_regex: Callable[[str], str]) -> PatternSet:
    exact = frozenset(p.lower() if ignore_case else p for p in patterns if "*" not in p and "?" not in p)
    wild = [to_regex(p) for p in patterns if "*" in p or "?" in p]
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    regex = re.compile("|".join(f"(?:{source})" for source in wild), flags) if wild else None
    return PatternSet(patterns, exact, regex, "*" in patterns, ignore_case)


class PrincipalMatch(Enum):
    """How a statement's principal relates to the caller."""

    NONE = "none"
    CALLER = "caller"  # names the caller itself, its role, "*", or the account of a root caller
    ACCOUNT = "account"  # names only the caller's account (arn:aws:iam::<id>:root)


@dataclass(frozen=True)
class PrincipalSet:
    """A Principal or NotPrincipal element, normalised: ``entries`` are (type, value) pairs
    such as ``("AWS", "arn:aws:iam::111122223333:root")``; an account id is stored as its
    root ARN, ``"Principal": "*"`` as ``("AWS", "*")``."""

    entries: tuple[tuple[str, str], ...]

    @property
    def aws_arns(self) -> frozenset[str]:
        return frozenset(value for kind, value in self.entries if kind == "AWS" and value != "*")

    @property
    def names_everyone(self) -> bool:
        return ("AWS", "*") in self.entries

    def match(self, context: RequestContext) -> PrincipalMatch:
        """Whether this element names the caller: directly, or only through its account.

        A statement naming an account's root applies to every principal of that account;
        in a key policy that is delegation, so the caller's IAM policies must allow too
        (kms-behaviour.md §6). ``Service`` entries name AWS service principals.
        ``Federated`` entries are kept but match no KMS caller: federated identities reach
        KMS through an assumed role.
        """
        if self.names_everyone:
            return PrincipalMatch.CALLER
        if context.principal_type == "AWSService":
            return PrincipalMatch.CALLER if ("Service", context.principal_arn) in self.entries else PrincipalMatch.NONE
        arns = self.aws_arns
        if context.principal_arn in arns or (context.role_arn is not None and context.role_arn in arns):
            return PrincipalMatch.CALLER
        if context.root_arn in arns:
            return PrincipalMatch.CALLER if context.principal_type == "Root" else PrincipalMatch.ACCOUNT
        return PrincipalMatch.NONE

    def excludes(self, context: RequestContext) -> bool:
        """Whether a NotPrincipal element spares the caller.

        AWS checks every identity in the caller's chain (account, then role, then session)
        against NotPrincipal, so the caller is spared only when each of them is listed: the
        account's root ARN and the user, or the account and the role (or the session). This
        is why the IAM guide says to list the account ARN beside the user or role.
        """
        if self.names_everyone:
            return True
        if context.principal_type == "AWSService":
            return ("Service", context.principal_arn) in self.entries
        arns = self.aws_arns
        if context.root_arn not in arns:
            return False
        if context.principal_type == "Root":
            return True
        return context.principal_arn in arns or (context.role_arn is not None and context.role_arn in arns)

    def describe(self) -> str:
        values = [value for _, value in self.entries]
        return values[0] if len(values) == 1 else f"[{', '.join(values)}]"
