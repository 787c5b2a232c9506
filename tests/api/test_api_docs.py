"""The API page (GET /api/): every endpoint is on it, and every `curl` example on it works as written,
run with the real curl against the real site (its web server, granian) and a real worker.

Examples are `<pre data-example="name" data-status="..." data-keys="..." data-save="VAR=path">` blocks.
An example may use a shell variable that an earlier example saved from its answer (`$TASK_ID`).
"""

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tasks_app.api import urls as api_urls
from tests.support import openapi, processes
from tests.support.waiting import wait_for


@dataclass
class Example:
    name: str
    command: str
    status: int
    keys: list[str] = field(default_factory=list)
    save: dict[str, str] = field(default_factory=dict)  # variable -> dotted path in the answer
    equals: dict = field(default_factory=dict)  # fields the answer must have with these values
    wait: list[str] = field(default_factory=list)  # tasks (saved variables) that must have finished first
    response: str = ""  # the answer shown under it (<pre class="response">), JSON

    @property
    def method(self) -> str:
        found = re.search(r"-X ([A-Z]+)", self.command)
        return found.group(1) if found else "GET"

    @property
    def path(self) -> str:
        return re.search(r"https?://[^/\s']+(/[^\s'?]*)", self.command).group(1)


class _ExampleParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.examples: list[Example] = []
        self._current: Example | None = None
        self._response: Example | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "pre" and "data-example" in attributes:
            save = dict(item.split("=", 1) for item in (attributes.get("data-save") or "").split())
            self._current = Example(
                name=attributes["data-example"],
                command="",
                status=int(attributes["data-status"]),
                keys=(attributes.get("data-keys") or "").split(),
                save=save,
                equals=json.loads(attributes.get("data-json-equals") or "{}"),
                wait=(attributes.get("data-wait") or "").split(),
            )
            self._text = []
        elif tag == "pre" and attributes.get("class") == "response" and self.examples:
            self._response = self.examples[-1]  # an answer follows the example that gets it
            self._text = []

    def handle_data(self, data):
        if self._current or self._response:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "pre" and self._current:
            self._current.command = "".join(self._text).strip()
            self.examples.append(self._current)
            self._current = None
        elif tag == "pre" and self._response:
            self._response.response = "".join(self._text).strip()
            self._response = None


def examples_on(html: str) -> list[Example]:
    parser = _ExampleParser()
    parser.feed(html)
    return parser.examples


def dig(value, path: str):
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


# --- Every endpoint is documented (fast: the test client) ------------------------------------


def api_routes() -> list[str]:
    """Every /api/ path this checkout serves, its parameters written <id>, as the page writes them."""
    served = [pattern for pattern in api_urls.urlpatterns if pattern.name != api_urls.NOT_FOUND]
    routes = ["api/" + str(pattern.pattern) for pattern in served]
    return ["/" + re.sub(r"<[^>]+>", "<id>", route) for route in routes]


@pytest.mark.django_db
def test_every_api_endpoint_is_on_the_page_with_an_example(client):
    response = client.get("/api/")
    assert response.status_code == 200
    html = response.content.decode()
    headings = " ".join(re.findall(r"<h3[^>]*>(.*?)</h3>", html))
    headings = headings.replace("&lt;", "<").replace("&gt;", ">")
    for route in api_routes():
        assert route in headings, f"{route} is served but not documented on /api/"
    found = examples_on(html)
    names = [example.name for example in found]
    assert len(names) == len(set(names)), "example names must be unique"
    for example in found:
        assert example.command.startswith("curl"), example
        assert not re.search(r"[|;&]\s|&&|`", example.command), f"{example.name}: one curl command, nothing else"


@pytest.mark.django_db
def test_every_answer_shown_on_the_page_is_one_the_document_allows(client):
    """Each <pre class="response"> is JSON that fits the document's schema for its example's request
    (its keys are compared with the real answer's by the slow test below)."""
    shown = [example for example in examples_on(client.get("/api/").content.decode()) if example.response]
    assert {"enqueue", "task-detail", "task-list", "revoke", "periodic-create", "health"} <= {e.name for e in shown}
    for example in shown:
        # Parsed as JSON (not prose with elisions) and checked against the schema.
        openapi.check(example.method, example.path, example.status, "application/json", example.response.encode())


