"""`GET /metrics`: the site's metrics in Prometheus' text format (the collector: tasks_app.selectors.metrics)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from tasks_app.selectors.metrics import SiteCollector


def _allowed(request) -> bool:
    """Local mode, a staff session, or the METRICS_TOKEN as a Bearer token (compared in constant time,
    so that the answer's timing says nothing about how much of a guess was right)."""
    if settings.LOCAL_MODE or (request.user.is_authenticated and request.user.is_staff):
        return True
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    expected = settings.METRICS_TOKEN
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), expected)


# Exempt from LoginRequiredMiddleware: a scraper is not a browser, it needs a 401, not a login page.
@login_not_required
@require_GET
def metrics(request):
    if not _allowed(request):
        response = HttpResponse("Send 'Authorization: Bearer <METRICS_TOKEN>', or log in as staff.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # A registry per request: the collector reads the database afresh; nothing is kept between scrapes.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
