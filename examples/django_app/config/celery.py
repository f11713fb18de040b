"""The Celery app the worker and beat tasks start (`celery -A config worker|beat`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
# CELERY_* settings (broker URL, TLS) come from Django's settings, which read the task environment.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task
def ping() -> str:
    """A task the smoke check or an operator can send to prove the worker consumes the queue."""
    return "pong"
