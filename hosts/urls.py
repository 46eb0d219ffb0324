"""The host dashboard under /host/. Every page but onboarding and the invitation link is tenant-scoped."""

from django.urls import path

from hosts import views
from payments import views as payments_views

app_name = "hosts"


def _each(route: str, view, actions: list[str], name: str) -> list:
    return [
        path(f"{route}{action.replace('_', '-')}/", view, {"action": action}, name=f"{name}_{action}")
        for action in actions
    ]


urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("onboarding/", views.OnboardingView.as_view(), name="onboarding"),
    path("switch/", views.SwitchOrganizationView.as_view(), name="switch_organization"),
    path("members/", views.MembersView.as_view(), name="members"),
    path("members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path("invitations/", views.InvitationCreateView.as_view(), name="invitation_create"),
    path("invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(), name="invitation_revoke"),
    path("invitations/accept/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("preceptors/", views.PreceptorCreateView.as_view(), name="preceptor_create"),
    path("rotations/", views.RotationListView.as_view(), name="rotations"),
    path("rotations/new/", views.RotationCreateView.as_view(), name="rotation_create"),
    path("rotations/<int:pk>/", views.RotationDetailView.as_view(), name="rotation_detail"),
    path("rotations/<int:pk>/edit/", views.RotationUpdateView.as_view(), name="rotation_update"),
    path("rotations/<int:pk>/first-day/", views.FirstDayUpdateView.as_view(), name="rotation_first_day"),
    *_each(
        "rotations/<int:pk>/",
        views.RotationStatusView.as_view(),
        ["publish", "unpublish", "archive"],
        "rotation",
    ),
    path("rotations/<int:pk>/blocks/", views.BlockCreateView.as_view(), name="block_create"),
    path("blocks/<int:pk>/edit/", views.BlockUpdateView.as_view(), name="block_update"),
    path("applications/", views.ApplicationQueueView.as_view(), name="applications"),
    path("applications/bulk/", views.ApplicationBulkView.as_view(), name="applications_bulk"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    *_each(
        "applications/<int:pk>/",
        views.ApplicationActionView.as_view(),
        ["start_review", "offer", "reject", "waitlist", "request_info", "cancel", "no_show", "end_early"],
        "application",
    ),
    path("applications/<int:pk>/evaluation/", views.EvaluationView.as_view(), name="application_evaluation"),
    path(
        "applications/<int:pk>/documents/<int:document_id>/",
        views.ApplicationDocumentView.as_view(),
        name="application_document",
    ),
    path("block-changes/", views.BlockChangeListView.as_view(), name="block_changes"),
    *_each(
        "block-changes/<int:pk>/",
        views.BlockChangeDecideView.as_view(),
        ["approve", "decline"],
        "block_change",
    ),
    path("letters/", views.LetterListView.as_view(), name="letters"),
    path("letters/<int:pk>/", views.LetterDetailView.as_view(), name="letter_detail"),
    *_each(
        "letters/<int:pk>/",
        views.LetterActionView.as_view(),
        ["accept", "decline", "upload", "confirm"],
        "letter",
    ),
    path(
        "letters/<int:pk>/versions/<int:number>/file/",
        views.LetterVersionFileView.as_view(),
        name="letter_version_file",
    ),
    path("reviews/", views.ReviewListView.as_view(), name="reviews"),
    path("reviews/<int:pk>/answer/", views.ReviewAnswerView.as_view(), name="review_answer"),
    path("roster/", views.RosterView.as_view(), name="roster"),
    path("calendar/", views.CalendarView.as_view(), name="calendar"),
    path("payouts/", payments_views.PayoutsView.as_view(), name="payouts"),
    path("payouts/report.csv", payments_views.PayoutsView.as_view(csv=True), name="payouts_csv"),
]
