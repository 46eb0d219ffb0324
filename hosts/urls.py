"""The host dashboard under /host/."""

from django.urls import path

from amo.views import placeholder

app_name = "hosts"
urlpatterns = [
    path("", placeholder, name="dashboard"),
    path("onboarding/", placeholder, name="onboarding"),
]
