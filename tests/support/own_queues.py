"""A Celery app on a broker with queues and remote control nobody else uses.

The session's embedded worker (tests/conftest.py) consumes the run's queues for as long as its
broker's tests run, so "tasks waiting with no worker" needs queues it does not consume, and a
worker list that shows only the worker a test started needs a control exchange of its own.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from kombu import Queue

from tests.support.celery import app_on_broker


@contextmanager
def app_with_own_queues(settings, broker):
    """`settings` is pytest-django's fixture: the site's queue names (catalog, services, queues)
    and the app's Celery configuration both read them, so both see the new prefix."""
    prefix = f"hwdash{uuid.uuid4().hex[:10]}"
    settings.QUEUE_PREFIX = prefix
    settings.QUEUES = {name: f"{prefix}.{name}" for name in ("high", "default", "low")}
    settings.CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in settings.QUEUES.values()]
    settings.CELERY_TASK_DEFAULT_QUEUE = settings.QUEUES["default"]
    settings.CELERY_CONTROL_EXCHANGE = prefix
    settings.CELERY_EVENT_EXCHANGE = f"{prefix}.celeryev"
    with app_on_broker(broker.url, broker.transport_options) as app:
        try:
            yield app
        finally:
            if broker.kind == "rabbitmq":  # RabbitMQ keeps declared queues; leave none behind
                with app.connection_for_write() as connection:
                    for queue in app.amqp.queues.values():
                        queue(connection.default_channel).delete()
