"""Every response carries the site's Content-Security-Policy (tasks_app/http/csp.py): each page and
endpoint that takes no argument in its path, a task's page, a 404, a static file, the admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from tasks_app import services
from tasks_app.http.csp import POLICY

pytestmark = pytest.mark.django_db


def plain_paths(patterns=None, prefix: str = "") -> list[str]:
    """Every route without a parameter, as a path: the pages and endpoints a test can GET as they are."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        route = route.removeprefix("^").removesuffix("$")
        if re.search(r"[<>()\[\]*+?\\^$]", route) or route == "admin/autocomplete/":  # parameters; needs a query
            continue
        if isinstance(entry, URLResolver):
            found += plain_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            found.append("/" + prefix + route)
    return sorted(set(found))


def test_every_page_and_endpoint_sends_the_policy(client, settings):
    user = get_user_model().objects.create_superuser("staff", password="pw")
    client.force_login(user)
    paths = plain_paths()
    assert {"/", "/tasks/", "/dashboard/", "/api/", "/api/explorer/", "/api/openapi.json", "/admin/"} <= set(paths)
    record = services.enqueue("echo", ["hi"], owner=user)
    paths += [f"/tasks/{record.task_id}/", "/no-such-page/", "/admin/django_celery_beat/periodictask/add/"]
    paths += [f"{settings.STATIC_URL}site.css"]
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        assert response.get("Content-Security-Policy") == POLICY, (path, response.status_code)


def test_the_policy_allows_only_the_sites_own_scripts_and_styles():
    directives = dict(part.split(" ", 1) for part in POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in POLICY


def test_with_debug_on_djangos_own_error_pages_stay_readable(client, settings):
    settings.DEBUG = True  # make run: the technical 404 page, all inline styles
    assert "Content-Security-Policy" not in client.get("/no-such-page/")
    assert client.get("/").get("Content-Security-Policy") == POLICY
