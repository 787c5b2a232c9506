"""The Celery app: configured from Django settings under the CELERY_ namespace."""

import os

from celery import Celery

from helloworld import cli

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helloworld.settings")

app = Celery("helloworld")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
cli.install(app)  # Django set up for Celery's CLI (call, result, inspect, flower)
