"""The API's request rates (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES and _RATES in settings.py), and
pages' own rates counted the same way.

DRF's throttles read their rates once, into a class attribute, when DRF's settings are first
imported; these read them on each request, so a rate set later (a test's settings) applies. Kept
apart from amo/api.py: DRF's views module imports these classes, so this module must not import it.
"""

from django.conf import settings
from rest_framework import throttling
from rest_framework.settings import api_settings


class RatesReadNow:
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonRateThrottle(RatesReadNow, throttling.AnonRateThrottle):
    """Anonymous requests, counted per client address (REST_FRAMEWORK's NUM_PROXIES says which)."""


class UserRateThrottle(RatesReadNow, throttling.UserRateThrottle):
    """Signed-in requests (session or API token), counted per account."""


class PageRateThrottle(throttling.SimpleRateThrottle):
    """A page's own request rate (not the API's), counted per client address whether signed in or
    not, in the cache the API's throttles use. A view checks it itself (`allow_request(request,
    None)`, then `wait()`); `scope` names the setting that holds the rate, read on each request."""

    def get_rate(self) -> str:
        return getattr(settings, self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
