from django.apps import AppConfig


class AmoConfig(AppConfig):
    name = "amo"
    verbose_name = "AMO accounts"
