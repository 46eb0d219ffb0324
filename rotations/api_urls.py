"""API of the rotations app, under /api/v1/."""

from django.urls import path  # noqa: F401

app_name = "rotations_api"
urlpatterns: list = []
