"""Going back where a form came from, safely."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, default: str):
    """Redirect to the form's `next` when it is a path on this site, else to `default` (a URL).

    A bare word would be taken for a view name by `redirect()` and end in a 500, so only paths
    (starting with one "/") or full URLs of this host are followed.
    """
    back = request.POST.get("next", "")
    on_site = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not on_site or not (back.startswith("/") or back.startswith(("http://", "https://"))):
        back = default
    return redirect(back)
