"""The Condition element: IAM's condition operators, compiled once and evaluated per request.

Pure Python: no Django imports.

Semantics, from the IAM User Guide ("Condition operators", "Conditions with multiple
context keys or values", "Single-valued vs. multivalued context keys"):

- Several operators in one block, and several keys under one operator, are ANDed.
- Several values for one key are ORed: the request value must match at least one. For a
  *negated* operator (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike,
  NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike) they are NORed:
  the request value must match none of them.
- A key missing from the request makes a positive operator false and a negated operator
  true ("If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true").
- ``...IfExists``: a missing key makes the condition true; a present key is tested as
  without the suffix. Not allowed on Null.
- ``Null``: ``true`` holds when the key is missing, ``false`` when it is present.
- ``ForAllValues:``: every request value must satisfy the operator; true when the key is
  missing or empty ("also returns true if there are no context keys in the request").
- ``ForAnyValue:``: at least one request value must satisfy it; false when the key is
  missing or empty. ``IfExists`` does not rescue a missing key under either qualifier: it
  only ever sees one value at a time (observed behaviour documented by Cloud Copilot's
  IAM simulator; AWS's pages are silent). With a negated operator, "satisfy" means
  "matches none of the policy values".
- A plain (unqualified) operator on a multi-valued request key holds when any request
  value matches (positive) or no request value matches (negated). AWS advises against
  this combination and does not document it; this reading keeps "negated" the exact
  complement of "positive" for a present key.

Empty values (an empty tuple) count as missing. Policy values are validated when the
policy is parsed (numbers, dates, CIDRs, booleans, base64), so a typo is a
MalformedPolicyDocumentException rather than a condition that silently never matches.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .context import RequestContext
from .grammar import GrammarError
from .matching import arn_patterns, string_patterns

ValueTest = Callable[[str], bool]
"""Does one request value match at least one of the policy values (positive sense)?"""

SET_QUALIFIERS = ("ForAnyValue", "ForAllValues")
IF_EXISTS = "IfExists"
VENDOR_REQUIRED = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


@dataclass(frozen=True)
class OperatorFamily:
    """A positive operator: how to compile its policy values, and how to say it."""

    name: str
    relation: str
    compile: Callable[[tuple[str, ...]], ValueTest]


@dataclass(frozen=True)
class Condition:
    """One (operator, key, values) triple of a Condition block.

    ``operator`` and ``key`` are kept as written, for messages; ``lookup_key`` is the key
    folded to lower case, as condition key names are case-insensitive.
    """

    operator: str
    key: str
    values: tuple[str, ...]
    family: OperatorFamily | None = field(repr=False, compare=False)  # None for Null: it tests presence only
    negated: bool = field(repr=False, compare=False)
    qualifier: str | None = field(repr=False, compare=False)  # ForAnyValue, ForAllValues or None
    if_exists: bool = field(repr=False, compare=False)
    test: ValueTest = field(repr=False, compare=False)  # the compiled positive match; unused by Null

    @property
    def lookup_key(self) -> str:
        return self.key.lower()

    def failure(self, context: RequestContext) -> str | None:
        """None when the condition holds for the request, else why not, in plain words."""
        request = context.values_of(self.lookup_key)
        if self.family is None:
            return self._null_failure(request)
        if self._holds(request):
            return None
        return f"Condition {self.operator} {self.key} expected {self._expectation()}, request had {self._had(request)}"

    def _holds(self, request: tuple[str, ...] | None) -> bool:
        if self.qualifier == "ForAnyValue":
            return request is not None and any(self._value_holds(value) for value in request)
        if self.qualifier == "ForAllValues":
            return request is None or all(self._value_holds(value) for value in request)
        if request is None:
            return self.if_exists or self.negated
        if self.negated:
            return not any(self.test(value) for value in request)
        return any(self.test(value) for value in request)

    def _value_holds(self, value: str) -> bool:
        return self.test(value) != self.negated

    def _null_failure(self, request: tuple[str, ...] | None) -> str | None:
        missing = request is None
        if any((value.lower() == "true") == missing for value in self.values):
            return None
        wanted = "present" if missing else "absent"
        return f"Condition {self.operator} {self.key} expected the key to be {wanted}, request had {self._had(request)}"

    def _expectation(self) -> str:
        assert self.family is not None
        relation = self.family.relation
        if len(self.values) == 1:
            shown = repr(self.values[0])
            if self.negated:
                phrase = f"not {relation} {shown}" if relation else f"other than {shown}"
            else:
                phrase = f"{relation} {shown}".strip()
        else:
            listed = "[" + ", ".join(repr(value) for value in self.values) + "]"
            phrase = f"{relation} {'none' if self.negated else 'one'} of {listed}".strip()
        if self.qualifier == "ForAnyValue":
            return f"at least one value to be {phrase}"
        if self.qualifier == "ForAllValues":
            return f"every value to be {phrase}"
        return f"a value {phrase}" if self.negated else phrase

    def _had(self, request: tuple[str, ...] | None) -> str:
        if request is None:
            return f"no {self.key}"
        if len(request) == 1:
            return repr(request[0])
        return "[" + ", ".join(repr(value) for value in request) + "]"


def first_failure(conditions: tuple[Condition, ...], context: RequestContext) -> str | None:
    """The reason the first failing condition gives, or None when all hold (AND)."""
    for condition in conditions:
        reason = condition.failure(context)
        if reason is not None:
            return reason
    return None


def compile_conditions(block: object, *, where: str) -> tuple[Condition, ...]:
    """Compile a statement's Condition element (``{operator: {key: value(s)}}``)."""
    if not isinstance(block, dict):
        raise GrammarError(f"{where}: Condition must be an object of operators, not {type(block).__name__}")
    conditions = []
    for operator_name, keys in block.items():
        if not isinstance(keys, dict) or not keys:
            raise GrammarError(f"{where}: Condition operator {operator_name} must map condition keys to values")
        for key, raw_values in keys.items():
            conditions.append(_compile_one(operator_name, key, _policy_values(raw_values, where, key), where))
    return tuple(conditions)


