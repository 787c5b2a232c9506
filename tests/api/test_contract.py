"""The OpenAPI document as generated clients read it: every array names its items, every operation has
an id, `Allow` names what each route serves, the answers are the ones described, and each parameter is
exactly as strict in the document as on the server."""

import re
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tasks_app import catalog
from tasks_app.api import openapi
from tasks_app.catalog import Entry
from tasks_app.models import TaskRecord
from tests.support.openapi import PATH_PARAMETERS
from tests.support.waiting import wait_for

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def walk(node, where="#"):
    """Every schema-like dict in the document, with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from walk(value, f"{where}/{position}")


def resolve(schema: dict) -> dict:
    name = schema.get("$ref", "").removeprefix("#/components/schemas/")
    return openapi.document()["components"]["schemas"][name] if name else schema


def fits(schema: dict, value) -> bool:
    """Does the value fit the schema, formats (`date`) included?"""
    full = {**schema, "components": openapi.document()["components"]}
    return Draft202012Validator(full, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(value)


def operations():
    for template, methods in openapi.document()["paths"].items():
        for method, operation in methods.items():
            yield template, method, operation


def test_every_array_names_its_items_and_every_operation_has_an_id_that_reads_well():
    document = openapi.document()
    bare = [where for where, node in walk(document) if node.get("type") == "array" and "items" not in node]
    assert bare == [], "openapi-python-client drops every operation that uses these"
    ids = [operation.get("operationId") for _, _, operation in operations()]
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", str(found)) for found in ids), ids
    assert len(ids) == len(set(ids))
    assert {"listTasks", "sendTask", "sendTasks", "getTask", "revokeTask", "createPeriodicTask"} <= set(ids)


def test_allow_names_every_method_a_route_serves_and_only_those(client):
    for template, methods in openapi.document()["paths"].items():
        path = template.format(**PATH_PARAMETERS)
        served = {method.upper() for method in methods}
        unserved = [method for method in METHODS if method not in methods]
        for method in ("OPTIONS", unserved[0].upper()):
            response = client.generic(method, path)
            assert response.status_code == 405, f"{method} {template}"
            allowed = {name.strip() for name in response["Allow"].split(",")} - {"HEAD"}
            assert allowed == served, f"{method} {template}: Allow {response['Allow']}, serves {served}"


def test_the_tasks_collection_allows_get_and_post(client):
    for method in ("OPTIONS", "DELETE", "PUT"):
        response = client.generic(method, "/api/tasks/")
        assert response.status_code == 405
        assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_the_lists_in_the_document_are_read_from_the_code(monkeypatch, settings):
    before = openapi.build(local_mode=True)["components"]["schemas"]
    assert before["TaskName"]["enum"] == list(catalog.ENTRIES)
    extra = Entry("shout", catalog.ENTRIES["echo"].task, example_args=["hi"])
    monkeypatch.setitem(catalog.ENTRIES, "shout", extra)
    settings.QUEUES = {**settings.QUEUES, "bulk": "helloworld.bulk"}
    after = openapi.build(local_mode=True)["components"]["schemas"]
    assert after["TaskName"]["enum"] == [*before["TaskName"]["enum"], "shout"]
    assert after["QueueName"]["enum"] == [*before["QueueName"]["enum"], "bulk"]
    assert after["State"]["enum"] == ["QUEUED", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]
    assert after["Revoked"]["properties"]["state"]["enum"] == ["REVOKED", "STARTED", "PROGRESS"]


def query_parameters():
    for template, method, operation in operations():
        if method == "get":
            for parameter in operation["parameters"]:
                if parameter["in"] == "query":
                    yield template, parameter


def candidates(name: str, schema: dict) -> list[str]:
    """Values at and past each edge the schema draws, as a query string carries them. A schedule's
    text and a cursor take forms no schema can draw (the schedule grammar, an opaque token): only
    their emptiness and characters are tried."""
    if name == "cursor":
        return [""]
    if name == "text":
        return ["", "a\x01b", "every 5 minutes"]
    values = ["", " ", "x", "nope", "0", "1", "100", "101", "-1", "2026-03-01", "2026-13-01", "a\x01b"]
    values += [str(value) for value in schema.get("enum", [])] + [str(v).lower() for v in schema.get("enum", [])]
    values += ["y" * schema["maxLength"], "y" * (schema["maxLength"] + 1)] if "maxLength" in schema else []
    return values


def as_typed(schema: dict, text: str):
    """The query text as the document's type reads it (an integer parameter takes digits only)."""
    return int(text) if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", text) else text


