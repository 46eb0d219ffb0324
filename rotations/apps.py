from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "rotations"
    verbose_name = "Rotation catalog"
