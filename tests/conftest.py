import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from amo.celery import app as celery_app
from tests.factories import StaffFactory
from tests.mail import assert_no_placeholder_site, email_text, envelope_text, smtp_server_running


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test stores documents in its own directory, so a test can see exactly what is on disk.

    Static files are served uncollected: production's manifest storage needs `collectstatic`.
    """
    location = tmp_path / "private"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return location


@pytest.fixture(autouse=True)
def every_email_speaks_as_amo():
    """Read every email a test sent (Django's outbox; `smtp_server` checks what it received): none
    may speak as django.contrib.sites' example.com."""
    yield
    from django.core import mail

    for message in getattr(mail, "outbox", []):
        assert_no_placeholder_site(email_text(message))


@pytest.fixture(autouse=True)
def clear_cache():
    """The Redis cache holds rate-limit counters and the worker heartbeat; every test starts empty."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (in a thread of this process) consuming from the real Redis broker.

    Tests that use it see committed data only, so they run with transactional_db.
    """
    celery_app.loader.import_default_modules()
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(celery_app.conf.task_default_queue)
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        yield worker


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port; Django's SMTP backend sends to it.

    Yields the list of received envelopes (aiosmtpd's Envelope objects), filled as mail arrives.
    """
    received = []

    class Recorder:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 Message accepted for delivery"

    with smtp_server_running(Recorder()) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield received
    for envelope in received:
        assert_no_placeholder_site(envelope_text(envelope))


@pytest.fixture
def founder_client(client):
    """A founder signed in to the admin: a superuser with two factors, as staff must be."""
    founder = StaffFactory()
    client.force_login(founder)
    client.founder = founder
    return client
