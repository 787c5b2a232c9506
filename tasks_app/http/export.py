"""The streamed download of the tasks list (tasks_app.selectors.export), one response for the page
(`/tasks/export/`) and the API (`GET /api/tasks/export/`) alike."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from tasks_app import services
from tasks_app.selectors import export, filters

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def download(user, params) -> StreamingHttpResponse:
    """The export these query parameters ask for (`format` and the list's filters), as `user` may see
    it; a UserError (TaskInputError) for a bad filter or format, before anything is streamed."""
    format = export.format_from(params.get("format"))
    cleaned = filters.parse(params, services.site_time_zone())
    response = StreamingHttpResponse(export.stream(user, cleaned, format), content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{export.filename(format)}"'
    response["Cache-Control"] = "no-store"
    return response
