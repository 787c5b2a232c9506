"""gunicorn settings for the platform and for `make run` (one switch: HELLOWORLD_LOCAL)."""

import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return value in _TRUE if value else default


_local = _flag("HELLOWORLD_LOCAL", False)
# As helloworld.settings.TRUST_PROXY_HEADERS: on by default only on the platform (DYNO is set in every dyno).
_trust = _flag("TRUST_PROXY_HEADERS", "DYNO" in os.environ)

# The platform routes to $PORT on every interface; locally, listen on loopback only.
bind = f"{'127.0.0.1' if _local else '0.0.0.0'}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# The platform sets WEB_CONCURRENCY for the dyno's size; two fits the smallest.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, not sync workers: a sync worker is held by one slow client for the whole timeout (two
# trickling connections stopped the site for 25 s); gthread waits for a new connection's first bytes
# in its poller and gives each request a thread, so a few stalled clients hold a few threads of many.
# (gunicorn 27 has no timeout on reading headers or a body: a client trickling them holds its thread
# until it finishes or hangs up; an async worker class would need gevent, a dependency we skip.)
worker_class = "gthread"
# Threads per worker: 2 x 8 = 16 requests at once per dyno (each thread keeps its own database
# connection, CONN_MAX_AGE; lower GUNICORN_THREADS on a database plan with few connections).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Under gthread this is the worker's heartbeat (a hung process is restarted), not a per-request limit:
# the router ends any request after 30 s, and our own slow paths are bounded in code (health, purge).
timeout = 25
# A dyno gets 30 s between SIGTERM and SIGKILL: finish in-flight requests within that.
graceful_timeout = 20
# Longer than the router's idle keepalive (55 s; 90 s on older routers), so gunicorn never closes a
# connection the router still thinks is open; gthread keeps idle connections in its poller, not a thread.
keepalive = 95
# Our URLs are short (cursors included): a request line past 4 KiB is an attack, refused with a 400.
limit_request_line = 4096
# Browsers and the router send about 20 headers; refuse the floods sent to hold a thread on parsing.
limit_request_fields = 50
# One header up to 8 KiB, gunicorn's most (cookies and API tokens fit well within).
limit_request_field_size = 8190
# Trust X-Forwarded-Proto only from the platform's router (which overwrites it); elsewhere only from
# loopback, gunicorn's default, so a client reaching the port directly cannot claim HTTPS.
forwarded_allow_ips = "*" if _trust else "127.0.0.1,::1"
accesslog = "-"
# gunicorn's control socket (for `gunicornc`) defaults to one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), so two sites run at once on one machine took over each other's: keep
# it in this site's data directory, as helloworld.settings.DATA_DIR. A Unix socket path has at most
# 107 bytes: past that (a deeply nested clone), no control socket rather than a startup warning.
_data_dir = Path(os.environ.get("HELLOWORLD_DATA_DIR") or Path(__file__).resolve().parent.parent / "var").resolve()
control_socket = str(_data_dir / "gunicorn.ctl")
control_socket_disable = len(control_socket.encode()) > 107
