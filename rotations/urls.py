"""Pages of the catalog: /rotations/ and /rotations/<slug>/."""

from django.urls import path

from amo.views import placeholder

app_name = "rotations"
urlpatterns = [
    path("", placeholder, name="list"),
    path("<slug:slug>/", placeholder, name="detail"),
]