def test_each_query_parameter_is_refused_by_the_document_exactly_where_the_server_refuses_it(client):
    """The document is as strict as the server and no stricter. An empty value is absent (`allowEmptyValue`),
    except the preview's required text (a 400)."""
    checked = 0
    for template, parameter in query_parameters():
        schema = resolve(parameter["schema"])
        for value in candidates(parameter["name"], schema):
            response = client.get(f"{template}?{parameter['name']}={quote(value)}")
            documented = fits(schema, as_typed(schema, value)) or (
                value == "" and parameter.get("allowEmptyValue", False)
            )
            assert response.status_code in (200, 400), response.content
            if value.strip() == value or documented:  # the server trims spaces, as forms send them
                assert (response.status_code == 200) == documented, f"{template} {parameter['name']}={value!r}"
            if response.status_code == 400:
                assert response.json()["field"] in (parameter["name"], "schedule", "id"), response.json()
            checked += 1
    assert checked > 100


def test_a_task_id_the_server_refuses_is_one_the_pattern_refuses(client):
    schema = openapi.document()["paths"]["/api/tasks/{task_id}/"]["get"]["parameters"][0]["schema"]
    for task_id, known in (("0f4b6c9e-9d1c-4c3e-8a4b-5f0e6d7c8b9a", True), ("a\x01b", False), ("x" * 256, False)):
        response = client.get(f"/api/tasks/{quote(task_id)}/")
        assert response.status_code == (404 if known else 400), task_id
        assert fits(schema, task_id) == known


def test_local_mode_says_no_request_needs_a_token_or_session(settings):
    for local_mode in (True, False):
        validate(openapi.build(local_mode=local_mode))
    local = openapi.build(local_mode=True)
    assert {} in local["security"] and "local mode" in local["info"]["description"]
    production = openapi.build(local_mode=False)
    assert {} not in production["security"] and "runs in local mode" not in production["info"]["description"]
    settings.LOCAL_MODE = False
    assert {} not in openapi.document()["security"]


def test_every_request_example_fits_its_schema(client):
    examples = 0
    for template, method, operation in operations():
        content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        if "example" in content:
            assert fits(content["schema"], content["example"]), f"{method} {template}"
            examples += 1
    assert examples >= 4


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_the_explorers_example_body_for_sending_a_task_is_accepted(client, celery_worker):
    """Execute in the explorer sends the example as it is: a 202, not a 400."""
    body = openapi.document()["paths"]["/api/tasks/"]["post"]["requestBody"]["content"]["application/json"]
    response = client.post("/api/tasks/", body["example"], content_type="application/json")
    assert response.status_code == 202, response.content
    bulk = openapi.document()["paths"]["/api/tasks/bulk/"]["post"]["requestBody"]["content"]["application/json"]
    assert client.post("/api/tasks/bulk/", bulk["example"], content_type="application/json").status_code == 202


@pytest.mark.parametrize("broker", ["filesystem"], indirect=True)
def test_revoking_a_running_task_without_terminate_is_answered_as_the_document_says(client, celery_worker):
    """A 200 whose state is the one it runs on in (the conftest checks the answer against the document)."""
    sent = client.post("/api/tasks/", {"task": "long_task", "args": [3]}, content_type="application/json").json()
    wait_for(lambda: client.get(sent["url"]).json()["state"] in ("STARTED", "PROGRESS"), timeout=20)
    response = client.post(f"/api/tasks/{sent['id']}/revoke/", {}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["state"] in ("STARTED", "PROGRESS") and response.json()["previous_state"] != "REVOKED"
    assert TaskRecord.objects.get(task_id=sent["id"]).revoke_requested_at is not None
    wait_for(lambda: client.get(sent["url"]).json()["finished"], timeout=20, message="the run to finish")