# --- Every example runs (slow: the web server, a worker, curl) ----------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real site in local mode, as `make run` starts it: the web server and a Celery worker under honcho,
    on the filesystem broker and SQLite in a data directory of its own; and an API token."""
    tmp_path = tmp_path_factory.mktemp("api-docs")
    env = processes.site_env(tmp_path)
    processes.release(env)
    token = processes.manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth.models import User; from tasks_app.models import ApiToken; "
        "user = User.objects.create_user('script', is_staff=True); token = ApiToken(user=user, name='docs'); "
        "key = token.issue(); token.save(); print(key)",
    )
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    with processes.honcho("Procfile.real", ["web", "worker"], env, port, tmp_path / "honcho.log") as running:
        processes.wait_for_site(base, running)
        yield base, token.strip().splitlines()[-1], tmp_path
        running.stop()


def run_curl(command: str, variables: dict, out_path) -> tuple[int, str]:
    """Run the example as written, asking curl itself for the status code and the body in a file."""
    completed = subprocess.run(
        ["bash", "-c", f"{command} -sS -o {out_path} -w '%{{http_code}}'"],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, f"curl failed: {completed.stderr}"
    body = out_path.read_text() if out_path.exists() else ""
    return int(completed.stdout.strip()), body


@pytest.mark.slow
def test_every_curl_example_on_the_api_page_works(site):
    base, token, tmp_path = site
    html = subprocess.run(["curl", "-sS", f"{base}/api/"], capture_output=True, text=True, timeout=30).stdout
    found = examples_on(html)
    assert len(found) >= 20, html[:2000]
    variables = {"API_TOKEN": token}
    ran = []
    for example in found:
        # The page names the site it is served from, so its examples paste as they are.
        assert base in example.command, f"{example.name} does not name this site: {example.command}"
        for name in re.findall(r"\$([A-Z_]+)", example.command):
            assert name in variables, f"{example.name} uses ${name} before an example sets it"
        for name in example.wait:  # e.g. retry is for finished tasks only

            def finished(task_id=variables[name]):
                try:
                    return processes.http("GET", f"{base}/api/tasks/{task_id}/")[1].get("finished")
                except ConnectionError:  # a poll the loaded machine dropped: ask again
                    return False

            wait_for(finished, timeout=30, message=f"${name} to finish before {example.name}")
        status_code, body = run_curl(example.command, variables, tmp_path / f"{example.name}.out")
        assert status_code == example.status, f"{example.name}: {status_code} {body[:500]}\n{example.command}"
        if example.status == 204:
            assert body == ""
        else:
            answer = json.loads(body)
            assert isinstance(answer, dict), body
            missing = [key for key in example.keys if key not in answer]
            assert not missing, f"{example.name}: {missing} missing from {body[:500]}"
            for key, value in example.equals.items():
                assert answer[key] == value, f"{example.name}: {key} is {answer[key]!r}, not {value!r}"
            if status_code >= 400:
                assert set(answer) <= {"error", "field"}, body
            if example.response:  # the answer shown on the page has the real answer's fields
                schema = openapi.answer_schema(example.method, example.path, status_code)
                openapi.same_keys(json.loads(example.response), answer, schema, example.name)
            for name, path in example.save.items():
                variables[name] = str(dig(answer, path))
        ran.append(example.name)
    assert {"enqueue", "bulk", "task-detail", "task-list", "retry", "revoke", "periodic-create"} <= set(ran)

    # The worker ran what the examples sent.
    for name in ("TASK_ID", "BULK_TASK_ID"):

        def succeeded(task_id=variables[name]):
            return processes.http("GET", f"{base}/api/tasks/{task_id}/")[1].get("state") == "SUCCESS"

        wait_for(succeeded, timeout=30, message=f"${name} to succeed on the worker")
    print(f"ran {len(ran)} examples")
