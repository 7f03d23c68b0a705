"""A month of KMS use turned into the line items of a bill, with a what-if.

Pure Python: no Django imports. ``usage.workspace_usage`` reads a workspace's real use;
tests and the console's examples build ``Usage`` by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from .pricing import (
    AWS_MANAGED_KEY_PER_MONTH,
    CUSTOMER_KEY_PER_MONTH,
    DATA_KEY_OPERATIONS,
    MONTH_DAYS,
    OBJECTS_PER_BUCKET_KEY,
    RATES,
    REQUESTS_PER_PRICE,
    RequestFamily,
    WorkedExample,
)


@dataclass(frozen=True)
class RequestCount:
    """How many calls of ``operation`` (priced as ``family``) the window holds."""

    operation: str
    family: RequestFamily
    count: int


@dataclass(frozen=True)
class Usage:
    """Keys as they are now and the calls of a window of ``window_days`` days.

    ``customer_keys_by_spec`` counts billed customer managed keys (not those scheduled for
    deletion); ``multi_region_keys`` says how many of them are multi-Region primaries or
    replicas, each billed as a key.
    """

    customer_keys_by_spec: Mapping[str, int] = field(default_factory=dict)
    aws_managed_keys: int = 0
    keys_pending_deletion: int = 0
    multi_region_keys: int = 0
    requests: tuple[RequestCount, ...] = ()
    window_days: int = MONTH_DAYS

    @property
    def customer_keys(self) -> int:
        return sum(self.customer_keys_by_spec.values())

    @property
    def requests_per_month_factor(self) -> Decimal:
        return Decimal(MONTH_DAYS) / Decimal(self.window_days)


@dataclass(frozen=True)
class WhatIf:
    """Changes to try: ``volume_multiplier`` scales every call; ``data_key_reuse`` is how
    many messages share one data key (GenerateDataKey* and Decrypt calls fall by that
    factor); S3 PUTs to SSE-KMS buckets add one GenerateDataKey each, or one per
    10,000 objects with an S3 Bucket Key."""

    volume_multiplier: Decimal = Decimal(1)
    data_key_reuse: int = 1
    s3_puts_per_month: int = 0
    s3_bucket_key: bool = False

    def __post_init__(self) -> None:
        if self.volume_multiplier < 0:
            raise ValueError(f"The volume multiplier must not be negative, not {self.volume_multiplier}.")
        if self.data_key_reuse < 1:
            raise ValueError(f"Each data key serves at least 1 message, not {self.data_key_reuse}.")
        if self.s3_puts_per_month < 0:
            raise ValueError(f"S3 PUTs per month must not be negative, not {self.s3_puts_per_month}.")

    @property
    def changes_anything(self) -> bool:
        return self != NO_CHANGE


NO_CHANGE = WhatIf()


@dataclass(frozen=True)
class LineItem:
    """``quantity`` units at ``unit_price`` per ``per`` units (1 key-month, 10,000 requests)."""

    name: str
    detail: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    per: int = 1

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.unit_price / self.per


@dataclass(frozen=True)
class Estimate:
    line_items: tuple[LineItem, ...]

    @property
    def total(self) -> Decimal:
        return sum((item.cost for item in self.line_items), Decimal(0))

    def cost_of(self, name: str) -> Decimal:
        return sum((item.cost for item in self.line_items if item.name == name), Decimal(0))


CUSTOMER_KEYS = "Customer managed keys"
AWS_MANAGED_KEYS = "AWS managed keys"
S3_REQUESTS = "S3 SSE-KMS GenerateDataKey"


def estimate(usage: Usage, what_if: WhatIf = NO_CHANGE) -> Estimate:
    """The monthly bill of ``usage``: every key kept the whole month, and the window's
    calls projected to a month, changed as ``what_if`` says."""
    items = [_customer_keys(usage), _aws_managed_keys(usage), *_requests(usage, what_if)]
    if what_if.s3_puts_per_month:
        items.append(_s3_requests(what_if))
    return Estimate(tuple(item for item in items if item is not None))


def example_estimate(example: WorkedExample) -> Estimate:
    """One of the guide's worked examples, as a month of usage."""
    requests = (RequestCount(example.operation, RequestFamily.SYMMETRIC, example.requests_per_month),)
    usage = Usage(requests=requests if example.requests_per_month else ())
    return estimate(usage, WhatIf(s3_puts_per_month=example.s3_puts_per_month, s3_bucket_key=example.s3_bucket_key))


