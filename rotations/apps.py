from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotation catalog"

    def ready(self):
        from rotations.cache import catalog_signals_connect

        catalog_signals_connect()
