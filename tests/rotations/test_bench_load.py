"""`manage.py bench --load`: its reading of Locust's figures, its verdicts, the production settings it
serves with, and the URLs it drives. The load test itself never runs here (docs/performance.md)."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings

from rotations.management.commands._bench_load import (
    Figures,
    ModeResult,
    load_environment,
    load_scenarios,
    read_locust_stats,
    verdicts,
    write_load_table,
)
from tests.factories import catalog_rotation

# The header Locust 2.x writes in `<prefix>_stats.csv`, with two request names and the total.
LOCUST_STATS = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,\
95%,98%,99%,99.9%,99.99%,100%
GET,HTML plain,1200,0,120,130.5,20.1,900.2,41000,20.0,0.0,120,140,150,160,200,260,300,350,800,900,900
GET,API  list,600,6,80,85.0,10.0,400.0,9000,10.0,0.1,80,90,95,100,120,150,170,190,400,400,400
,Aggregated,1800,6,100,115.3,10.0,900.2,30333,30.0,0.1,100,120,140,150,180,230,280,330,800,900,900
"""


def figures(rps: float, *, p95: float = 100.0, failures: int = 0) -> Figures:
    return Figures(requests=1000, failures=failures, rps=rps, p50=p95 / 2, p95=p95, p99=p95 * 2)


def test_locust_stats_are_read_per_request_name_and_for_the_whole_run(tmp_path):
    path = tmp_path / "mix_stats.csv"
    path.write_text(LOCUST_STATS)

    stats = read_locust_stats(path)

    assert set(stats) == {"HTML plain", "API  list", "Aggregated"}
    assert stats["HTML plain"] == Figures(requests=1200, failures=0, rps=20.0, p50=120, p95=260, p99=350)
    assert stats["API  list"].error_rate == 0.01
    assert stats["Aggregated"].rps == 30.0


@pytest.mark.parametrize(("mix_rps", "verdict"), [(50.0, "met"), (49.0, "NOT MET")])
def test_warm_target_is_the_mix_at_half_the_trivial_views_throughput(mix_rps, verdict):
    warm = ModeResult(cache=True, trivial=figures(100.0), mix=figures(mix_rps), in_mix={}, alone={})

    [line] = verdicts(warm)

    assert line.endswith(f": {verdict}")


def test_cold_target_fails_a_scenario_alone_that_is_slow_at_p95_too_few_per_second_or_erring():
    alone = {
        "fine": figures(100.0, p95=249.0),
        "slow": figures(150.0, p95=250.0),
        "few": figures(99.0),
        "erring": figures(300.0, failures=1),
    }
    cold = ModeResult(cache=False, trivial=figures(1000.0), mix=figures(200.0), in_mix={}, alone=alone)

    target, *lines = verdicts(cold)

    assert "target >= 100 req/s, p95 < 250 ms, no errors" in target
    assert [line.rsplit(": ", 1)[1] for line in lines] == ["met", "NOT MET", "NOT MET", "NOT MET"]
    out = StringIO()
    write_load_table(out, [cold])
    assert "erring (alone)" in out.getvalue() and "0.1%" in out.getvalue()


def test_the_load_runs_settings_pass_djangos_deployment_checks():
    """gunicorn serves the load test with these: production's, so `check --deploy` finds nothing."""
    env = load_environment(dict(os.environ), cache=False)
    assert env["DEBUG"] == "0" and "AMO_ALLOW_DEV_SECRET" not in env

    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )

    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout


@pytest.mark.django_db
def test_every_url_the_load_test_drives_answers_over_https_without_a_redirect(client, settings):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    catalog_rotation(slug="cardiology-externship", title="Cardiology Externship")

    scenarios = load_scenarios()

    assert len(scenarios) == 7
    for scenario in scenarios:
        for url in scenario.urls:
            assert client.get(url, secure=True).status_code == 200, url
