"""The machine's PostgreSQL, Redis and RabbitMQ: where each is, whether it answers, how to start it.

A test that needs a service calls `require` (through its fixture in tests/conftest.py): a missing
service skips the test with the reason and the command that starts it; with CI set, it fails
instead, because CI must never pass by skipping.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

IN_CI = bool(os.environ.get("CI"))


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    how_to_start: str


POSTGRESQL = Service(
    "PostgreSQL",
    os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
)
REDIS = Service(
    "Redis",
    # Database 15 keeps the tests away from a developer's own data in database 0 (bench uses 14).
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
)
RABBITMQ = Service(
    "RabbitMQ",
    os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "rabbitmq-server -detached",
)


def _probe(service: Service) -> str | None:
    """None when the service answers, else why not."""
    try:
        if service is POSTGRESQL:
            import psycopg

            psycopg.connect(service.url, connect_timeout=3).close()
        elif service is REDIS:
            import redis

            client = redis.Redis.from_url(service.url, socket_connect_timeout=3)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(service.url, connect_timeout=3) as connection:
                connection.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def skip_or_fail(message: str):
    """Skip the test saying `message`; fail it instead when CI is set."""
    import pytest

    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


_probed: dict[str, str | None] = {}


def require(service: Service) -> str:
    """The service's URL, or skip (fail in CI) with what is missing and how to start it."""
    if service.name not in _probed:
        _probed[service.name] = _probe(service)
    problem = _probed[service.name]
    if problem:
        skip_or_fail(
            f"{service.name} is not reachable at {_host(service.url)} ({problem}). "
            f"Start it with: {service.how_to_start}"
        )
    return service.url
