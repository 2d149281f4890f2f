"""App config of the demo app (it only provides the ``seed_demo`` command)."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo organisation"
