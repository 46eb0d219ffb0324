"""No Docker engine runs here, so the compose stack is checked as data."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_names_every_service_the_app_needs():
    services = load_compose()["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)


def test_app_services_run_the_right_processes_against_postgres_and_redis():
    services = load_compose()["services"]
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "amo", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "amo", "beat"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert service["build"] or service["image"]
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert {"postgres", "redis"} <= set(service["depends_on"])


def test_web_health_check_uses_healthz():
    web = load_compose()["services"]["web"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_dockerfile_exists_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "constraints.txt" in dockerfile
    assert "collectstatic" in dockerfile
