"""Pages of the applicant: dashboard, profile, document vault, applications, their enrollment
letters, certificates of completion and letters of recommendation; the public page that verifies an
enrollment letter or a certificate; and the pages of a letter of recommendation's author, reached
through their emailed link."""

from django.urls import path

from applicants import letter_author_views, lor_views, views
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
    path("me/applications/<int:pk>/review/", views.application_review, name="application_review"),
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
    # Letters of recommendation asked of a booking's preceptor (applicants/lor_views.py).
    path("me/applications/<int:pk>/letters/new/", lor_views.letter_request, name="letter_request"),
    path("me/letters/<int:pk>/withdraw/", lor_views.letter_withdraw_view, name="letter_withdraw"),
    path("me/letters/<int:pk>/letter.pdf", lor_views.letter_file, name="letter_file"),
    path("me/letter-waiver/", lor_views.letter_waiver, name="letter_waiver"),
    # A letter's author, without an account: the signed token in the address is the key.
    path("letters/author/<str:token>/", letter_author_views.letter_author, name="letter_author"),
    path(
        "letters/author/<str:token>/accept/",
        letter_author_views.letter_author_accept,
        name="letter_author_accept",
    ),
    path(
        "letters/author/<str:token>/decline/",
        letter_author_views.letter_author_decline,
        name="letter_author_decline",
    ),
    path(
        "letters/author/<str:token>/upload/",
        letter_author_views.letter_author_upload,
        name="letter_author_upload",
    ),
    path(
        "letters/author/<str:token>/confirm/",
        letter_author_views.letter_author_confirm,
        name="letter_author_confirm",
    ),
    path(
        "letters/author/<str:token>/fresh-link/",
        letter_author_views.letter_author_fresh_link,
        name="letter_author_fresh_link",
    ),
    path(
        "letters/author/<str:token>/request-form.pdf",
        letter_author_views.letter_author_request_form,
        name="letter_author_request_form",
    ),
    path(
        "letters/author/<str:token>/letter/<int:number>/",
        letter_author_views.letter_author_version,
        name="letter_author_version",
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
