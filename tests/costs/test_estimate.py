"""The estimator reproduces the guide's worked examples exactly and applies its prices.

Pure Python: no database.
"""

from decimal import Decimal

import pytest

from kmsconsole.costs.estimate import (
    CUSTOMER_KEYS,
    S3_REQUESTS,
    RequestCount,
    Usage,
    WhatIf,
    estimate,
    example_estimate,
    usd,
)
from kmsconsole.costs.pricing import WORKED_EXAMPLES, RequestFamily, key_storage_cost, request_family

SYMMETRIC = RequestFamily.SYMMETRIC


def decrypts(count, window_days=30):
    return Usage(requests=(RequestCount("Decrypt", SYMMETRIC, count),), window_days=window_days)


def test_100000_decrypts_a_month_cost_30_cents():
    assert estimate(decrypts(100_000)).total == Decimal("0.30")


def test_100_million_decrypts_a_month_cost_300_dollars():
    assert estimate(decrypts(100_000_000)).total == Decimal("300")


def test_10_million_s3_puts_cost_30_dollars_without_a_bucket_key_and_3_tenths_of_a_cent_with_one():
    without = estimate(Usage(), WhatIf(s3_puts_per_month=10_000_000))
    with_bucket_key = estimate(Usage(), WhatIf(s3_puts_per_month=10_000_000, s3_bucket_key=True))
    assert without.cost_of(S3_REQUESTS) == Decimal("30")
    assert with_bucket_key.cost_of(S3_REQUESTS) == Decimal("0.003")
    [line] = [item for item in with_bucket_key.line_items if item.name == S3_REQUESTS]
    assert line.quantity == 1_000


@pytest.mark.parametrize("example", WORKED_EXAMPLES, ids=lambda example: example.title)
def test_every_worked_example_of_the_guide_comes_out_as_the_guide_says(example):
    assert example_estimate(example).total == example.monthly_cost


def test_a_customer_managed_key_costs_a_dollar_a_month_and_an_aws_managed_key_nothing():
    usage = Usage(customer_keys_by_spec={"SYMMETRIC_DEFAULT": 2, "RSA_2048": 1}, aws_managed_keys=4)
    bill = estimate(usage)
    assert bill.cost_of(CUSTOMER_KEYS) == Decimal("3")
    assert bill.total == Decimal("3")
    assert "1 RSA_2048, 2 SYMMETRIC_DEFAULT" in bill.line_items[0].detail


def test_key_storage_is_prorated_by_the_hour():
    assert key_storage_cost(730) == Decimal("1")
    assert usd(key_storage_cost(24 * 10)) == "$0.33"


def test_replicas_and_keys_pending_deletion_are_named_on_the_key_line():
    usage = Usage(customer_keys_by_spec={"SYMMETRIC_DEFAULT": 3}, multi_region_keys=2, keys_pending_deletion=1)
    detail = estimate(usage).line_items[0].detail
    assert "2 multi-Region (each replica is billed as a key)" in detail
    assert "1 scheduled for deletion, not billed" in detail


def test_asymmetric_calls_and_data_key_pairs_have_their_own_rates():
    usage = Usage(
        requests=(
            RequestCount("Sign", RequestFamily.ASYMMETRIC, 10_000),
            RequestCount("GenerateDataKeyPair", RequestFamily.DATA_KEY_PAIR, 10_000),
            RequestCount("DescribeKey", RequestFamily.FREE, 10_000),
        )
    )
    bill = estimate(usage)
    assert bill.cost_of("Asymmetric requests") == Decimal("0.15")
    assert bill.cost_of("Data key pairs") == Decimal("0.10")
    assert bill.cost_of("Free requests") == 0
    assert bill.total == Decimal("0.25")


@pytest.mark.parametrize(
    ("operation", "key_spec", "family"),
    [
        ("Decrypt", "SYMMETRIC_DEFAULT", RequestFamily.SYMMETRIC),
        ("Decrypt", "RSA_3072", RequestFamily.ASYMMETRIC),
        ("Sign", "ECC_NIST_P256", RequestFamily.ASYMMETRIC),
        ("GenerateDataKeyPair", "SYMMETRIC_DEFAULT", RequestFamily.DATA_KEY_PAIR),
        ("GenerateMac", "HMAC_256", RequestFamily.OTHER),
        ("CreateKey", None, RequestFamily.OTHER),
        ("ListAliases", None, RequestFamily.FREE),
        ("Encrypt", None, RequestFamily.SYMMETRIC),
    ],
)
def test_each_call_is_priced_by_its_operation_and_key_spec(operation, key_spec, family):
    assert request_family(operation, key_spec) == family


def test_a_week_of_calls_is_projected_to_a_month_of_30_days():
    assert estimate(decrypts(70_000, window_days=7)).total == Decimal("0.90")


def test_the_volume_multiplier_scales_every_call():
    assert estimate(decrypts(100_000), WhatIf(volume_multiplier=Decimal("2.5"))).total == Decimal("0.75")


def test_reusing_data_keys_cuts_data_key_and_decrypt_calls_but_not_encrypt():
    usage = Usage(
        requests=(
            RequestCount("GenerateDataKey", SYMMETRIC, 100_000),
            RequestCount("Decrypt", SYMMETRIC, 100_000),
            RequestCount("Encrypt", SYMMETRIC, 100_000),
        )
    )
    bill = estimate(usage, WhatIf(data_key_reuse=10))
    [line] = bill.line_items[1:]
    assert line.detail == "Decrypt 10,000 · Encrypt 100,000 · GenerateDataKey 10,000"
    assert bill.total == Decimal("0.36")


@pytest.mark.parametrize(
    "what_if",
    [
        {"volume_multiplier": Decimal(-1)},
        {"data_key_reuse": 0},
        {"s3_puts_per_month": -5},
    ],
)
def test_a_what_if_refuses_impossible_values(what_if):
    with pytest.raises(ValueError):
        WhatIf(**what_if)


@pytest.mark.parametrize(
    ("amount", "text"),
    [("0", "$0.00"), ("0.3", "$0.30"), ("300", "$300.00"), ("0.003", "$0.003"), ("1234.5", "$1,234.50")],
)
def test_dollars_are_written_as_the_guide_writes_them(amount, text):
    assert usd(Decimal(amount)) == text
