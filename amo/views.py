from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from amo.health import check_health, worker_last_seen
from amo.services import notifications_mark_read

TOO_MANY_REQUESTS = "You have tried this too many times in a short while. Wait a few minutes and try again."


@require_GET
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


def page_not_found(request, exception):
    """404 in the API's own format under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Not found.", "extra": {"path": request.path}}, status=404)
    return defaults.page_not_found(request, exception)


def too_many_requests(request, message: str = TOO_MANY_REQUESTS, retry_after: int | None = None):
    """429 as a page of the site saying why and what to do; allauth's rate limits answer with it
    (`handler429` in amo/urls.py)."""
    response = render(request, "429.html", {"message": message}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_POST
@login_required
def notifications_read(request):
    """Mark all the person's notifications read and go back to the dashboard they came from."""
    notifications_mark_read(recipient=request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "home"
    return redirect(back)
