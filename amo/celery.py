import os

import pghistory
from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amo.settings")


class AuditedTask(Task):
    """Every task: what a run writes is recorded in the audit trail as made by the task, by name
    (amo/audit.py). Celery calls __call__ for a worker's run and for a direct call alike."""

    def __call__(self, *args, **kwargs):
        with pghistory.context(task=self.name):
            return super().__call__(*args, **kwargs)


app = Celery("amo", task_cls=AuditedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
