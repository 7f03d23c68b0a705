"""kmsconsole: a teaching platform for AWS Key Management Service."""

from .celery import app as celery_app

__all__ = ["celery_app"]
