"""The public catalog's pages: /rotations/, /rotations/<slug>/, and the pages of a host
organization (/hosts/<slug>/) and of one of its preceptors, which the rotation page links to."""

from django.urls import path

from rotations import views

app_name = "rotations"
urlpatterns = [
    path("rotations/", views.rotation_list, name="list"),
    path("rotations/<slug:slug>/", views.rotation_page, name="detail"),
    path("hosts/<slug:slug>/", views.organization_page, name="organization"),
    path("hosts/<slug:slug>/preceptors/<int:pk>/", views.preceptor_page, name="preceptor"),
]
