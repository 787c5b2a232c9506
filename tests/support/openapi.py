"""Check an answer of the API against its OpenAPI document (tasks_app.api.openapi): the status is
one the operation lists, and a JSON body fits the schema listed for that status."""

from __future__ import annotations

import json
import re
from functools import cache

from jsonschema import Draft202012Validator

from tasks_app.api.openapi import document


class Mismatch(AssertionError):
    pass


# Pages under /api/ (tasks_app/urls.py), not endpoints of the API: not in the document.
PAGES = {"/api/", "/api/explorer/"}

# A value for each path parameter of the document, naming nothing that exists: for the tests that
# call every path (an unknown task, periodic task, failure group, worker or action).
PATH_PARAMETERS = {
    "task_id": "00000000-0000-0000-0000-000000000000",
    "pk": "999999",
    "group_id": "0000000000000000",
    "name": "nobody@nowhere",
    "action": "nope",
}


@cache
def _templates() -> list[tuple[re.Pattern, str]]:
    found = []
    for template in document()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", pattern)
        found.append((re.compile(f"^{pattern}$"), template))
    return found


def template_of(path: str) -> str | None:
    return next((template for pattern, template in _templates() if pattern.match(path)), None)


def check(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Raise Mismatch when the answer is not what the document promises for this request."""
    template = template_of(path)
    if template is None:
        if path.startswith("/api/") and path not in PAGES and status != 404:
            raise Mismatch(f"{method} {path} answered {status} but is not in the OpenAPI document")
        return
    operation = document()["paths"][template].get(method.lower())
    if operation is None:
        if method.upper() == "HEAD" and "get" in document()["paths"][template]:
            return
        if status != 405:
            raise Mismatch(f"{method} {template} is not in the document, yet answered {status}, not 405")
        return
    response = operation["responses"].get(str(status))
    if response is None:
        raise Mismatch(f"{method} {template} answered {status}, which the document does not list")
    content = response.get("content")
    if content is None:
        if body:
            raise Mismatch(f"{method} {template} {status}: the document promises no body, got {body[:200]!r}")
        return
    media = content_type.split(";")[0].strip()
    if media != "application/json":
        if media in content and content[media]["schema"].get("type") == "string":  # CSV: text, as promised
            return
        raise Mismatch(f"{method} {template} {status}: the document promises {', '.join(content)}, got {content_type}")
    schema = {**content["application/json"]["schema"], "components": document()["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(json.loads(body)), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message[:300]}" for e in errors[:5])
        raise Mismatch(f"{method} {template} {status} does not fit the document: {details}")


def resolved(schema: dict) -> dict:
    """The schema itself, for a `$ref` to one of the document's components."""
    name = schema.get("$ref", "").removeprefix("#/components/schemas/")
    return document()["components"]["schemas"][name] if name else schema


def answer_schema(method: str, path: str, status: int) -> dict:
    """The schema the document gives the JSON answer to this request with this status."""
    operation = document()["paths"][template_of(path)][method.lower()]
    return resolved(operation["responses"][str(status)]["content"]["application/json"]["schema"])


def same_keys(shown, real, schema: dict, where: str = "(answer)") -> None:
    """Raise Mismatch unless `shown` (an example) has the keys of `real` (an answer), in every object
    the schema describes field by field (not in maps such as a worker's queues by its name), and in
    the first item of each list."""
    schema = resolved(schema)
    if isinstance(shown, dict) and isinstance(real, dict) and "properties" in schema:
        if set(shown) != set(real):
            missing, extra = sorted(set(real) - set(shown)), sorted(set(shown) - set(real))
            raise Mismatch(f"{where}: the example lacks {missing} and has {extra} the answer does not")
        for key, value in shown.items():
            if key in schema["properties"]:
                same_keys(value, real[key], schema["properties"][key], f"{where}.{key}")
    elif isinstance(shown, list) and isinstance(real, list) and shown and real and "items" in schema:
        same_keys(shown[0], real[0], schema["items"], f"{where}[0]")
