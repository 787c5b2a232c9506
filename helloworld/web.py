"""The platform's `web` process: granian serving helloworld.asgi, or in one-dyno mode the whole site.

WEB_MODE=one-dyno runs Procfile.real (web, worker and beat) inside the one web dyno, for the
smallest deployments; anything else runs the web server alone. The process replaces itself
(exec), so the platform's signals reach granian or honcho directly.

Why granian: a public port meets clients that connect and send nothing, or trickle a header or a
body a byte a second. A server that reads sockets in its request threads (gunicorn's gthread:
15 trickling clients stalled 16 threads) cannot be tuned out of that. granian keeps every
connection in a Rust event loop until its request head is complete, closes one whose head takes
longer than WEB_HEADER_TIMEOUT, and Django's ASGI handler reads the body in the event loop too
(helloworld.asgi bounds it): Django's threads only ever see complete requests.
"""

import os
import resource
import sys

from django.core.exceptions import ImproperlyConfigured

from helloworld.env import env_bool, env_int

ONE_DYNO = "one-dyno"
MODES = (ONE_DYNO, "web")
# granian's own ceiling for the header timeout (milliseconds, 1 to 60,000).
MAX_HEADER_TIMEOUT = 60


def open_files_limit() -> int:
    """Raise this process's open-file limit to its hard limit (granian and its workers inherit it):
    every held connection is a file, and the usual soft limit of 1,024 is less than the silent
    connections the web tier must hold beside real ones."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def server_command(environ, open_files: int) -> list[str]:
    local = env_bool("HELLOWORLD_LOCAL", environ=environ)
    header_timeout = min(max(env_int("WEB_HEADER_TIMEOUT", 30, environ), 1), MAX_HEADER_TIMEOUT)
    # Connections held at once per worker process (idle, slow and busy alike): each is a file
    # and a few KiB of the event loop; keep a margin of files for the database and the broker.
    connections = max(64, min(env_int("WEB_MAX_CONNECTIONS", 10_000, environ), open_files - 256))
    return [
        "granian",
        # ASGI without lifespan events: Django has none.
        "--interface", "asginl",
        # The platform routes to $PORT on every interface; locally, listen on loopback only.
        "--host", "127.0.0.1" if local else "0.0.0.0",  # noqa: S104
        "--port", environ.get("PORT", "8000"),
        # The platform sets WEB_CONCURRENCY for the dyno's size; two fits the smallest.
        "--workers", str(env_int("WEB_CONCURRENCY", 2, environ)),
        # The router speaks HTTP/1.1 to dynos; no websockets here.
        "--http", "1",
        "--no-ws",
        # A connection (new or kept alive) that has not sent a whole request head in this long is
        # closed. 30 s by default: the router's own request timeout, and idle connections are
        # cheap to hold here (granian's most is 60 s).
        "--http1-header-read-timeout", str(header_timeout * 1000),
        "--backpressure", str(connections),
        "--backlog", "2048",
        # A dyno gets 30 s between SIGTERM and SIGKILL: in-flight requests get 20 of them.
        "--workers-kill-timeout", "20",
        # A worker process that dies is started again, as gunicorn's arbiter did.
        "--respawn-failed-workers",
        "--access-log",
        "helloworld.asgi:application",
    ]  # fmt: skip


def command(mode: str, environ) -> list[str]:
    if mode == ONE_DYNO:
        port = environ.get("PORT", "8000")
        return [sys.executable, "-m", "helloworld.procfile", "--procfile", "Procfile.real", "start", "--port", port]
    return server_command(environ, open_files_limit())


def main() -> None:
    mode = os.environ.get("WEB_MODE", "web").strip().lower() or "web"
    if mode not in MODES:
        sys.exit(f"WEB_MODE={mode!r} is not a mode; use {' or '.join(MODES)}.")
    try:
        argv = command(mode, os.environ)
    except ImproperlyConfigured as exc:
        sys.exit(str(exc))
    os.execvp(argv[0], argv)  # noqa: S606  (a fixed program and arguments, no shell)


if __name__ == "__main__":
    main()
