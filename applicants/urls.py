"""Pages of the applicant: dashboard, profile, document vault, applications and their enrollment
letters and certificates of completion; and the public page that verifies either."""

from django.urls import path

from applicants import views
from payments import views as payments_views

app_name = "applicants"
urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile, name="profile"),
    path("me/documents/", views.documents, name="documents"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("apply/<int:block_id>/", views.apply, name="apply"),
    path("book/<int:block_id>/", views.book_now, name="book_now"),
    path("me/applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("me/applications/<int:pk>/accept/", views.application_accept, name="application_accept"),
    path("me/applications/<int:pk>/decline/", views.application_decline, name="application_decline"),
    path("me/applications/<int:pk>/cancel/", views.application_cancel, name="application_cancel"),
    path(
        "me/applications/<int:pk>/block-change/",
        views.application_block_change,
        name="application_block_change",
    ),
    path("me/applications/<int:pk>/documents/", views.application_documents, name="application_documents"),
    path(
        "me/applications/<int:pk>/advisor-message/",
        views.application_advisor_message,
        name="application_advisor_message",
    ),
    # Paying what an application owes, in the browser (payments/views.py).
    path(
        "me/applications/<int:pk>/pay/<str:purpose>/", payments_views.application_pay, name="application_pay"
    ),
    path("me/payments/<int:pk>/return/", payments_views.payment_return, name="payment_return"),
    path("me/payments/<int:pk>/receipt/", payments_views.payment_receipt, name="payment_receipt"),
    path(
        "me/applications/<int:pk>/visa-denial/", views.application_visa_denial, name="application_visa_denial"
    ),
    path(
        "me/applications/<int:pk>/enrollment-letter.pdf",
        views.application_enrollment_letter,
        name="application_enrollment_letter",
    ),
    path(
        "me/applications/<int:pk>/certificate.pdf",
        views.application_certificate,
        name="application_certificate",
    ),
    # Public: a consulate checks an enrollment letter, anyone a certificate of completion, by the
    # code printed on it.
    path("verify/<str:code>/", views.letter_verify, name="letter_verify"),
]
