"""Routes of the console's insight pages: monitoring (alarms, compliance, inbox), the
cost estimator, and the workspace clock's fast-forward."""

from django.urls import path

from .views import costs, monitoring

urlpatterns = [
    path("costs/", costs.cost_estimator, name="costs"),
    path("monitoring/", monitoring.monitoring, name="monitoring"),
    path("monitoring/alarms/new/", monitoring.alarm_new, name="alarm-new"),
    path("monitoring/alarms/evaluate/", monitoring.alarms_evaluate, name="alarms-evaluate"),
    path("monitoring/alarms/<int:alarm_id>/", monitoring.alarm_detail, name="alarm"),
    path("monitoring/alarms/<int:alarm_id>/delete/", monitoring.alarm_delete, name="alarm-delete"),
    path("monitoring/compliance/evaluate/", monitoring.compliance_evaluate, name="compliance-evaluate"),
    path("monitoring/compliance/<slug:rule_name>/", monitoring.compliance_rule, name="compliance-rule"),
    path("monitoring/inbox/read/", monitoring.inbox_read, name="inbox-read"),
    path("clock/advance/", monitoring.clock_advance, name="clock-advance"),
]
