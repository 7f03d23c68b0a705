from django.apps import AppConfig


class KMSConfig(AppConfig):
    name = "kmsconsole.kms"
    label = "kms"
    default_auto_field = "django.db.models.BigAutoField"
