import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Each test stores documents in its own directory, so a test can see exactly what is on disk.

    Static files are served uncollected: tests render pages without running collectstatic.
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
def _fresh_rate_limits():
    """allauth counts signups and logins per IP in the (Redis) cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def stored_files(location) -> list:
    return [path for path in location.rglob("*") if path.is_file()]
