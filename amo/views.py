from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from amo import api
from amo.health import check_health, worker_last_seen


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


def bad_request(request, exception):
    """400 in the API's own format under /api/ (413 for a body too large), the site's page elsewhere.

    Django answers here when a request breaks its limits (DATA_UPLOAD_MAX_MEMORY_SIZE, too many
    fields) outside a DRF view's own error handling.
    """
    if request.path.startswith("/api/"):
        return api.bad_request(request, exception)
    return defaults.bad_request(request, exception)
