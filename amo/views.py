from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from amo import api, calendar, selectors, services
from amo.errors import DomainError
from amo.forms import ApiTokenForm, ReminderSettingsForm, add_domain_error
from amo.health_checks import check_health, worker_last_seen
from amo.models import Reminder
from amo.redirects import redirect_back
from amo.reminders import OPTIONAL_KINDS, reminder_kinds_of, reminders_settings_save, reminders_turned_off

SERVER_ERROR = "Something went wrong on our side. Try again in a few minutes."
TOO_MANY_REQUESTS = "You have tried this too many times in a short while. Wait a few minutes and try again."


@api.require_methods("GET", "HEAD")
@never_cache
def healthz(request):
    """200 when the database, Redis and the broker answer, else 503; names what is down."""
    states = check_health()
    healthy = all(state == "ok" for state in states.values())
    body = {
        "status": "ok" if healthy else "down",
        "checks": states,
        "worker_last_seen": worker_last_seen() if states["redis"] == "ok" else None,
    }
    return JsonResponse(body, status=200 if healthy else 503)


def home(request):
    return render(request, "home.html")


def answers_json(request) -> bool:
    """Whether the request is to an endpoint for programs, which answers its errors in the API's
    format, never with a page: the API and Stripe's webhook."""
    return request.path.startswith("/api/") or request.path == reverse("payments:stripe_webhook")


def page_not_found(request, exception):
    """404 in the API's own format for programs (answers_json), the site's page elsewhere."""
    if answers_json(request):
        return JsonResponse({"message": "Not found.", "extra": {"path": request.path}}, status=404)
    return defaults.page_not_found(request, exception)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
# Creating a token asks for the password (or second factor) again, as adding a second factor
# does: a borrowed or stolen session cannot mint a credential that outlives it.
@reauthentication_required(allow_get=True)
def api_tokens(request):
    """The person's API tokens; POST creates one and shows its secret on this response only."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.api_token_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "amo/api_tokens.html",
        {"form": form, "tokens": list(request.user.api_tokens.all()), "created": created, "secret": secret},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    try:
        token = services.api_token_revoke(user=request.user, token_id=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    messages.success(
        request, f"API token “{token.name}” (…{token.last_four}) is revoked; it no longer works."
    )
    return redirect("api_tokens")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
# Making a feed address asks for the password again, as an API token does: a borrowed session
# cannot leave behind an address that reads the person's bookings after it ends.
@reauthentication_required(allow_get=True)
def calendar_feed_page(request):
    """The person's calendar feed; POST makes a new address (revoking the old one) and shows it on
    this response only."""
    secret = error = None
    if request.method == "POST":
        try:
            _, secret = calendar.calendar_feed_issue(user=request.user)
        except DomainError as refused:
            error = refused.message
    return render(
        request,
        "amo/calendar_feed.html",
        {
            "feed": calendar.calendar_feed_working(user=request.user),
            # The address as the person reached this page, as the API tokens page shows its example.
            "feed_url": request.build_absolute_uri(reverse("calendar_feed", kwargs={"secret": secret}))
            if secret
            else None,
            "refusal": calendar.calendar_feed_refusal(request.user),
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def calendar_feed_revoke(request):
    try:
        calendar.calendar_feed_revoke(user=request.user)
    except DomainError as error:
        messages.info(request, error.message)
    else:
        messages.success(
            request, "Your calendar feed is turned off: calendar apps that read its address get nothing more."
        )
    return redirect("calendar_feed_page")


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request, secret: str):
    """The feed itself, for calendar apps: no sign-in, the secret in the address is the key. An
    unknown or revoked address is a 404, as anything that is not there."""
    feed = calendar.calendar_feed_for_secret(secret)
    if feed is None:
        raise Http404("No such calendar feed.")
    body = calendar.calendar_ics(feed=feed, events=calendar.calendar_events(user=feed.user))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    # One person's bookings: no shared cache keeps them, and search engines never list the address.
    patch_cache_control(response, private=True, max_age=calendar.CACHE_FOR)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# How many of the person's reminders to come the reminders page shows.
UPCOMING_SHOWN = 10


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def reminder_settings(request):
    """The reminders page of the account: the optional kinds their roles are sent, to turn off (POST
    saves), the ones always sent, and what is coming up."""
    user = request.user
    kinds = reminder_kinds_of(user)
    optional = [kind for kind in kinds if kind in OPTIONAL_KINDS]
    turned_off = reminders_turned_off(user)
    form = ReminderSettingsForm(
        request.POST if request.method == "POST" else None,
        kinds=optional,
        initial={"turned_off": sorted(turned_off & set(optional))},
    )
    if form.is_bound and form.is_valid():
        # A kind this page does not offer (a role the person no longer holds) stays as it was.
        kept = turned_off - set(optional)
        try:
            reminders_settings_save(user=user, turned_off=kept | set(form.cleaned_data["turned_off"]))
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Your reminder settings are saved.")
            return redirect("reminder_settings")
    return render(
        request,
        "amo/reminder_settings.html",
        {
            "form": form,
            "optional": optional,
            "always_sent": [Reminder.Kind(kind).label for kind in kinds if kind not in OPTIONAL_KINDS],
            "upcoming": list(selectors.reminders_upcoming(user=user)[:UPCOMING_SHOWN]),
        },
        status=400 if form.errors else 200,
    )


def too_many_requests(
    request,
    message: str = TOO_MANY_REQUESTS,
    retry_after: int | None = None,
    *,
    about_signing_in: bool = True,
):
    """429 as a page of the site saying why and what to do; allauth's rate limits answer with it
    (`handler429` in amo/urls.py), offering the way back to logging in unless the limit is not
    about signing in (`about_signing_in=False`, a public page's own limit)."""
    response = render(
        request, "429.html", {"message": message, "about_signing_in": about_signing_in}, status=429
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
@login_required
def notifications_read(request):
    """Mark all the person's notifications read and go back to the dashboard they came from."""
    services.notifications_mark_read(recipient=request.user)
    return redirect_back(request, reverse("home"))


def bad_request(request, exception):
    """400 in the API's own format for programs (answers_json; 413 for a body too large), the
    site's page elsewhere.

    Django answers here when a request breaks its limits (DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    fields) outside a DRF view's own error handling.
    """
    if answers_json(request):
        return api.bad_request(request, exception)
    return defaults.bad_request(request, exception)


def server_error(request):
    """500 in the API's own format for programs (answers_json), the site's page elsewhere."""
    if answers_json(request):
        return JsonResponse(api.error_response_body(SERVER_ERROR), status=500)
    return defaults.server_error(request)
