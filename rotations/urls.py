"""Pages of the rotations app."""

from django.urls import path  # noqa: F401

app_name = "rotations"
urlpatterns: list = []
