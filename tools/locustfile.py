"""Locust's users for `manage.py bench --load` (rotations/management/commands/_bench_load.py).

The plan comes from the bench command in AMO_LOAD_PLAN: scenarios, each with a name, its URLs and
its weight in the mix. Each user requests without pause (like wrk) a scenario drawn by weight and
one of its URLs at random, reported under the scenario's name. It sends X-Forwarded-Proto: https
as the TLS-terminating proxy in front of gunicorn does in production.
"""

import json
import os
import random

from locust import FastHttpUser, constant, task

PLAN = json.loads(os.environ["AMO_LOAD_PLAN"])
NAMES = [scenario["name"] for scenario in PLAN]
WEIGHTS = [scenario["weight"] for scenario in PLAN]
URLS = {scenario["name"]: scenario["urls"] for scenario in PLAN}


class AnonymousVisitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def browse(self) -> None:
        name = random.choices(NAMES, weights=WEIGHTS)[0]
        self.client.get(random.choice(URLS[name]), name=name, headers={"X-Forwarded-Proto": "https"})
