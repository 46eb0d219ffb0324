"""Settings come only from the environment, with safe defaults; production settings pass --deploy."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS, 'DB': s.DATABASES['default'], "
    "'BROKER': s.CELERY_BROKER_URL, 'CACHE': s.CACHES['default']['LOCATION'], "
    "'EMAIL_BACKEND': s.EMAIL_BACKEND, 'EMAIL_HOST': s.EMAIL_HOST, 'EMAIL_PORT': s.EMAIL_PORT, "
    "'EMAIL_USE_TLS': s.EMAIL_USE_TLS, 'STRIPE': [s.STRIPE_SECRET_KEY, s.STRIPE_API_BASE], "
    "'SSL_REDIRECT': getattr(s, 'SECURE_SSL_REDIRECT', False)}, default=str))"
)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qz9!vR2@mX4$pL8^nW3&bT6*yH1(cJ5)dF0_gS-eA+uK=iO~oP",
    "ALLOWED_HOSTS": "amo.example.com",
    "DATABASE_URL": "postgres://amo:secret@db.internal:5432/amo",
    "REDIS_URL": "redis://cache.internal:6379/2",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_API_BASE": "https://api.stripe.com",
}


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {*PRODUCTION, "SECURE_SSL_REDIRECT", "AMO_ALLOW_DEV_SECRET"}
    }
    clean["DJANGO_SETTINGS_MODULE"] = "amo.settings"
    return subprocess.run(
        [sys.executable, *args, code] if code else [sys.executable, *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_are_read_from_the_environment():
    result = run_python(PROBE, PRODUCTION, "-c")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["amo.example.com"]
    assert values["DB"]["HOST"] == "db.internal"
    assert values["DB"]["NAME"] == "amo"
    assert values["DB"]["USER"] == "amo"
    assert values["BROKER"] == "redis://cache.internal:6379/2"
    assert values["CACHE"] == "redis://cache.internal:6379/2"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )
    assert values["STRIPE"] == ["sk_live_example", "https://api.stripe.com"]
    assert values["SSL_REDIRECT"] is True


def test_unix_socket_redis_becomes_a_kombu_socket_broker():
    env = {**PRODUCTION, "REDIS_URL": "unix:///run/redis.sock?db=3"}
    values = json.loads(run_python(PROBE, env, "-c").stdout)
    assert values["BROKER"] == "redis+socket:///run/redis.sock?virtual_host=3"


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_python(PROBE, env, "-c")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_malformed_boolean_is_a_clear_error():
    result = run_python(PROBE, {**PRODUCTION, "DEBUG": "maybe"}, "-c")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_unknown_email_scheme_is_a_clear_error():
    result = run_python(PROBE, {**PRODUCTION, "EMAIL_URL": "pigeon://coop"}, "-c")
    assert result.returncode != 0
    assert "EMAIL_URL scheme 'pigeon'" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run_python("", PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_devstack_reads_the_demo_logins_before_django_is_set_up():
    """`make run` prints the demo logins from a process where Django's apps are not loaded."""
    code = "from seeding.accounts import DEMO_LOGINS; print(len(DEMO_LOGINS))"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"
