"""Every answer that an API test receives through Django's test client is checked against the
OpenAPI document (tests/support/openapi.py), so that the document cannot drift from the views."""

import pytest

from tests.support import openapi


@pytest.fixture
def client(client):
    """pytest-django's client, checking each answer of the API against the document as it comes."""
    send = client.request

    def checked(**request):
        response = send(**request)
        if request["PATH_INFO"].startswith("/api/"):
            body = response.content if not response.streaming else b"".join(response.streaming_content)
            if response.streaming:  # read whole for the check, and left whole for the test
                response.streaming_content = [body]
            openapi.check(
                request["REQUEST_METHOD"],
                request["PATH_INFO"],
                response.status_code,
                response.get("Content-Type", ""),
                body,
            )
        return response

    client.request = checked
    return client
