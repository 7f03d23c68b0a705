"""Forms of the console's insight pages: the cost estimator's what-if, alarms from a
template or from scratch, and the clock's fast-forward.

They turn HTML input into the values ``kmsconsole.costs`` and ``kmsconsole.monitoring``
take. Limits on alarms (periods, datapoints, names) are checked by ``alarms.put_alarm``,
whose message the view shows; the lengths here only match the columns they fill.
"""

from __future__ import annotations

from typing import Any

from django import forms

from kmsconsole.costs.estimate import NO_CHANGE, WhatIf
from kmsconsole.costs.pricing import MONTH_DAYS
from kmsconsole.iam.models import Workspace
from kmsconsole.kms.models import Key
from kmsconsole.monitoring.alarms import TEMPLATES, AlarmDefinition
from kmsconsole.monitoring.models import ComparisonOperator, TreatMissingData

WINDOWS = ((1, "the last day"), (7, "the last 7 days"), (30, "the last 30 days"))
MAX_FAST_FORWARD_DAYS = 3650


class WhatIfForm(forms.Form):
    """The usage window and the what-if. The limits only keep the figures printable;
    ``WhatIf`` refuses impossible values itself."""

    window_days = forms.TypedChoiceField(
        label="Usage window",
        choices=WINDOWS,
        coerce=int,
        initial=MONTH_DAYS,
        help_text="Calls in this window, projected to a month of 30 days.",
    )
    volume_multiplier = forms.DecimalField(
        label="Request volume ×",
        min_value=0,
        max_value=1_000_000,
        decimal_places=2,
        initial=1,
        help_text="1 is today's volume; 10 is ten times as many calls.",
    )
    data_key_reuse = forms.IntegerField(
        label="Messages per data key",
        min_value=1,
        max_value=1_000_000,
        initial=1,
        help_text="Data key caching: GenerateDataKey and Decrypt calls fall by this factor.",
    )
    s3_puts_per_month = forms.IntegerField(
        label="S3 PUTs per month (SSE-KMS)",
        min_value=0,
        max_value=10**12,
        initial=0,
        help_text="Objects written to buckets encrypted with a KMS key.",
    )
    s3_bucket_key = forms.BooleanField(label="S3 Bucket Key enabled", required=False)

    def what_if(self) -> WhatIf:
        if not self.is_bound or not self.is_valid():
            return NO_CHANGE
        data = self.cleaned_data
        return WhatIf(
            volume_multiplier=data["volume_multiplier"],
            data_key_reuse=data["data_key_reuse"],
            s3_puts_per_month=data["s3_puts_per_month"],
            s3_bucket_key=data["s3_bucket_key"],
        )

    def window(self) -> int:
        return self.cleaned_data["window_days"] if self.is_bound and self.is_valid() else MONTH_DAYS


class AlarmTemplateForm(forms.Form):
    """One of the guide's ready-made alarms, optionally narrowed to a key or re-pitched."""

    template = forms.ChoiceField(
        label="Template",
        choices=[(name, f"{item.name}: {item.description}") for name, item in TEMPLATES.items()],
        widget=forms.RadioSelect,
    )
    threshold = forms.FloatField(label="Threshold", required=False, help_text="Empty: the template's threshold.")
    key = forms.CharField(
        label="Only calls on this key",
        required=False,
        max_length=160,
        help_text="A key ID or key ARN; empty: every key.",
    )

    def definition_overrides(self, workspace: Workspace) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if self.cleaned_data["threshold"] is not None:
            overrides["threshold"] = self.cleaned_data["threshold"]
        if self.cleaned_data["key"]:
            overrides["key_arn"] = key_arn_of(workspace, self.cleaned_data["key"])
        return overrides


CALLS_CHOICES = (("all", "All calls"), ("errors", "Failed calls only"), ("denials", "Denied calls only"))


class AlarmForm(forms.Form):
    """An alarm from scratch: the fields of PutMetricAlarm for a metric of audit events.
    Ranges and combinations are checked by ``alarms.put_alarm``, whose message is shown."""

    name = forms.CharField(label="Alarm name", max_length=255)
    description = forms.CharField(label="Description", required=False, max_length=1024)
    event_name = forms.CharField(
        label="Operation", required=False, max_length=64, help_text="e.g. Decrypt; empty: every operation."
    )
    key = forms.CharField(
        label="Key", required=False, max_length=160, help_text="A key ID or key ARN; empty: every key."
    )
    principal_arn = forms.CharField(label="Principal ARN", required=False, max_length=256)
    calls = forms.ChoiceField(label="Count", choices=CALLS_CHOICES, initial="all")
    comparison_operator = forms.ChoiceField(
        label="Condition", choices=ComparisonOperator.choices, initial=ComparisonOperator.GREATER_THAN_OR_EQUAL
    )
    threshold = forms.FloatField(label="Threshold")
    period_seconds = forms.IntegerField(label="Period (seconds)", initial=300, help_text="A multiple of 60.")
    evaluation_periods = forms.IntegerField(label="Evaluation periods", initial=1)
    datapoints_to_alarm = forms.IntegerField(
        label="Datapoints to alarm", required=False, help_text="Empty: all the evaluation periods."
    )
    treat_missing_data = forms.ChoiceField(
        label="Missing data", choices=TreatMissingData.choices, initial=TreatMissingData.NOT_BREACHING
    )

    def definition(self, workspace: Workspace) -> AlarmDefinition:
        data = self.cleaned_data
        return AlarmDefinition(
            name=data["name"],
            description=data["description"],
            event_name=data["event_name"],
            key_arn=key_arn_of(workspace, data["key"]) if data["key"] else "",
            principal_arn=data["principal_arn"],
            errors_only=data["calls"] == "errors",
            denials_only=data["calls"] == "denials",
            comparison_operator=data["comparison_operator"],
            threshold=data["threshold"],
            period_seconds=data["period_seconds"],
            evaluation_periods=data["evaluation_periods"],
            datapoints_to_alarm=data["datapoints_to_alarm"],
            treat_missing_data=data["treat_missing_data"],
        )


def key_arn_of(workspace: Workspace, key_ref: str) -> str:
    """Audit events name keys by ARN: a key ID of this workspace becomes its ARN; anything
    else is kept as typed (a metric may watch a key that does not exist yet)."""
    key_ref = key_ref.strip()
    if key_ref.startswith("arn:"):
        return key_ref
    arn = Key.objects.filter(account__workspace=workspace, key_id=key_ref).values_list("arn", flat=True).first()
    return arn or key_ref


class ClockAdvanceForm(forms.Form):
    """How far to move the clock. The upper bound is the console's own, to catch a typo
    (10 years is past any rotation period or waiting period)."""

    days = forms.IntegerField(label="Days", min_value=1, max_value=MAX_FAST_FORWARD_DAYS)
