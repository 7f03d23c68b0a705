from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "kmsconsole.monitoring"
    label = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Compliance rules and the inbox react to audited changes as they commit.
        from kmsconsole.audit import recorder

        from .listeners import on_committed_changes

        if on_committed_changes not in recorder.AFTER_CHANGE_CALLBACKS:
            recorder.AFTER_CHANGE_CALLBACKS.append(on_committed_changes)
