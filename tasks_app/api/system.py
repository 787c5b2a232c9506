"""Endpoints about the site rather than one task: the schedule preview, health, the dashboard."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from tasks_app import access, schedules, services, validation
from tasks_app.api.decorators import api_view
from tasks_app.api.errors import error_response, response_for
from tasks_app.beat import heartbeat, lease
from tasks_app.errors import UserError
from tasks_app.http import unavailable
from tasks_app.lib.formats import iso
from tasks_app.selectors import dashboard, monitoring


@api_view("GET")
def schedule_preview(request):
    """What a schedule line means, and its next five runs: the form shows this as a person types."""
    tz = services.site_time_zone()
    try:
        text = validation.check_text(request.GET.get("text", ""), "schedule", "The schedule")
        spec = services.parse_schedule(text)
    except UserError as exc:
        # The form asks on every keystroke: a half-typed line is the person's input, not the
        # server's trouble, so its 400 goes unlogged (django.request warns of every 4xx otherwise).
        response = response_for(exc, request.user)
        response._has_been_logged = True  # django.utils.log.log_response's own "already told" mark
        return response
    now = timezone.now()
    return JsonResponse(
        {
            "text": schedules.text_of(spec, tz=tz),
            "description": schedules.describe(spec, tz=tz),
            # A bounded schedule's count and last run ("5 runs, the last at ..."); null otherwise.
            "runs": schedules.run_summary(spec, tz=tz, after=now),
            "time_zone": str(tz),
            "next_runs": [run.isoformat() for run in schedules.next_runs(spec, tz=tz, after=now, count=5)],
        }
    )


# Public, like any platform health check, and cheap: it answers from tasks_app.selectors.monitoring's shared
# snapshot (at most MONITOR_REFRESH_SECONDS old), never with a broadcast of its own. Anonymous callers
# learn only ok or not for each part; staff (and local mode) also get names, hosts and the error.
@api_view("GET", public=True)
def health(request):
    """Is the broker reachable, does a worker answer, is a beat alive: 200, or 503 while the broker
    is unreachable (or not yet checked, just after a start)."""
    snapshot = monitoring.current()
    beat = heartbeat.live_beat()
    state = "ok" if snapshot.broker_ok else "broker unreachable" if snapshot.known else "starting"
    body = {
        "status": state,
        "broker": {"reachable": snapshot.broker_ok},
        "workers": {"alive": snapshot.workers_ok},
        "beat": {"alive": beat is not None},
    }
    if _detailed(request):
        leader = lease.leader()
        body["checked_at"] = iso(snapshot.taken_at) if snapshot.known else None
        body["broker"].update(kind=settings.BROKER.kind, display=settings.BROKER.display, error=snapshot.broker_error)
        body["workers"]["nodes"] = {worker.name: worker.queues for worker in snapshot.workers if worker.alive}
        body["beat"].update(
            last_tick=iso(beat.last_tick) if beat else None,
            leader=leader.holder if leader else None,
        )
    return JsonResponse(body, status=200 if snapshot.broker_ok else 503)


def _detailed(request) -> bool:
    """Staff see the details. A session the database cannot read in time (a locked session table) is
    answered as anonymous: health answers from the monitoring snapshot, not from the session."""
    try:
        return access.is_open(request.user)
    except unavailable.DATABASE_ERRORS:
        return False


@api_view("GET")
def dashboard_api(request):
    return JsonResponse(dashboard.collect(request.user).as_json())


# Any other path under /api/ ending in a slash (an unknown endpoint, or an id its route's converter
# refuses, such as /api/periodic/-1/): a JSON 404 like the API's own, not Django's HTML page.
# Schemathesis found the HTML one. Paths without the slash still get APPEND_SLASH's redirect first.
@login_not_required
@csrf_exempt
def unknown_endpoint(request):
    return error_response(404, f"No API endpoint at {request.path[:200]}; see /api/openapi.json.")