def _compile_one(operator_name: str, key: str, values: tuple[str, ...], where: str) -> Condition:
    qualifier, _, base = operator_name.rpartition(":")
    if qualifier and qualifier not in SET_QUALIFIERS:
        raise GrammarError(f"{where}: {qualifier} is not a condition set operator (ForAnyValue or ForAllValues)")
    if_exists = base.endswith(IF_EXISTS) and base != IF_EXISTS
    base = base.removesuffix(IF_EXISTS) if if_exists else base
    if ":" not in key:
        raise GrammarError(f"{where}: condition key {key!r} needs a vendor prefix", iam_message=VENDOR_REQUIRED)
    if base == "Null":
        if if_exists or qualifier:
            raise GrammarError(f"{where}: Null takes neither IfExists nor a set operator")
        _require(values, _is_bool, where, operator_name, "true or false")
        return Condition(operator_name, key, values, None, False, None, False, test=_no_value_test)
    if base not in OPERATORS:
        raise GrammarError(f"{where}: {operator_name} is not a condition operator")
    family, negated = OPERATORS[base]
    try:
        test = family.compile(values)
    except ValueError as problem:
        raise GrammarError(f"{where}: {operator_name} {key}: {problem}") from None
    return Condition(operator_name, key, values, family, negated, qualifier or None, if_exists, test)


def _no_value_test(_: str) -> bool:
    return False


def _policy_values(raw: object, where: str, key: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str | bool | int | float) for item in items):
        raise GrammarError(f"{where}: condition key {key} needs a string, number or boolean, or a list of them")
    return tuple(("true" if item else "false") if isinstance(item, bool) else str(item) for item in items)


def _require(values: tuple[str, ...], valid: Callable[[str], bool], where: str, name: str, wanted: str) -> None:
    bad = [value for value in values if not valid(value)]
    if bad:
        raise GrammarError(f"{where}: {name} needs {wanted}, not {bad[0]!r}")


# Value parsers: policy values must parse (ValueError otherwise); request values that do
# not parse simply do not match.


