"""`/tasks/export/?format=csv|json&<filters>`: the tasks list, as filtered, streamed as a download
(tasks_app.http.export; the API's twin is `GET /api/tasks/export/`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from tasks_app.errors import UserError
from tasks_app.http.export import download
from tasks_app.selectors import filters


@require_GET
def task_export(request):
    try:
        return download(request.user, request.GET)
    except UserError as exc:  # a bad filter or format: said on the list, as the bulk actions do
        messages.error(request, exc.message)
        given = {name: request.GET[name] for name in filters.FIELDS if request.GET.get(name, "").strip()}
        return redirect(reverse("task-list") + (f"?{urlencode(given)}" if given else ""))
