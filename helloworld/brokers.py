"""Which message broker the environment asks for, and the settings its providers recommend.

This is the only module that knows the broker environment variables. Settings ask it once
(`from_environ`) and copy the answer into the `CELERY_BROKER_*` settings; pages and the
health endpoint show `Broker.display`, which never contains a password.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from helloworld import transports
from helloworld.env import env_float

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
    transports.SCHEME: "filesystem",
}

# Redis hands an unacknowledged task to another worker only after this: a task whose worker
# was SIGKILLed (a crash, an out-of-memory kill) runs again this long after it started. It must
# stay longer than any task may run or wait (long_task's 600 s, fetch_url's retries), or a task
# still running would be handed to a second worker. REDIS_VISIBILITY_TIMEOUT overrides it.
REDIS_VISIBILITY_TIMEOUT = 2 * 60 * 60
# Flower runs up to eight remote-control broadcasts at once, from threads, and each holds one pooled
# connection while it waits for a second to publish with: with fewer than nine, every connection is
# held by a broadcast waiting for another, and Flower hangs (no workers, no answer, deaf to SIGTERM).
# Celery's CLI tools other than the worker and beat (helloworld/cli.py) use this pool instead of
# the provider's advice for the site's own processes; CELERY_MONITOR_POOL_LIMIT overrides it.
MONITOR_POOL_LIMIT = 10
CERT_REQS = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


@dataclass(frozen=True)
class Broker:
    url: str
    kind: str  # "rabbitmq", "redis" or "filesystem"
    source: str  # the environment variable that named it, or "default"
    transport_options: dict = field(default_factory=dict)
    # Celery's own broker settings (CELERY_BROKER_POOL_LIMIT, ...); None keeps Celery's default.
    pool_limit: int | None = None
    # The pool of Celery's other command-line tools (Flower above all): see MONITOR_POOL_LIMIT.
    monitor_pool_limit: int | None = None
    heartbeat: float | None = None
    connection_timeout: float | None = None
    use_ssl: dict | None = None
    # The kombu transport to use instead of the one the URL's scheme names (CELERY_BROKER_TRANSPORT):
    # the site's Redis transport, asked for by the site's settings only (helloworld.transports).
    transport: str | None = None

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

    Every process on the machine shares the queues: one folder per queue under `queues_folder`,
    messages written whole in `data_folder_in`/`data_folder_out` first; `control_folder` holds the
    exchanges' bindings, which remote control (`inspect ping`) and events need. The transport is
    kombu's, made fast and tidy (helloworld.transports).
    """
    root = Path(data_dir) / "broker"
    folders = {
        "data_folder_in": root / "queue",
        "data_folder_out": root / "queue",
        "queues_folder": root / "queues",
        "processed_folder": root / "processed",
        "control_folder": root / "control",
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    options = {name: str(path) for name, path in folders.items()}
    options["store_processed"] = False
    # How often the transport looks for messages when nothing woke it: a producer's doorbell and an
    # ack wake it at once (helloworld/transports/doorbell.py), so this only bounds a missed wake-up.
    options["polling_interval"] = 0.2
    return Broker(
        url=f"{transports.SCHEME}://localhost//", kind="filesystem", source="default", transport_options=options
    )


def rabbitmq(url: str, source: str, environ) -> Broker:
    """CloudAMQP's advice: one pooled connection per process (plans limit connections), no AMQP
    heartbeats (its servers use TCP keep-alive), a 30 s connection timeout (slow DNS)."""
    return Broker(
        url=url,
        kind="rabbitmq",
        source=source,
        # Publisher confirms: a publish the broker did not take raises instead of vanishing.
        transport_options={"confirm_publish": True},
        pool_limit=int(env_float("CELERY_BROKER_POOL_LIMIT", 1, environ)),
        monitor_pool_limit=int(env_float("CELERY_MONITOR_POOL_LIMIT", MONITOR_POOL_LIMIT, environ)),
        heartbeat=env_float("CELERY_BROKER_HEARTBEAT", None, environ) or None,
        connection_timeout=env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 30, environ),
    )


def redis(url: str, source: str, environ) -> Broker:
    """Heroku Data for Redis serves TLS (rediss://) with a self-signed certificate, so on that
    add-on (REDIS_URL) certificates are not checked unless REDIS_SSL_CERT_REQS says so."""
    use_ssl = None
    if urlsplit(url).scheme == "rediss":
        default = "none" if source == "REDIS_URL" else "required"
        wanted = environ.get("REDIS_SSL_CERT_REQS", "").strip().lower() or default
        if wanted not in CERT_REQS:
            raise ImproperlyConfigured(f"REDIS_SSL_CERT_REQS={wanted!r}; use none, optional or required.")
        use_ssl = {"ssl_cert_reqs": CERT_REQS[wanted]}
    return Broker(
        url=url,
        kind="redis",
        source=source,
        transport_options={
            "visibility_timeout": int(env_float("REDIS_VISIBILITY_TIMEOUT", REDIS_VISIBILITY_TIMEOUT, environ)),
            # Fail a publish within seconds when Redis is gone, instead of hanging a request.
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "retry_on_timeout": True,
            # Small plans allow 20 to 40 connections for all dynos together.
            "max_connections": int(env_float("REDIS_MAX_CONNECTIONS", 10, environ)),
            "health_check_interval": 25,
            # Serve the queues in the order the worker lists them (high, default, low): one BRPOP
            # names them all in that order and Redis pops from the first that is not empty. The
            # default, round_robin, moves the queue just served to the end of the list.
            "queue_order_strategy": "priority",
        },
        pool_limit=int(env_float("CELERY_BROKER_POOL_LIMIT", 2, environ)),
        monitor_pool_limit=int(env_float("CELERY_MONITOR_POOL_LIMIT", MONITOR_POOL_LIMIT, environ)),
        connection_timeout=env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 10, environ),
        use_ssl=use_ssl,
        transport=transports.REDIS_SCHEME,
    )


def from_environ(environ, data_dir: Path) -> Broker:
    for name in URL_VARIABLES:
        url = environ.get(name, "").strip()
        if url:
            kind = kind_of(url)
            if kind == "rabbitmq":
                return rabbitmq(url, name, environ)
            if kind == "redis":
                return redis(url, name, environ)
            return filesystem(data_dir)
    return filesystem(data_dir)
