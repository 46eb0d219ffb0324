"""API of the rotations app, under /api/v1/."""

from django.urls import path

from rotations import api

app_name = "rotations_api"
urlpatterns = [
    path("rotations/", api.RotationListApi.as_view(), name="rotation-list"),
    path("rotations/<int:pk>/", api.RotationDetailApi.as_view(), name="rotation-detail"),
    path("specialties/", api.SpecialtyListApi.as_view(), name="specialty-list"),
    path("organizations/<slug:slug>/", api.OrganizationDetailApi.as_view(), name="organization-detail"),
]
