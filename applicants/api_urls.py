"""API of the applicants app, under /api/v1/."""

from django.urls import path

from applicants import api, lor_api

app_name = "applicants_api"
urlpatterns = [
    path("me/profile/", api.ProfileAPI.as_view(), name="profile"),
    path("me/documents/", api.DocumentListAPI.as_view(), name="documents"),
    path("me/reminders/", api.ReminderListAPI.as_view(), name="reminders"),
    path("me/letters/", lor_api.LetterListAPI.as_view(), name="letters"),
    path("me/letters/<int:pk>/withdraw/", lor_api.LetterWithdrawAPI.as_view(), name="letter_withdraw"),
    path("me/letters/<int:pk>/file/", lor_api.LetterFileAPI.as_view(), name="letter_file"),
    path("applications/", api.ApplicationListAPI.as_view(), name="applications"),
    path("applications/book-now/", api.BookNowAPI.as_view(), name="book_now"),
    path("applications/<int:pk>/", api.ApplicationDetailAPI.as_view(), name="application"),
    path("applications/<int:pk>/accept/", api.ApplicationAcceptAPI.as_view(), name="application_accept"),
    path("applications/<int:pk>/decline/", api.ApplicationDeclineAPI.as_view(), name="application_decline"),
    path("applications/<int:pk>/cancel/", api.ApplicationCancelAPI.as_view(), name="application_cancel"),
    path(
        "applications/<int:pk>/block-change/",
        api.ApplicationBlockChangeAPI.as_view(),
        name="application_block_change",
    ),
    path(
        "applications/<int:pk>/documents/",
        api.ApplicationDocumentsAPI.as_view(),
        name="application_documents",
    ),
    path(
        "applications/<int:pk>/visa-denial/",
        api.ApplicationVisaDenialAPI.as_view(),
        name="application_visa_denial",
    ),
    path(
        "applications/<int:pk>/enrollment-letter/",
        api.ApplicationEnrollmentLetterAPI.as_view(),
        name="application_enrollment_letter",
    ),
    path(
        "applications/<int:pk>/letters/", lor_api.ApplicationLettersAPI.as_view(), name="application_letters"
    ),
    path("applications/<int:pk>/review/", api.ApplicationReviewAPI.as_view(), name="application_review"),
    path(
        "applications/<int:pk>/certificate/",
        api.ApplicationCertificateAPI.as_view(),
        name="application_certificate",
    ),
    path("applications/<int:pk>/submit/", api.ApplicationSubmitAPI.as_view(), name="application_submit"),
    path(
        "applications/<int:pk>/withdraw/", api.ApplicationWithdrawAPI.as_view(), name="application_withdraw"
    ),
]
