"""Pages of the applicant: dashboard, profile, document vault, applications."""

from django.urls import path

from amo.views import placeholder

app_name = "applicants"
urlpatterns = [
    path("me/", placeholder, name="dashboard"),
    path("me/profile/", placeholder, name="profile"),
    path("me/documents/", placeholder, name="documents"),
    path("documents/<int:pk>/file/", placeholder, name="document_file"),
    path("apply/<int:block_id>/", placeholder, name="apply"),
    path("me/applications/<int:pk>/", placeholder, name="application_detail"),
]
