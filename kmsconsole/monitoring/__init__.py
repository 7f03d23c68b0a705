"""Monitoring inside each workspace, as the KMS guide's monitoring section describes it.

- ``metrics``: call counts per minute derived from the audit trail (per operation, key,
  principal; errors; denials).
- ``alarms`` (with the pure ``thresholds``): CloudWatch-style metric alarms and their
  history, evaluated on the workspace clock; ready-made alarms from the guide.
- ``compliance``: AWS Config-style rules over the workspace's keys, with per-resource
  results and a timeline.
- ``notifications``: the workspace inbox and signed webhook deliveries.
- ``housekeeping``: removal of expired STS session credentials.

``tasks`` holds the Celery interfaces; ``listeners`` reacts to audited changes.
"""
