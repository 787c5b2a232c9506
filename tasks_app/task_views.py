"""Pages for operating on tasks: the tasks list."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods
from django_celery_beat.models import PeriodicTask

from tasks_app import access, catalog, services
from tasks_app import task_list as listing
from tasks_app.models import TaskRecord


@access.login_required
@require_http_methods(["GET", "HEAD"])
def task_list(request):
    records = access.visible_tasks(request.user, TaskRecord.objects.all())
    context = {
        "states": listing.STATES,
        "task_names": sorted(catalog.ENTRIES),
        "queues": list(settings.QUEUES),
        "values": {name: request.GET.get(name, "") for name in listing.FILTER_FIELDS},
        "error": None,
        "page": None,
    }
    try:
        filters = listing.parse_filters(request.GET, services.site_time_zone())
        page = listing.page(listing.apply(records, filters), request.GET.get("cursor", ""))
    except catalog.TaskInputError as exc:
        context["error"] = exc
        return render(request, "tasks_app/task_list.html", context, status=400)
    context.update(
        page=page,
        periodic_names=PeriodicTask.objects.exclude(task="celery.backend_cleanup")
        .order_by("name")
        .values_list("name", flat=True)[:200],
        newer_url=_page_url(filters, page.newer_cursor),
        older_url=_page_url(filters, page.older_cursor),
        filtered=bool(filters),
    )
    return render(request, "tasks_app/task_list.html", context)


def _page_url(filters: listing.Filters, cursor: str | None) -> str | None:
    return "?" + urlencode({**filters.params, "cursor": cursor}) if cursor else None
