"""Pages of the host dashboard under /host/. Every object comes through `self.scoped` (hosts.tenancy)."""

from hosts.views.bookings import BlockChangeDecideView, BlockChangeListView, EvaluationView
from hosts.views.letters import LetterActionView, LetterDetailView, LetterListView, LetterVersionFileView
from hosts.views.members import (
    InvitationAcceptView,
    InvitationCreateView,
    InvitationRevokeView,
    MemberRemoveView,
    MembersView,
    PreceptorCreateView,
)
from hosts.views.overview import (
    CalendarView,
    DashboardView,
    OnboardingView,
    RosterView,
    SwitchOrganizationView,
)
from hosts.views.review import (
    ApplicationActionView,
    ApplicationBulkView,
    ApplicationDetailView,
    ApplicationDocumentView,
    ApplicationQueueView,
)
from hosts.views.reviews import ReviewAnswerView, ReviewListView
from hosts.views.rotations import (
    BlockCreateView,
    BlockUpdateView,
    FirstDayUpdateView,
    RotationCreateView,
    RotationDetailView,
    RotationListView,
    RotationStatusView,
    RotationUpdateView,
)

__all__ = [
    "ApplicationActionView",
    "ApplicationBulkView",
    "ApplicationDetailView",
    "ApplicationDocumentView",
    "ApplicationQueueView",
    "BlockChangeDecideView",
    "BlockChangeListView",
    "BlockCreateView",
    "BlockUpdateView",
    "CalendarView",
    "DashboardView",
    "EvaluationView",
    "FirstDayUpdateView",
    "InvitationAcceptView",
    "InvitationCreateView",
    "InvitationRevokeView",
    "LetterActionView",
    "LetterDetailView",
    "LetterListView",
    "LetterVersionFileView",
    "MemberRemoveView",
    "MembersView",
    "OnboardingView",
    "PreceptorCreateView",
    "ReviewAnswerView",
    "ReviewListView",
    "RosterView",
    "RotationCreateView",
    "RotationDetailView",
    "RotationListView",
    "RotationStatusView",
    "RotationUpdateView",
    "SwitchOrganizationView",
]
