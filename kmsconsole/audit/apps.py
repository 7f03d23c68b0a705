from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kmsconsole.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers CloudTrail's LookupEvents with the operation registry the API
        # dispatches from, whichever entry point (web, worker, shell) started Django.
        from . import operations  # noqa: F401
