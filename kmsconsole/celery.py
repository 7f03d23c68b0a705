"""The Celery app. Redis is the broker when ``REDIS_URL`` is set; otherwise kombu's
filesystem transport under the data directory, so one machine needs nothing installed.

The beat schedule lives in settings (``CELERY_BEAT_SCHEDULE``); run exactly one beat.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmsconsole.settings")

app = Celery("kmsconsole")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
