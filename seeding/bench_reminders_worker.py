"""The Celery app of the workers and beats that the reminders benchmark and the reminder worker
tests start in processes of their own (`celery -A seeding.bench_reminders_worker worker`): the
project's app, sending and taking its tasks on the benchmark's own queue (so a `make run` worker on
the same Redis never takes them), with the stage's renderer registered (seeding/bench_reminders.py).
"""

import django

from amo.celery import app

django.setup()

from rotations.management.commands._bench_payments import route_tasks_to_bench_queue  # noqa: E402
from seeding.bench_reminders import stage_renderer_register  # noqa: E402

route_tasks_to_bench_queue()
stage_renderer_register()

__all__ = ["app"]
