"""Pages of the applicants app."""

from django.urls import path  # noqa: F401

app_name = "applicants"
urlpatterns: list = []
