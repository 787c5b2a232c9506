"""Celery's own command line (`celery --app helloworld call|result|inspect|purge|flower ...`) made
safe on the site's app: Django set up before the command runs, and a broker pool for monitors.

The worker and beat set Django up themselves (Celery's Django fix-up, at worker_init); the other
commands did not, and the first to touch the result backend (django-celery-results' models) died
with AppRegistryNotReady. celery.py cannot call django.setup() as it is imported: Django imports it
while importing the settings (helloworld/__init__.py loads the app), and setup() there would load
the apps before the settings module has finished. A preload option is Celery's hook for this: its
signal is sent after the app is loaded and before any command runs, and only by the CLI.

The broker pool the providers advise for the site's processes (helloworld/brokers.py) deadlocks a
tool that broadcasts from several threads at once (Flower): every command but the worker and beat
takes MONITOR_BROKER_POOL_LIMIT instead, and, on Redis, kombu's own transport rather than the site's.
"""

from __future__ import annotations

import click
from celery import signals

from helloworld import transports

OPTION = click.Option(["--django-setup/--no-django-setup"], default=True, hidden=True)
SITE_PROCESSES = ("worker", "beat")


def install(app) -> None:
    app.user_options["preload"].add(OPTION)


@signals.user_preload_options.connect
def _before_a_command(app, options, **kwargs) -> None:
    if not options.get("django_setup", True):
        return
    import django
    from django.conf import settings

    django.setup()
    context = click.get_current_context(silent=True)
    command = context.info_name if context else None
    limit = settings.MONITOR_BROKER_POOL_LIMIT
    if command not in SITE_PROCESSES and limit and app.conf.broker_pool_limit is not None:
        app.conf.broker_pool_limit = max(app.conf.broker_pool_limit, limit)
    if command not in SITE_PROCESSES and app.conf.broker_transport == transports.REDIS_SCHEME:
        # The other tools talk through kombu's own Redis transport: Flower tells the broker's kind
        # from the scheme of the connection's URL, which the site's transport would make `hwredis`.
        app.conf.broker_transport = None
