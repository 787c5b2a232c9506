"""The site's 500 handler (helloworld/urls.py: handler500): a database that is busy or unreachable is a 503
with Retry-After (the API's JSON for an API endpoint, a short page elsewhere), never "Server Error (500)".

A handler rather than a middleware's process_exception: the session is read (and may meet a locked table)
in middleware, before any view runs, where only the 500 handler sees the error. With DEBUG on (local mode)
Django shows its debug page instead, as for any error; API endpoints answer their JSON 503 either way
(tasks_app.api.decorators.json_errors), so this handler's JSON is only a safety net for them.
"""

from django.http import HttpResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.views.defaults import server_error as django_server_error

from tasks_app.api.errors import database_unavailable
from tasks_app.http import unavailable


def server_error(request):
    if not unavailable.database_error_in_flight():
        return django_server_error(request)
    if _api_endpoint(request):
        return database_unavailable()
    # Rendered without the request: its context processors would ask the database for the user.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    return response


def _api_endpoint(request) -> bool:
    """Is this one of the JSON API's endpoints (not the pages under /api/ that document it)?"""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return False
    return view.__module__.startswith("tasks_app.api.")
