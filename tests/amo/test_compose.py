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


def test_exactly_one_beat_runs_and_no_worker_embeds_another():
    services = load_compose()["services"]
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    for service in services.values():
        assert not {"-B", "--beat"} & set(service.get("command", []))
    assert "--scale beat" not in (ROOT / "docker-compose.yml").read_text()


def test_web_health_check_runs_the_probe_module():
    web = load_compose()["services"]["web"]
    assert web["healthcheck"]["test"] == ["CMD", "python", "-m", "amo.health_probe"]


def test_migrations_run_once_before_web_worker_and_beat_start():
    services = load_compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert "migrate" not in " ".join(services["web"]["command"])
    for name in ("web", "worker", "beat"):
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["postgres"] == {"condition": "service_healthy"}
        assert depends_on["redis"] == {"condition": "service_healthy"}
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["redis"]


def test_production_settings_that_have_no_safe_default_must_be_given():
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in ("SECRET_KEY", "SITE_URL", "EMAIL_URL", "POSTGRES_PASSWORD"):
        assert f"${{{variable}:?" in text, f"{variable} should be required by compose"
        assert f"${{{variable}:-" not in text, f"{variable} should have no default in compose"
    assert "console://" not in load_compose()["x-app-environment"]["EMAIL_URL"]


def test_scaled_web_replicas_each_get_a_host_port_from_a_range():
    web = load_compose()["services"]["web"]
    assert web["ports"] == ["${WEB_PORTS:-8000}:8000"]


def test_dockerfile_exists_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "constraints.txt" in dockerfile
    assert "collectstatic" in dockerfile
