from django.apps import AppConfig


class IAMConfig(AppConfig):
    name = "kmsconsole.iam"
    label = "iam"
    default_auto_field = "django.db.models.BigAutoField"
