"""The stock stack of the end-to-end benchmark: Celery with django-celery-results, set up as their
documentation shows (bench/stock_settings.py), with the worker's default settings.

`celery -A bench.stock_app worker` with DJANGO_SETTINGS_MODULE=bench.stock_settings, DATABASE_URL,
BENCH_STOCK_BROKER and BENCH_STOCK_QUEUE set; the task body is the site's `echo`, under its own name.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stock_settings")

app = Celery("stock")
app.config_from_object("django.conf:settings", namespace="CELERY")

TASK_NAME = "stock.echo"


@app.task(name=TASK_NAME)
def echo(value):
    """Return the value it was given, unchanged (the site's echo)."""
    return value
