"""GET /api/openapi.json: a valid OpenAPI 3.1 document of exactly the routes of tasks_app/api/urls.py."""

import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

from tasks_app.api import urls
from tests.support import openapi

pytestmark = pytest.mark.django_db


def documented(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_is_valid_openapi_3_1(client):
    document = documented(client)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["securitySchemes"]) == {"token", "session"}


def test_every_route_of_the_api_is_in_the_document_and_nothing_else():
    served = [route for route in urls.urlpatterns if route.name != urls.NOT_FOUND]
    routes = {"/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(route.pattern)) for route in served}
    assert routes == set(openapi.document()["paths"])


def test_every_documented_operation_is_served(client):
    """No documented method is a 405; each call is chosen to change nothing (404s and 400s)."""
    for template, operations in openapi.document()["paths"].items():
        path = template.format(**openapi.PATH_PARAMETERS)
        for method in operations:
            # Filters no task can pass keep retry-all and revoke-all from acting on anything.
            query = "?state=NOPE" if template in ("/api/tasks/retry/", "/api/tasks/revoke/") else ""
            response = client.generic(method.upper(), path + query)  # the conftest checks each answer
            assert response.status_code != 405, f"{method} {template}"


def test_an_answer_that_does_not_fit_the_document_is_caught():
    with pytest.raises(openapi.Mismatch, match="does not fit"):
        openapi.check("GET", "/api/tasks/abc/", 200, "application/json", b'{"id": 1}')
    with pytest.raises(openapi.Mismatch, match="does not list"):
        openapi.check("GET", "/api/tasks/abc/", 418, "application/json", b"{}")
    with pytest.raises(openapi.Mismatch, match="not in the OpenAPI document"):
        openapi.check("GET", "/api/nowhere/", 200, "application/json", b"{}")


def test_in_production_the_document_needs_a_login_like_the_page_that_links_it(client, production):
    assert client.get("/api/openapi.json").status_code == 401


def test_the_api_page_links_the_document_and_the_explorer_which_needs_no_internet(client):
    page = client.get("/api/").content.decode()
    assert 'href="/api/openapi.json"' in page and 'href="/api/explorer/"' in page
    explorer = client.get("/api/explorer/").content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', explorer)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert "//" not in "".join(re.findall(r'src="([^"]+)"', explorer)), "a script from another host"
    for asset in assets:  # every file the explorer loads is one of this site's static files
        assert finders.find(asset.removeprefix("/static/")), asset


def test_a_path_no_route_serves_is_a_json_404_not_a_page(client):
    for path in ("/api/periodic/-1/", "/api/nothing/here/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"].startswith(f"No API endpoint at {path}")
