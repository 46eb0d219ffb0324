"""Settings come only from the environment, with safe defaults; production settings pass --deploy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'DEBUG': s.DEBUG, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS, 'DB': s.DATABASES['default'], "
    "'BROKER': s.CELERY_BROKER_URL, 'CACHE': s.CACHES['default']['LOCATION'], "
    "'EMAIL_BACKEND': s.EMAIL_BACKEND, 'EMAIL_HOST': s.EMAIL_HOST, 'EMAIL_PORT': s.EMAIL_PORT, "
    "'EMAIL_USE_TLS': s.EMAIL_USE_TLS, 'STRIPE': [s.STRIPE_SECRET_KEY, s.STRIPE_API_BASE], "
    "'SSL_REDIRECT': getattr(s, 'SECURE_SSL_REDIRECT', False), 'RESULTS': s.CELERY_RESULT_BACKEND, "
    "'CACHES': sorted({c['LOCATION'] for c in s.CACHES.values()}), "
    "'HSTS': [s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD], "
    "'PROXY_SSL_HEADER': s.SECURE_PROXY_SSL_HEADER, "
    "'THROTTLES': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], 'PROXIES': s.REST_FRAMEWORK['NUM_PROXIES']}, "
    "default=str))"
)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7#Qz9!vR2@mX4$pL8^nW3&bT6*yH1(cJ5)dF0_gS-eA+uK=iO~oP",
    "ALLOWED_HOSTS": "amo.example.com",
    "DATABASE_URL": "postgres://amo:secret@db.internal:5432/amo",
    "REDIS_URL": "redis://cache.internal:6379/2",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "STRIPE_API_BASE": "https://api.stripe.com",
}


# What this run's environment sets (amo/pytest_env.py, tools/devstack.py), or a deploy could.
SET_BY_THE_TESTS = {
    "SECURE_SSL_REDIRECT",
    "AMO_ALLOW_DEV_SECRET",
    "API_THROTTLE_ANON",
    "API_THROTTLE_USER",
    "TRUSTED_PROXIES",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CACHE_URL",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
}


def run_python(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION, *SET_BY_THE_TESTS}}
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
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"], values["EMAIL_USE_TLS"]) == (
        "smtp.example.com",
        587,
        True,
    )
    assert values["STRIPE"] == ["sk_live_example", "https://api.stripe.com"]
    assert values["SSL_REDIRECT"] is True


def test_broker_results_and_caches_each_have_their_own_redis_database():
    """Clearing the cache must not drop queued tasks, nor results crowd the queue: REDIS_URL's
    database is the broker's, the next two the results' and the caches'."""
    values = json.loads(run_python(PROBE, PRODUCTION, "-c").stdout)
    assert values["BROKER"] == "redis://cache.internal:6379/2"
    assert values["RESULTS"] == "redis://cache.internal:6379/3"
    assert values["CACHES"] == ["redis://cache.internal:6379/4"]


def test_a_redis_url_without_a_database_starts_at_database_0():
    values = json.loads(run_python(PROBE, {**PRODUCTION, "REDIS_URL": "redis://cache.internal"}, "-c").stdout)
    assert (values["BROKER"], values["RESULTS"], values["CACHES"]) == (
        "redis://cache.internal",
        "redis://cache.internal/1",
        ["redis://cache.internal/2"],
    )


def test_unix_socket_redis_becomes_kombu_socket_urls_on_separate_databases():
    """The form `make run` and `make test` use (tools/devstack.py)."""
    env = {**PRODUCTION, "REDIS_URL": "unix:///run/redis.sock?db=3"}
    values = json.loads(run_python(PROBE, env, "-c").stdout)
    assert values["BROKER"] == "redis+socket:///run/redis.sock?virtual_host=3"
    assert values["RESULTS"] == "redis+socket:///run/redis.sock?virtual_host=4"
    assert values["CACHES"] == ["unix:///run/redis.sock?db=5"]


def test_each_redis_use_can_be_pointed_elsewhere():
    env = {
        **PRODUCTION,
        "CELERY_BROKER_URL": "redis://queue.internal:6379/0",
        "CELERY_RESULT_BACKEND": "redis://results.internal:6379/0",
        "CACHE_URL": "redis://cache.internal:6379/0",
    }
    values = json.loads(run_python(PROBE, env, "-c").stdout)
    assert (values["BROKER"], values["RESULTS"], values["CACHES"]) == (
        "redis://queue.internal:6379/0",
        "redis://results.internal:6379/0",
        ["redis://cache.internal:6379/0"],
    )


def test_the_running_test_suite_keeps_its_three_redis_databases_apart(settings):
    """What pytest_env chose for this run: a `make run` on the same server never shares them."""
    locations = {
        settings.CELERY_BROKER_URL,
        settings.CELERY_RESULT_BACKEND,
        settings.CACHES["default"]["LOCATION"],
    }
    assert len(locations) == 3


def test_production_refuses_to_start_with_a_stripe_key_and_no_webhook_secret():
    """An empty signing secret verifies an HMAC anyone can make with an empty key."""
    env = {**PRODUCTION, "STRIPE_WEBHOOK_SECRET": ""}
    result = run_python(PROBE, env, "-c")
    assert result.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET must be set" in result.stderr
    without_stripe = {**env, "STRIPE_SECRET_KEY": ""}
    assert run_python(PROBE, without_stripe, "-c").returncode == 0


def test_hsts_subdomains_and_preload_are_off_unless_the_deploy_opts_in():
    assert json.loads(run_python(PROBE, PRODUCTION, "-c").stdout)["HSTS"] == [False, False]
    opted_in = {**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    assert json.loads(run_python(PROBE, opted_in, "-c").stdout)["HSTS"] == [True, True]


def test_a_proxys_https_header_is_trusted_only_when_named():
    assert json.loads(run_python(PROBE, PRODUCTION, "-c").stdout)["PROXY_SSL_HEADER"] is None
    named = {**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    values = json.loads(run_python(PROBE, named, "-c").stdout)
    assert values["PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_api_rates_and_trusted_proxies_come_from_the_environment():
    values = json.loads(run_python(PROBE, PRODUCTION, "-c").stdout)
    assert values["THROTTLES"] == {"anon": "300/minute", "user": "1200/minute"}
    assert values["PROXIES"] == 0  # X-Forwarded-For, which any client writes, counts for nothing
    env = {
        **PRODUCTION,
        "API_THROTTLE_ANON": "60/minute",
        "API_THROTTLE_USER": "10/second",
        "TRUSTED_PROXIES": "1",
    }
    values = json.loads(run_python(PROBE, env, "-c").stdout)
    assert values["THROTTLES"] == {"anon": "60/minute", "user": "10/second"}
    assert values["PROXIES"] == 1


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


@pytest.mark.parametrize(
    "opt_ins",
    [
        pytest.param({}, id="defaults"),
        pytest.param(
            {
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
                "SECURE_HSTS_PRELOAD": "1",
                "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            },
            id="every-opt-in",
        ),
    ],
)
def test_check_deploy_passes_with_production_settings(opt_ins):
    result = run_python("", PRODUCTION | opt_ins, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_devstack_reads_the_demo_logins_before_django_is_set_up():
    """`make run` prints the demo logins from a process where Django's apps are not loaded."""
    code = "from seeding.accounts import DEMO_LOGINS; print(len(DEMO_LOGINS))"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "5"
