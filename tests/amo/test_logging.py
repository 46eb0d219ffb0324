"""The log a server writes: each refused or missing page once, in one line; a server error once,
with the traceback that explains it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Requests through Django's whole handler, to views that refuse, miss and break as real ones do.
SERVE = """
import sys, types
import django
django.setup()
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, override_settings
from django.urls import path

def forbidden(request):
    raise PermissionDenied("Members only.")

def missing(request):
    raise Http404("No such rotation.")

def broken(request):
    raise ValueError("a bug")

import amo.urls
urls = types.ModuleType("served_urls")  # AMO's URLs and error handlers, and these three
urls.__dict__.update({name: getattr(amo.urls, name) for name in dir(amo.urls) if name.startswith("handler")})
urls.urlpatterns = [
    path("forbidden/", forbidden), path("missing/", missing), path("broken/", broken), *amo.urls.urlpatterns
]
sys.modules["served_urls"] = urls
# Pages use static files uncollected, as the suite's do (tests/conftest.py).
uncollected = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
storages = {**settings.STORAGES, "staticfiles": uncollected}
with override_settings(ROOT_URLCONF="served_urls", STORAGES=storages):
    client = Client(raise_request_exception=False)
    statuses = [client.get(f"/{name}/").status_code for name in ("forbidden", "missing", "broken")]
    assert statuses == [403, 404, 500], statuses
    assert client.get("/not-a-url/").status_code == 404
"""


@pytest.mark.parametrize("debug", ["1", "0"], ids=["make-run", "production"])
def test_each_4xx_is_logged_once_without_a_traceback_and_a_500_once_with_it(debug):
    env = {**os.environ, "DEBUG": debug, "DJANGO_SETTINGS_MODULE": "amo.settings", "LOG_LEVEL": "INFO"}
    env["SECURE_SSL_REDIRECT"] = "0"
    served = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert served.returncode == 0, served.stderr
    log = served.stderr
    assert log.count("Forbidden (Permission denied): /forbidden/") == 1, log
    assert log.count("Not Found: /missing/") == 1, log
    assert log.count("Not Found: /not-a-url/") == 1, log
    assert log.count("Internal Server Error: /broken/") == 1, log
    assert log.count("Traceback (most recent call last)") == 1, log
    assert "ValueError: a bug" in log
    assert "PermissionDenied" not in log and "Http404" not in log
