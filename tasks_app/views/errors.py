"""The site's 500 handler (helloworld/urls.py: handler500): a database that is busy or unreachable is a 503
with Retry-After (the API's JSON under /api/, a short page elsewhere), never Django's "Server Error (500)".

A handler rather than a middleware's process_exception: the session is read (and may meet a locked table)
in middleware, before any view runs, where only the 500 handler sees the error. With DEBUG on (local mode)
Django shows its debug page instead, as for any error; the API answers its JSON 503 either way.
"""

from django.http import HttpResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

from tasks_app import unavailable
from tasks_app.api.decorators import database_unavailable


def server_error(request):
    if not unavailable.database_error_in_flight():
        return django_server_error(request)
    if request.path.startswith("/api/"):
        return database_unavailable()
    # Rendered without the request: its context processors would ask the database for the user.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    return response
