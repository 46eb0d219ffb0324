"""API of the applicants app, under /api/v1/."""

from django.urls import path  # noqa: F401

app_name = "applicants_api"
urlpatterns: list = []
