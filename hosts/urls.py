"""Pages of the hosts app."""

from django.urls import path  # noqa: F401

app_name = "hosts"
urlpatterns: list = []
