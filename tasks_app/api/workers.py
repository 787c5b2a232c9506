"""The workers, staff only: `GET /api/workers/`, `GET /api/workers/<name>/` and
`POST /api/workers/<name>/<action>/` with the command's arguments as a JSON object (the JSON twin of
tasks_app.views.workers, over the same selectors and service)."""

from __future__ import annotations

from django.http import JsonResponse

from tasks_app.api.decorators import api_view, json_body
from tasks_app.selectors import workers
from tasks_app.services import worker_control


def _who(request) -> str:
    return request.user.get_username() if request.user.is_authenticated else "the local user"


@api_view("GET", staff=True)
def worker_collection(request):
    actions = [workers.action_json(row) for row in workers.recent_actions()]
    return JsonResponse({"workers": [worker.as_json() for worker in workers.listed()], "actions": actions})


@api_view("GET", staff=True)
def worker_item(request, name):
    actions = [workers.action_json(row) for row in workers.recent_actions(name)]
    return JsonResponse({**workers.detail(name).as_json(), "actions": actions})


@api_view("POST", staff=True)
def worker_action(request, name, action):
    """Send the command and answer what the worker said: 200 whether it said ok, error or nothing
    (`outcome`); bad arguments are a 400 and nothing is sent."""
    arguments = json_body(request) if request.body else {}
    outcome = worker_control.send(name, action, arguments, by=_who(request))
    return JsonResponse(outcome.as_json())
