"""gunicorn's entry point for `manage.py bench --load`: the project's WSGI application (as amo/wsgi.py
serves it) with the bench's trivial view mounted beside the project's URLs (bench.urlpatterns), as the
in-process bench serves it, so the load test's floor is the same view."""

import os

from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amo.settings")
application = get_wsgi_application()
# Only the URLconf changes; every other setting is production's (_bench_load.load_environment).
override_settings(ROOT_URLCONF="rotations.management.commands.bench").enable()

from amo.process import freeze_startup_objects  # noqa: E402  (needs the settings above)

freeze_startup_objects()
