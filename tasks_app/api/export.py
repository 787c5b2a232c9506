"""`GET /api/tasks/export/?format=csv|json&<filters>`: the tasks list as the filters select it, streamed
(tasks_app.http.export): at most TASK_EXPORT_MAX_ROWS rows, newest first, what this user may see."""

from __future__ import annotations

from tasks_app.api.decorators import api_view
from tasks_app.http.export import download


@api_view("GET", "HEAD")
def task_export(request):
    return download(request.user, request.GET)
