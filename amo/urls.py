from csp.decorators import csp_update
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from amo import views

# Swagger UI sets inline styles from its script; only this page allows them (scripts stay 'self').
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema")
)

# Each app owns its pages (`<app>/urls.py`) and its API (`<app>/api_urls.py`, under /api/v1/).
api_v1 = [
    path("", include("rotations.api_urls")),
    path("", include("applicants.api_urls")),
    path("", include("payments.api_urls")),
    path("host/", include("hosts.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    # Pages without our <link rel="icon"> (the admin, error pages) make browsers ask for this.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
    path("admin/", admin.site.urls),
    path("accounts/tokens/", views.api_tokens, name="api_tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("accounts/calendar/", views.calendar_feed_page, name="calendar_feed_page"),
    path("accounts/calendar/turn-off/", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    # A feed's address: its secret is 43 characters of URL-safe base64 (amo.calendar).
    re_path(r"^calendar/(?P<secret>[A-Za-z0-9_-]{43})\.ics$", views.calendar_feed, name="calendar_feed"),
    path("accounts/reminders/", views.reminder_settings, name="reminder_settings"),
    path("accounts/", include("allauth.urls")),
    path("", include("rotations.urls")),
    path("", include("applicants.urls")),
    path("host/", include("hosts.urls")),
    path("payments/", include("payments.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
]
handler400 = "amo.views.bad_request"
handler404 = "amo.views.page_not_found"
handler500 = "amo.views.server_error"
handler429 = "amo.views.too_many_requests"  # allauth's rate limits look it up here
