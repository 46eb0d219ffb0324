"""Pages of the applicant: dashboard, profile, document vault, applications."""

from django.urls import path

from applicants import views

app_name = "applicants"
urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile, name="profile"),
    path("me/documents/", views.documents, name="documents"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("apply/<int:block_id>/", views.apply, name="apply"),
    path("me/applications/<int:pk>/", views.application_detail, name="application_detail"),
]