def _customer_keys(usage: Usage) -> LineItem:
    specs = ", ".join(f"{count:,} {spec}" for spec, count in sorted(usage.customer_keys_by_spec.items()))
    notes = [specs or "none"]
    if usage.multi_region_keys:
        notes.append(f"{usage.multi_region_keys:,} multi-Region (each replica is billed as a key)")
    if usage.keys_pending_deletion:
        notes.append(f"{usage.keys_pending_deletion:,} scheduled for deletion, not billed")
    return LineItem(CUSTOMER_KEYS, "; ".join(notes), Decimal(usage.customer_keys), "key-month", CUSTOMER_KEY_PER_MONTH)


def _aws_managed_keys(usage: Usage) -> LineItem | None:
    if not usage.aws_managed_keys:
        return None
    return LineItem(
        AWS_MANAGED_KEYS, "no storage charge; their requests are billed below", Decimal(usage.aws_managed_keys),
        "key-month", AWS_MANAGED_KEY_PER_MONTH,
    )  # fmt: skip


def _requests(usage: Usage, what_if: WhatIf) -> list[LineItem]:
    """One line per price family, naming the calls it counts, in ``RATES`` order."""
    by_family: dict[RequestFamily, dict[str, Decimal]] = {}
    for request in usage.requests:
        monthly = request.count * usage.requests_per_month_factor * what_if.volume_multiplier
        if request.operation in DATA_KEY_OPERATIONS:
            monthly /= what_if.data_key_reuse
        operations = by_family.setdefault(request.family, {})
        operations[request.operation] = operations.get(request.operation, Decimal(0)) + monthly
    items = []
    for family, rate in RATES.items():
        if not by_family.get(family):
            continue
        counted = by_family[family]
        detail = " · ".join(f"{name} {count_text(count)}" for name, count in sorted(counted.items()))
        quantity = sum(counted.values(), Decimal(0))
        items.append(LineItem(rate.label, detail, quantity, "requests", rate.per_10k, REQUESTS_PER_PRICE))
    return items


def _s3_requests(what_if: WhatIf) -> LineItem:
    puts = Decimal(what_if.s3_puts_per_month)
    if what_if.s3_bucket_key:
        detail = f"{count_text(puts)} PUTs with an S3 Bucket Key: one data key per {OBJECTS_PER_BUCKET_KEY:,} objects"
        puts /= OBJECTS_PER_BUCKET_KEY
    else:
        detail = f"{count_text(puts)} PUTs without an S3 Bucket Key: one data key per object"
    rate = RATES[RequestFamily.SYMMETRIC]
    return LineItem(S3_REQUESTS, detail, puts, "requests", rate.per_10k, REQUESTS_PER_PRICE)


def count_text(value: Decimal) -> str:
    """A number of calls or keys: whole numbers with thousands separators; a fraction
    (a what-if can make one) to two places."""
    return f"{value.quantize(Decimal(1)):,}" if value >= 1 or value == 0 else f"{value:.2f}"


def usd(amount: Decimal) -> str:
    """Dollars as the guide writes them: cents, or the first significant digits of a
    sub-cent amount ($0.003)."""
    if amount == 0:
        return "$0.00"
    if abs(amount) >= Decimal("0.01"):
        return f"${amount.quantize(Decimal('0.01')):,}"
    digits = f"{amount.quantize(Decimal('0.000001')):f}".rstrip("0")
    return "under $0.000001" if digits.endswith(".") else f"${digits}"
