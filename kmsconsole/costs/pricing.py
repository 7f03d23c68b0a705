"""KMS prices as data, from the guide's "KMS Pricing: What You'll Actually Pay" (2025).

Pure Python: no Django imports.

The guide's facts: a customer managed key costs $1.00 a month, prorated hourly; AWS
managed keys have no storage charge (their requests are billed); Encrypt, Decrypt,
GenerateDataKey, GenerateDataKeyWithoutPlaintext and ReEncrypt cost $0.03 per 10,000
requests; asymmetric operations cost $0.10 to $0.15 per 10,000 "depending on key type and
operation"; DescribeKey, GetKeyPolicy, ListKeys and ListAliases are free; each
multi-Region replica is billed as a key. AWS's pricing page adds that keys scheduled for
deletion are not charged (https://aws.amazon.com/kms/pricing/).

Where the guide leaves a choice, this module makes it and says so in ``basis``:
asymmetric data key pairs at the low end of the guide's range, every other use of an
asymmetric key at the high end, and calls the guide does not name (key management,
HMAC, GenerateRandom...) at the symmetric rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

GUIDE = "the guide's pricing section (2025)"
CUSTOMER_KEY_PER_MONTH = Decimal("1.00")
AWS_MANAGED_KEY_PER_MONTH = Decimal("0.00")
# AWS prorates monthly charges by the hour over a 730-hour month.
HOURS_PER_MONTH = 730
REQUESTS_PER_PRICE = 10_000
# Request counts are projected to a month of 30 days.
MONTH_DAYS = 30
# The guide's S3 comparison: 10 million PUTs make about 1,000 GenerateDataKey calls with
# an S3 Bucket Key, one per 10,000 objects, instead of one per object.
OBJECTS_PER_BUCKET_KEY = 10_000


class RequestFamily(StrEnum):
    SYMMETRIC = "symmetric"
    ASYMMETRIC = "asymmetric"
    DATA_KEY_PAIR = "data-key-pair"
    OTHER = "other"
    FREE = "free"


@dataclass(frozen=True)
class RequestRate:
    family: RequestFamily
    label: str
    per_10k: Decimal
    operations: str
    basis: str


RATES: dict[RequestFamily, RequestRate] = {
    rate.family: rate
    for rate in (
        RequestRate(
            RequestFamily.SYMMETRIC, "Symmetric requests", Decimal("0.03"),
            "Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncrypt with a symmetric key",
            f"$0.03 per 10,000: {GUIDE}",
        ),
        RequestRate(
            RequestFamily.ASYMMETRIC, "Asymmetric requests", Decimal("0.15"),
            "Encrypt, Decrypt, ReEncrypt, Sign, Verify, DeriveSharedSecret with an RSA, ECC, ML-DSA or SM2 key",
            f"$0.15 per 10,000, the top of the guide's $0.10-$0.15 range: {GUIDE}",
        ),
        RequestRate(
            RequestFamily.DATA_KEY_PAIR, "Data key pairs", Decimal("0.10"),
            "GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext",
            f"$0.10 per 10,000, the bottom of the guide's $0.10-$0.15 range: {GUIDE}",
        ),
        RequestRate(
            RequestFamily.OTHER, "Other requests", Decimal("0.03"),
            "Key management, HMAC, GenerateRandom and every other KMS call",
            "the guide names no price for them; billed here at the symmetric rate, $0.03 per 10,000",
        ),
        RequestRate(
            RequestFamily.FREE, "Free requests", Decimal("0.00"),
            "DescribeKey, GetKeyPolicy, ListKeys, ListAliases",
            f"free: {GUIDE}",
        ),
    )
}  # fmt: skip

SYMMETRIC_OPERATIONS = frozenset(
    {"Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt"}
)
ASYMMETRIC_OPERATIONS = frozenset({"Encrypt", "Decrypt", "ReEncrypt", "Sign", "Verify", "DeriveSharedSecret"})
DATA_KEY_PAIR_OPERATIONS = frozenset({"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"})
FREE_OPERATIONS = frozenset({"DescribeKey", "GetKeyPolicy", "ListKeys", "ListAliases"})
# Calls whose number falls when applications reuse data keys (the Encryption SDK's
# caching materials manager): fewer data keys generated, fewer of them decrypted.
DATA_KEY_OPERATIONS = frozenset({"GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Decrypt"})


def is_asymmetric(key_spec: str | None) -> bool:
    """RSA, ECC, ML-DSA and SM2 keys; not symmetric encryption keys, not HMAC keys."""
    return bool(key_spec) and key_spec != "SYMMETRIC_DEFAULT" and not str(key_spec).startswith("HMAC_")


def request_family(operation: str, key_spec: str | None) -> RequestFamily:
    """The price family of one call of ``operation`` on a key of ``key_spec`` (None when
    the call names no key, or the key is gone)."""
    if operation in FREE_OPERATIONS:
        return RequestFamily.FREE
    if operation in DATA_KEY_PAIR_OPERATIONS:
        return RequestFamily.DATA_KEY_PAIR
    if operation in ASYMMETRIC_OPERATIONS and is_asymmetric(key_spec):
        return RequestFamily.ASYMMETRIC
    if operation in SYMMETRIC_OPERATIONS:
        return RequestFamily.SYMMETRIC
    return RequestFamily.OTHER


def request_cost(family: RequestFamily, requests: Decimal | int) -> Decimal:
    return Decimal(requests) * RATES[family].per_10k / REQUESTS_PER_PRICE


def key_storage_cost(key_hours: Decimal | int) -> Decimal:
    """The storage charge of customer managed keys kept ``key_hours`` hours in all
    (prorated hourly: a key kept 730 hours costs $1.00)."""
    return Decimal(key_hours) * CUSTOMER_KEY_PER_MONTH / HOURS_PER_MONTH


@dataclass(frozen=True)
class WorkedExample:
    """One of the guide's examples: a month of one operation, and the cost it states."""

    title: str
    operation: str
    requests_per_month: int
    monthly_cost: Decimal
    s3_puts_per_month: int = 0
    s3_bucket_key: bool = False


WORKED_EXAMPLES = (
    WorkedExample(
        "A Lambda function decrypting its configuration on each of 100,000 cold starts",
        "Decrypt", 100_000, Decimal("0.30"),
    ),
    WorkedExample(
        "An application decrypting on every one of 100 million requests", "Decrypt", 100_000_000, Decimal("300"),
    ),
    WorkedExample(
        "10 million S3 PUTs to an SSE-KMS bucket without S3 Bucket Keys", "GenerateDataKey", 0, Decimal("30"),
        s3_puts_per_month=10_000_000,
    ),
    WorkedExample(
        "The same 10 million PUTs with S3 Bucket Keys", "GenerateDataKey", 0, Decimal("0.003"),
        s3_puts_per_month=10_000_000, s3_bucket_key=True,
    ),
)  # fmt: skip
