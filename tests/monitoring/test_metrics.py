"""Per-minute metrics derived from the audit trail of calls made through boto3."""

from datetime import timedelta

import pytest

from kmsconsole.iam.clock import move_clock
from kmsconsole.monitoring import metrics
from kmsconsole.monitoring.metrics import DENIALS, ERRORS, Dimension, MetricFilter


@pytest.fixture
def ws(workspace):
    """The workspace with its clock at the start of a minute (plus one second)."""
    ws = workspace.workspace
    now = ws.now()
    move_clock(ws, metrics.period_start(now, 60) + timedelta(seconds=61) - now)
    return ws


@pytest.fixture
def traffic(kms, kms_b, ws):
    """Three Encrypts, two Decrypts, a DescribeKey and two denied calls, all in one minute."""
    key = kms.create_key()["KeyMetadata"]
    blobs = [kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"] for _ in range(3)]
    for blob in blobs[:2]:
        kms.decrypt(CiphertextBlob=blob)
    kms.describe_key(KeyId=key["KeyId"])
    for _ in range(2):
        with pytest.raises(kms_b.exceptions.ClientError):
            kms_b.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    return key


def window(ws):
    return ws.now() - timedelta(minutes=5), ws.now() + timedelta(minutes=1)


def test_it_counts_calls_per_operation_per_minute(ws, traffic):
    rows = metrics.counts_by(ws.pk, Dimension.OPERATION, *window(ws))
    minute = metrics.period_start(ws.now(), 60)
    assert {(r.minute, r.value, r.count) for r in rows} == {
        (minute, "CreateKey", 1), (minute, "Encrypt", 5), (minute, "Decrypt", 2), (minute, "DescribeKey", 1),
    }  # fmt: skip


def test_it_counts_calls_per_key_and_per_principal(ws, traffic, alice, bob):
    by_key = dict(metrics.totals_by(ws.pk, Dimension.KEY, *window(ws)))
    assert by_key[traffic["Arn"]] == 9
    by_principal = dict(metrics.totals_by(ws.pk, Dimension.PRINCIPAL, *window(ws)))
    assert (by_principal[alice.arn], by_principal[bob.arn]) == (7, 2)


def test_errors_and_denials_have_their_own_counts(ws, traffic):
    start, end = window(ws)
    assert sum(metrics.minute_counts(ws.pk, ERRORS, start, end).values()) == 2
    assert sum(metrics.minute_counts(ws.pk, DENIALS, start, end).values()) == 2
    assert metrics.totals_by(ws.pk, Dimension.ERROR_CODE, start, end, metric=ERRORS) == [("AccessDeniedException", 2)]


def test_periods_add_up_the_minutes_and_skip_empty_ones(ws, traffic):
    start, end = window(ws)
    decrypts = MetricFilter(event_name="Decrypt")
    sums = metrics.period_sums(ws.pk, decrypts, start, end, 300)
    assert sums == {metrics.period_start(ws.now(), 300): 2.0}
