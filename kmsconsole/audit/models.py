"""CloudTrail-shaped audit events, one per API call, allowed, denied or failed."""

from __future__ import annotations

from django.db import models

from kmsconsole.iam.models import Workspace


class Event(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=36, unique=True)
    event_time = models.DateTimeField()
    event_name = models.CharField(max_length=64)
    event_source = models.CharField(max_length=64)
    region = models.CharField(max_length=32)
    account_id = models.CharField(max_length=12)
    username = models.CharField(max_length=128, blank=True, default="")
    principal_arn = models.CharField(max_length=256, blank=True, default="")
    access_key_id = models.CharField(max_length=32, blank=True, default="")
    key_arn = models.CharField(max_length=160, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    read_only = models.BooleanField(default=False)
    record = models.JSONField()
    trace = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-event_time", "-id"], name="event_time_idx"),
            models.Index(fields=["workspace", "event_name", "-event_time"], name="event_name_idx"),
            models.Index(fields=["key_arn", "-event_time"], name="event_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%dT%H:%M:%SZ} {self.event_name}"
