"""The Django settings of the stock stack (bench/stock_app.py): what a Django user sets up from
Celery's and django-celery-results' documentation, and nothing of the site's.

The benchmark's database (DATABASE_URL, already migrated by the site), the broker in
BENCH_STOCK_BROKER, results through `django-db` with started state and extended results.
"""

import os

import dj_database_url

SECRET_KEY = "bench-stock-stack"  # a benchmark's throwaway project
USE_TZ = True
INSTALLED_APPS = ["django_celery_results"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = os.environ.get("BENCH_STOCK_BROKER", "redis://127.0.0.1:6379/14")
CELERY_RESULT_BACKEND = "django-db"
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXTENDED = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_STOCK_QUEUE", "bench.stock")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
