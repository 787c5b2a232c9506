"""gunicorn settings for the platform and for `make run` (one switch: HELLOWORLD_LOCAL)."""

import os

_local = os.environ.get("HELLOWORLD_LOCAL", "").lower() in {"1", "true", "yes", "on"}

# The platform routes to $PORT on every interface; locally, listen on loopback only.
bind = f"{'127.0.0.1' if _local else '0.0.0.0'}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# The platform sets WEB_CONCURRENCY for the dyno's size; two fits the smallest.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# The router gives up on a request after 30 s: end slow requests before it does.
timeout = 25
# A dyno gets 30 s between SIGTERM and SIGKILL: finish in-flight requests within that.
graceful_timeout = 20
# Longer than the router's 90 s idle timeout, so gunicorn never closes a connection the
# router still thinks is open.
keepalive = 95
# Only the platform's router connects to a dyno; trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
accesslog = "-"
