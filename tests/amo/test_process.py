"""A serving process's start (amo/process.py, called by amo/wsgi.py): every view loaded, then frozen."""

import os
import subprocess
import sys

from django.conf import settings

# What the process reports once amo.wsgi is imported, as gunicorn imports it.
REPORT = (
    "import gc, sys, amo.wsgi; print(gc.get_freeze_count(), *(name in sys.modules for name in sys.argv[1:]))"
)


def test_a_served_process_loads_every_view_then_freezes_what_it_holds_before_its_first_request():
    views = ["rotations.views", "applicants.views", "hosts.views", "payments.views"]
    run = subprocess.run(
        [sys.executable, "-c", REPORT, *views],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "amo.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    frozen, *loaded = run.stdout.split()
    # Django, DRF, allauth and the project's modules: far more than a bare interpreter's few thousand.
    assert int(frozen) > 50_000
    assert loaded == ["True"] * len(views)
