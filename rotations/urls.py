"""Pages of the catalog: /rotations/ and /rotations/<slug>/."""

from django.urls import path

from rotations import views

app_name = "rotations"
urlpatterns = [
    path("", views.rotation_list, name="list"),
    path("<slug:slug>/", views.rotation_page, name="detail"),
]
