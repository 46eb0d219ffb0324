"""API of the hosts app, under /api/v1/."""

from django.urls import path  # noqa: F401

app_name = "hosts_api"
urlpatterns: list = []
