"""Only JSON: a real worker refuses a pickled task message, never runs it, and goes on working."""

import logging
import pickle

import pytest
from celery import uuid
from django.conf import settings
from django_celery_results.models import TaskResult
from kombu import Producer

from tasks_app import tasks
from tests.support.waiting import wait_for

QUEUE = settings.QUEUES["default"]


class Marker:
    """Unpickling this creates a file: proof that a message was deserialized with pickle."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def publish_pickled(app, task_id: str, args: tuple) -> None:
    """A protocol-2 task message for `echo`, serialized with pickle, sent straight through kombu."""
    queue = app.amqp.queues[QUEUE]
    embed = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
    with app.connection_for_write() as connection:
        producer = Producer(connection.default_channel)
        producer.publish(
            (args, {}, embed),
            serializer="pickle",
            exchange=queue.exchange,
            routing_key=queue.routing_key,
            declare=[queue],
            headers={
                "lang": "py",
                "task": tasks.echo.name,
                "id": task_id,
                "root_id": task_id,
                "parent_id": None,
                "group": None,
                "retries": 0,
                "eta": None,
                "expires": None,
                "timelimit": [None, None],
                "argsrepr": "(Marker(),)",
                "kwargsrepr": "{}",
                "origin": "test_json_only",
            },
        )


def test_the_marker_would_act_if_it_were_unpickled(tmp_path):
    pickle.loads(pickle.dumps(Marker(tmp_path / "unpickled"))).close()  # unpickling is what opens the file
    assert (tmp_path / "unpickled").exists()


@pytest.mark.broker_bound
@pytest.mark.parametrize("broker", ["filesystem", "redis", "rabbitmq"], indirect=True)
def test_a_worker_refuses_a_pickled_task_and_runs_the_json_one_after_it(
    celery_app, celery_worker, broker, tmp_path, caplog
):
    assert celery_app.conf.accept_content == ["json"]
    marker = tmp_path / "pickle-was-executed"
    pickled_id = uuid()
    publish_pickled(celery_app, pickled_id, (Marker(marker),))

    after = tasks.echo.apply_async(["json after pickle"], queue=QUEUE)
    assert after.get(timeout=30) == "json after pickle"  # the worker survived and went on

    # Celery logs the refusal with the raw body (where the marker's path shows), not the task id.
    refused = wait_for(
        lambda: [
            r for r in caplog.records if "Refusing to deserialize" in r.getMessage() and str(marker) in r.getMessage()
        ],
        timeout=15,
        message="the worker to log the refused pickle message",
    )
    logged = refused[0].getMessage()
    assert len(refused) == 1  # refused once and discarded, not redelivered
    assert refused[0].levelno == logging.ERROR
    assert refused[0].name == "celery.worker.consumer.consumer"
    assert logged.startswith(
        "Received invalid task message: Refusing to deserialize untrusted content of type pickle "
        "(application/x-python-serialize)"
    )
    assert "The message has been ignored and discarded." in logged
    assert not marker.exists()
    assert not TaskResult.objects.filter(task_id=pickled_id).exists()
    assert TaskResult.objects.get(task_id=after.id).status == "SUCCESS"
