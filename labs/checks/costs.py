"""Checks for the mistakes-and-costs lab: per-record KMS calls against one data key per
batch, counted in the audit trail and priced with the guide's figures
(``kmsconsole.costs.pricing``).

A learner may run a script more than once, and a wrong version before a right one. The
checks therefore judge the *latest run*: the newest call of its kind and the calls just
before it, each less than ``RUN_GAP`` after the previous one. A script's loop makes its
calls milliseconds apart; a person starting the next run takes longer than that.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from kmsconsole.audit.models import Event
from kmsconsole.costs.estimate import usd
from kmsconsole.costs.pricing import RequestFamily, request_cost

from .base import CheckContext, CheckResult, check, not_yet, passed

RUN_GAP = timedelta(seconds=5)
# The guide's high-throughput example: 100 million requests a month.
MONTHLY_EVENTS = 100_000_000


@check("per_record_encrypt_measured")
def per_record_encrypt_measured(ctx: CheckContext, key: str, records: int) -> CheckResult:
    count = ctx.events(event_name="Encrypt", key_arn=ctx.key_arn(key), succeeded=True).count()
    if count < records:
        return not_yet(f"{count} Encrypt calls on {ctx.alias(key)} so far; run the script for all {records} events.")
    return passed(
        f"{count} Encrypt calls for {records} events cost {_symmetric(count)}. At {MONTHLY_EVENTS:,} events a month, "
        f"one call per event costs {_symmetric(MONTHLY_EVENTS)} a month."
    )


@check("batch_encrypted_with_one_data_key")
def batch_encrypted_with_one_data_key(ctx: CheckContext, key: str, records: int) -> CheckResult:
    run = _latest_run(ctx, "GenerateDataKey", key)
    if not run:
        return not_yet(f"No GenerateDataKey call on {ctx.alias(key)} yet. Run the batch script.")
    if len(run) > 1:
        return not_yet(
            f"Your last run made {len(run)} GenerateDataKey calls in a row: a data key per event. That costs "
            f"{_symmetric(len(run))}, exactly what {len(run)} Encrypt calls cost, so nothing was saved. Call "
            "generate_data_key once, before the loop, and encrypt every event with that one key."
        )
    calls_per_month = MONTHLY_EVENTS // records
    return passed(
        f"One GenerateDataKey call for a batch of {records} events. At {MONTHLY_EVENTS:,} events a month in batches "
        f"of {records}, that is {calls_per_month:,} calls, {_symmetric(calls_per_month)} a month instead of "
        f"{_symmetric(MONTHLY_EVENTS)}."
    )


@check("batch_decrypted_with_one_call")
def batch_decrypted_with_one_call(ctx: CheckContext, key: str, records: int) -> CheckResult:
    data_key_runs = _latest_run(ctx, "GenerateDataKey", key)
    if not data_key_runs:
        return not_yet("Encrypt the batch with one data key first (previous step).")
    run = _latest_run(ctx, "Decrypt", key, after=data_key_runs[-1])
    if not run:
        return not_yet("Decrypt the batch's encrypted data key once, then the events locally.")
    if len(run) > 1:
        return not_yet(
            f"Your last run made {len(run)} Decrypt calls in a row. Reading a batch needs one: decrypt the encrypted "
            "data key stored with the batch, then every event locally with AES-GCM."
        )
    return passed(
        f"One Decrypt call read back {records} events: {_symmetric(1)} instead of {_symmetric(records)} for the "
        "per-record blobs."
    )


def _latest_run(ctx: CheckContext, event_name: str, key: str, after: Event | None = None) -> list[Event]:
    """The newest successful ``event_name`` call on ``key`` and the calls of the same run
    before it, oldest first."""
    filters = {"after": after} if after is not None else {}
    newest_first = ctx.events(event_name=event_name, key_arn=ctx.key_arn(key), succeeded=True, **filters)
    run: list[Event] = []
    for event in newest_first.iterator():
        if run and run[-1].event_time - event.event_time >= RUN_GAP:
            break
        run.append(event)
    return run[::-1]


def _symmetric(requests: int) -> str:
    return usd(request_cost(RequestFamily.SYMMETRIC, Decimal(requests)))
