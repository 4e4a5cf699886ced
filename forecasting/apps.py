from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = _("Deal control")

    def ready(self):
        from . import receivers  # noqa: F401 - connects the signal receivers
