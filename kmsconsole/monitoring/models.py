"""Monitoring state of a workspace: alarms and their history, compliance results and their
timeline, the inbox, and webhook deliveries.

Times named ``*_at`` on alarms, compliance and the inbox are on the workspace clock, like
every date a learner sees. Webhook delivery times are real time: they schedule real HTTP.
"""

from __future__ import annotations

from django.db import models

from kmsconsole.iam.models import Workspace


class AlarmState(models.TextChoices):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class ComparisonOperator(models.TextChoices):
    GREATER_THAN_OR_EQUAL = "GreaterThanOrEqualToThreshold"
    GREATER_THAN = "GreaterThanThreshold"
    LESS_THAN = "LessThanThreshold"
    LESS_THAN_OR_EQUAL = "LessThanOrEqualToThreshold"


class TreatMissingData(models.TextChoices):
    MISSING = "missing"
    IGNORE = "ignore"
    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"


class Alarm(models.Model):
    """A metric alarm on a count of audit events (statistic ``Sum``), with CloudWatch's
    period, M-out-of-N datapoints and missing-data treatment."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alarms")
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    template = models.CharField(max_length=64, blank=True, default="")
    # The metric: which audit events are counted. Blank filters match everything.
    event_name = models.CharField(max_length=64, blank=True, default="")
    key_arn = models.CharField(max_length=160, blank=True, default="")
    principal_arn = models.CharField(max_length=256, blank=True, default="")
    errors_only = models.BooleanField(default=False)
    denials_only = models.BooleanField(default=False)
    threshold = models.FloatField()
    comparison_operator = models.CharField(max_length=32, choices=ComparisonOperator.choices)
    period_seconds = models.PositiveIntegerField()
    evaluation_periods = models.PositiveIntegerField()
    datapoints_to_alarm = models.PositiveIntegerField()
    treat_missing_data = models.CharField(max_length=16, choices=TreatMissingData.choices)
    state = models.CharField(max_length=32, choices=AlarmState.choices, default=AlarmState.INSUFFICIENT_DATA)
    state_reason = models.TextField(default="Unchecked: Initial alarm creation")
    state_reason_data = models.JSONField(null=True, blank=True)
    state_updated_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # The last period boundary evaluated, and the next one: the sweep's due date.
    evaluated_until = models.DateTimeField()
    next_evaluation_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="alarm_name_unique")]
        indexes = [models.Index(fields=["next_evaluation_at"], name="alarm_due_idx")]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class AlarmHistory(models.Model):
    """One state change, as CloudWatch's DescribeAlarmHistory lists StateUpdate items."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="history")
    timestamp = models.DateTimeField()
    old_state = models.CharField(max_length=32, choices=AlarmState.choices)
    new_state = models.CharField(max_length=32, choices=AlarmState.choices)
    reason = models.TextField()
    reason_data = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["alarm", "-timestamp", "-id"], name="alarm_history_idx")]
        ordering = ["-timestamp", "-id"]

    def __str__(self) -> str:
        return f"{self.alarm_id}: {self.old_state} -> {self.new_state}"


class ComplianceType(models.TextChoices):
    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class RuleEvaluation(models.Model):
    """The current result of one rule for one key (AWS Config's EvaluationResult)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="rule_evaluations")
    rule_name = models.CharField(max_length=64)
    resource_arn = models.CharField(max_length=160)
    account_id = models.CharField(max_length=12)
    compliance_type = models.CharField(max_length=16, choices=ComplianceType.choices)
    annotation = models.CharField(max_length=256, blank=True, default="")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "rule_name", "resource_arn"], name="rule_evaluation_unique")
        ]
        indexes = [models.Index(fields=["resource_arn"], name="rule_evaluation_resource_idx")]

    def __str__(self) -> str:
        return f"{self.rule_name} {self.resource_arn}: {self.compliance_type}"


class ComplianceChange(models.Model):
    """The timeline: every change of one key's result under one rule."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="compliance_changes")
    rule_name = models.CharField(max_length=64)
    resource_arn = models.CharField(max_length=160)
    old_compliance_type = models.CharField(max_length=16, blank=True, default="")
    new_compliance_type = models.CharField(max_length=16, choices=ComplianceType.choices)
    annotation = models.CharField(max_length=256, blank=True, default="")
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "rule_name", "-changed_at", "-id"], name="compliance_timeline_idx")
        ]
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule_name} {self.resource_arn}: {self.old_compliance_type} -> {self.new_compliance_type}"


class NotificationKind(models.TextChoices):
    ALARM_STATE_CHANGE = "AlarmStateChange"
    COMPLIANCE_CHANGE = "ComplianceChange"
    KEY_ROTATED = "KeyRotated"
    KEY_DELETION_SCHEDULED = "KeyDeletionScheduled"
    KEY_DELETED = "KeyDeleted"


class Notification(models.Model):
    """An inbox item. ``detail`` is the JSON a webhook receives as well."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    subject = models.CharField(max_length=512)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-id"], name="inbox_idx")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.subject


class WebhookEndpoint(models.Model):
    """Where a workspace's notifications are POSTed. The signing secret is stored sealed
    under the root key, like every other secret."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="webhook")
    url = models.URLField(max_length=2048)
    secret_wrapped = models.BinaryField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(models.Model):
    """One notification to POST to one endpoint, retried with backoff until delivered
    or out of attempts. ``next_attempt_at`` is real time and doubles as a lease."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=512, blank=True, default="")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"