def _is_bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def parse_number(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_EPOCH = re.compile(r"-?\d+(\.\d+)?")
_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")


def parse_date(value: str) -> float | None:
    """Seconds since the epoch, from epoch seconds or a W3C ISO 8601 date (naive = UTC)."""
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    if _YEAR_MONTH.fullmatch(text):
        text += "-01"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _parse_all(values: tuple[str, ...], parse: Callable[[str], Any], wanted: str) -> list[Any]:
    parsed = [parse(value) for value in values]
    for value, result in zip(values, parsed, strict=True):
        if result is None:
            raise ValueError(f"{value!r} is not {wanted}")
    return parsed


def _comparing(
    parse: Callable[[str], Any], compare: Callable[[Any, Any], bool], wanted: str
) -> Callable[[tuple[str, ...]], ValueTest]:
    def compile_values(values: tuple[str, ...]) -> ValueTest:
        limits = _parse_all(values, parse, wanted)

        def test(request_value: str) -> bool:
            parsed = parse(request_value)
            return parsed is not None and any(compare(parsed, limit) for limit in limits)

        return test

    return compile_values


def _string_equals(values: tuple[str, ...]) -> ValueTest:
    return frozenset(values).__contains__


def _string_equals_ignore_case(values: tuple[str, ...]) -> ValueTest:
    folded = frozenset(value.lower() for value in values)
    return lambda request_value: request_value.lower() in folded


def _string_like(values: tuple[str, ...]) -> ValueTest:
    return string_patterns(values).matches


def _arn_like(values: tuple[str, ...]) -> ValueTest:
    return arn_patterns(values).matches


def _bool(values: tuple[str, ...]) -> ValueTest:
    if not all(_is_bool(value) for value in values):
        raise ValueError("Bool needs true or false")
    folded = frozenset(value.lower() for value in values)
    return lambda request_value: request_value.lower() in folded


def _decode_base64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _binary_equals(values: tuple[str, ...]) -> ValueTest:
    expected = frozenset(_parse_all(values, _decode_base64, "base64"))
    return lambda request_value: _decode_base64(request_value) in expected


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def _ip_address(values: tuple[str, ...]) -> ValueTest:
    networks = _parse_all(values, _network, "an IP address or CIDR range")

    def test(request_value: str) -> bool:
        try:
            address = ipaddress.ip_address(request_value.strip())
        except ValueError:
            return False
        return any(address.version == network.version and address in network for network in networks)

    return test


def _families() -> Mapping[str, tuple[OperatorFamily, bool]]:
    number, date = "a number", "an ISO 8601 date or epoch seconds"
    positive = [
        OperatorFamily("StringEquals", "", _string_equals),
        OperatorFamily("StringEqualsIgnoreCase", "", _string_equals_ignore_case),
        OperatorFamily("StringLike", "like", _string_like),
        OperatorFamily("NumericEquals", "", _comparing(parse_number, operator.eq, number)),
        OperatorFamily("NumericLessThan", "less than", _comparing(parse_number, operator.lt, number)),
        OperatorFamily("NumericLessThanEquals", "at most", _comparing(parse_number, operator.le, number)),
        OperatorFamily("NumericGreaterThan", "more than", _comparing(parse_number, operator.gt, number)),
        OperatorFamily("NumericGreaterThanEquals", "at least", _comparing(parse_number, operator.ge, number)),
        OperatorFamily("DateEquals", "", _comparing(parse_date, operator.eq, date)),
        OperatorFamily("DateLessThan", "before", _comparing(parse_date, operator.lt, date)),
        OperatorFamily("DateLessThanEquals", "at or before", _comparing(parse_date, operator.le, date)),
        OperatorFamily("DateGreaterThan", "after", _comparing(parse_date, operator.gt, date)),
        OperatorFamily("DateGreaterThanEquals", "at or after", _comparing(parse_date, operator.ge, date)),
        OperatorFamily("Bool", "", _bool),
        OperatorFamily("BinaryEquals", "", _binary_equals),
        OperatorFamily("IpAddress", "in", _ip_address),
        OperatorFamily("ArnEquals", "", _arn_like),
        OperatorFamily("ArnLike", "like", _arn_like),
    ]
    by_name = {family.name: family for family in positive}
    table = {family.name: (family, False) for family in positive}
    negations = {
        "StringNotEquals": "StringEquals",
        "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
        "StringNotLike": "StringLike",
        "NumericNotEquals": "NumericEquals",
        "DateNotEquals": "DateEquals",
        "NotIpAddress": "IpAddress",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
    }
    table.update({negated: (by_name[base], True) for negated, base in negations.items()})
    return table


OPERATORS = _families()
