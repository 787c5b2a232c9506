"""The site booted for real (honcho, celery, gunicorn, manage.py as subprocesses): most of them marked slow."""
