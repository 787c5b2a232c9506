"""Which message broker the environment asks for, and the transport options that suit it.

This is the only module that knows the broker environment variables. Settings ask it once
(`from_environ`) and copy the answer into the `CELERY_BROKER_*` settings; pages and the
health endpoint show `Broker.display`, which never contains a password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Looked up in this order; the first one set wins. The platform add-ons set the later ones:
# CloudAMQP (RabbitMQ), Heroku Data for Redis, Redis Cloud, RedisToGo.
URL_VARIABLES = (
    "CELERY_BROKER_URL",
    "CLOUDAMQP_URL",
    "REDIS_URL",
    "REDISCLOUD_URL",
    "REDISTOGO_URL",
)

KINDS_BY_SCHEME = {
    "amqp": "rabbitmq",
    "amqps": "rabbitmq",
    "pyamqp": "rabbitmq",
    "redis": "redis",
    "rediss": "redis",
    "filesystem": "filesystem",
}


@dataclass(frozen=True)
class Broker:
    url: str
    kind: str  # "rabbitmq", "redis" or "filesystem"
    source: str  # the environment variable that named it, or "default"
    transport_options: dict = field(default_factory=dict)

    @property
    def display(self) -> str:
        """Kind and host, safe to show anyone: never the user name or password."""
        if self.kind == "filesystem":
            return "filesystem (embedded)"
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{self.kind} at {host}"


def kind_of(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    try:
        return KINDS_BY_SCHEME[scheme]
    except KeyError:
        known = ", ".join(f"{s}://" for s in KINDS_BY_SCHEME)
        raise ImproperlyConfigured(
            f"Unsupported broker URL scheme {scheme + '://' if scheme else '(none)'}; use one of {known}."
        ) from None


def filesystem(data_dir: Path) -> Broker:
    """kombu's filesystem transport with every folder under `data_dir`, created on first use.

    One folder serves as both inbox and outbox so that every process on the machine shares
    the queues; `control_folder` enables fanout, which remote control (`inspect ping`) needs.
    """
    root = Path(data_dir) / "broker"
    folders = {
        "data_folder_in": root / "queue",
        "data_folder_out": root / "queue",
        "processed_folder": root / "processed",
        "control_folder": root / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    options = {name: str(path) for name, path in folders.items()}
    options["store_processed"] = False
    # The transport polls the folder; the default second makes every task feel slow locally.
    options["polling_interval"] = 0.2
    return Broker(url="filesystem://localhost//", kind="filesystem", source="default", transport_options=options)


def from_environ(environ, data_dir: Path) -> Broker:
    for name in URL_VARIABLES:
        url = environ.get(name, "").strip()
        if url:
            kind = kind_of(url)
            if kind == "filesystem":
                return filesystem(data_dir)
            return Broker(url=url, kind=kind, source=name)
    return filesystem(data_dir)
