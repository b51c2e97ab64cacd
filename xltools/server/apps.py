from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "xltools.server"
    label = "intake"
    verbose_name = "xltools intake"
    default_auto_field = "django.db.models.BigAutoField"
