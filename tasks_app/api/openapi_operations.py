"""One operation of the OpenAPI document (tasks_app/api/openapi.py): its id, its answers and error
statuses as api_view gives them, its body and example."""

from __future__ import annotations

from tasks_app.api.openapi_schemas import ref

ERRORS = {
    400: "bad input: the error names the field at fault",
    401: "not logged in and no API token, or a wrong or revoked token",
    403: "not allowed (staff only), or a session request that failed its CSRF check",
    404: "no such thing, or not yours",
    409: "the task is not in a state this allows (not finished for a retry, finished for a revoke)",
    411: "a body sent chunked, without Content-Length",
    413: "the body is larger than the endpoint reads",
    415: "a body not sent as application/json",
    429: "over the rate limit; Retry-After says when to try again",
    503: "the broker is unreachable (nothing was queued), or the database is busy or unreachable (Retry-After)",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
WRITE = (400, 401, 403, 411, 413, 415)  # what api_view answers to any POST, PATCH or DELETE


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: str | None = None) -> dict:
    return {"description": description, **({"content": _json(ref(schema))} if schema else {})}


def op(
    operation_id: str,
    summary: str,
    ok: dict,
    errors=(),
    *,
    params=(),
    body: str | None = None,
    optional_body=False,
    public=False,
    example: dict | None = None,
):
    """One operation: its id (what generated clients name their function after), its successful
    answers (`ok`, status -> (description, schema)), its error statuses, and, for a body, an example
    that the explorer's Execute sends as it is (tests/api/test_contract.py posts it)."""
    responses = {str(code): _answer(*answer) for code, answer in ok.items()}
    # Any endpoint may meet a database that is busy or unreachable (a statement or lock bound ran out): 503.
    for code in sorted(set(errors) | {503} | ({401} if not public else set())):
        if str(code) in responses:  # health's own 503 (a broker down), or the database's
            answered = responses[str(code)]
            alternatives = [answered["content"]["application/json"]["schema"], ref("Error")]
            description = f"{answered['description']}, or the database is busy or unreachable (Retry-After)"
            responses[str(code)] = {"description": description}
            responses[str(code)]["content"] = _json({"oneOf": alternatives})
        else:
            responses[str(code)] = {**_answer(ERRORS[code], "Error")}
        if code in (429, 503):
            responses[str(code)]["headers"] = RETRY_AFTER
    operation = {"operationId": operation_id, "summary": summary, "parameters": list(params), "responses": responses}
    if body:
        content = _json(ref(body))
        if example is not None:
            content["application/json"]["example"] = example
        operation["requestBody"] = {"required": not optional_body, "content": content}
    if public:
        # Open to anyone; a token that is sent must still be right (a wrong one is a 401).
        operation["security"] = [{}, {"token": []}]
    return operation
