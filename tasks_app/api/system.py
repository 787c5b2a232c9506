"""Endpoints about the site rather than one task: the schedule preview, health, the dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from tasks_app import dashboard, schedules, services, validation
from tasks_app.api.decorators import api_view
from tasks_app.beat import heartbeat, lease
from tasks_app.broker import control


@api_view("GET")
def schedule_preview(request):
    """What a schedule line means, and its next five runs: the form shows this as a person types."""
    tz = services.site_time_zone()
    text = validation.check_text(request.GET.get("text", ""), "schedule", "The schedule")
    spec = services.parse_schedule(text)
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


# Public, like any platform health check: it names no secret (the broker's host, never its password).
@api_view("GET", public=True)
def health(request):
    """Is the broker reachable, which workers consume which queues, is a beat alive and who leads."""
    problem = control.broker_problem()
    beat = heartbeat.live_beat()
    leader = lease.leader()
    body = {
        "status": "ok" if problem is None else "broker unreachable",
        "broker": {
            "kind": settings.BROKER.kind,
            "display": settings.BROKER.display,
            "reachable": problem is None,
            "error": redact(problem, settings.BROKER.url) if problem else None,
        },
        "workers": control.worker_queues() if problem is None else {},
        "beat": {
            "alive": beat is not None,
            "last_tick": timezone.localtime(beat.last_tick).isoformat() if beat else None,
            "leader": leader.holder if leader else None,
        },
    }
    return JsonResponse(body, status=200 if problem is None else 503)


def redact(text: str, url: str) -> str:
    """An error message with the broker's password taken out, should a library echo the URL."""
    password = urlsplit(url).password
    return text.replace(password, "********") if password else text


@api_view("GET")
def dashboard_api(request):
    return JsonResponse(dashboard.collect().as_json())
