"""Bad input, everywhere: the form and the API refuse malformed and hostile input with a clear 4xx,
never a 5xx, and never record a task, a periodic task or a schedule from it."""

import json

import pytest
from django.test import Client
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tasks_app import catalog, validation
from tasks_app.broker import control
from tasks_app.models import TaskRecord
from tasks_app.selectors import pagination
from tasks_app.selectors.periodic import site_tasks
from tasks_app.validation import TaskInputError
from tests.support.cursors import FAR_OFFSET, cursors

pytestmark = pytest.mark.django_db

ROW_MODELS = (TaskRecord, PeriodicTask, CrontabSchedule, IntervalSchedule, ClockedSchedule)


def rows() -> dict:
    return {model.__name__: model.objects.count() for model in ROW_MODELS}


def post_api(client, data, content_type="application/json"):
    return client.post("/api/tasks/", data, content_type=content_type)


def submit(client, **data):
    body = {"task": "echo", "args": '["hi"]', "kwargs": "", "queue": "default", "schedule": "", "name": ""}
    body.update(data)
    return client.post("/", body)


def deep(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.fixture(autouse=True)
def _no_worker_ping(monkeypatch):
    # The form warns when no worker answers a ping, after waiting a second for one: not what is tested here.
    monkeypatch.setattr(control, "any_worker_alive", lambda timeout=1.0: True)


# --- The API, limit by limit -----------------------------------------------------------------

HUGE = 2**64


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (deep(100_000), None, "The body nests lists or objects deeper than 20 levels; the limit is 20."),
        ('{"task": "echo", "args": [NaN]}', None, "The body is not valid JSON (NaN is not a number JSON allows"),
        ('{"task": "echo", "args": [Infinity]}', None, "(Infinity is not a number JSON allows; numbers must be"),
        ('{"task": "echo", "args": [-Infinity]}', None, "(-Infinity is not a number JSON allows"),
        ('{"task": "echo", "args": [1e400]}', "args", "Args contain inf at args[0]; numbers must be finite"),
        (
            f'{{"task": "echo", "args": [{HUGE}]}}',
            "args",
            "Args contain a number at args[0] too large for 64 bits (18446744073709551616); whole numbers must be "
            "from -9223372036854775808 to 9223372036854775807.",
        ),
        ('{"task": "echo", "args": [' + "9" * 5000 + "]}", None, "The body is not valid JSON (Exceeds the limit"),
        (
            {"task": "echo", "args": [json.loads(deep(25))]},
            "args",
            "Args nest lists or objects deeper than 20 levels at args[0]",
        ),
        (
            {"task": "echo", "args": ["a\x00b"]},
            "args",
            "Args contain the control character U+0000 (NUL) at args[0] (character 1 of the string); strings "
            "may hold tab and newline, but no other control character and no unpaired surrogate.",
        ),
        (
            {"task": "echo", "kwargs": {"value": {"k": "\x1b[2J"}}},
            "kwargs",
            'Kwargs contain the control character U+001B (ESC) at kwargs["value"]["k"] (character 0',
        ),
        ({"task": "echo", "kwargs": {"val\x07ue": 1}}, "kwargs", "U+0007 (BEL) at the key 'val\\x07ue' of kwargs"),
        ('{"task": "echo", "args": ["\\ud800"]}', "args", "Args contain the unpaired surrogate U+D800"),
        (
            {"task": "echo", "args": ["x" * 70_000]},
            "args",
            "Args take 70004 bytes as JSON; the limit is 65536 bytes (64 KiB).",
        ),
        (
            {"task": "ec\x00ho", "args": [1]},
            "task",
            "The task name contains the control character U+0000 (NUL) at position 2; only printable characters",
        ),
        ({"task": "echo", "args": [1], "queue": "high\r"}, "queue", "U+000D (CR) at position 4"),
        ({"task": "x" * 300}, "task", "The task name has 300 characters; the limit is 200."),
        ({"task": [[[[["echo"]]]]]}, "task", "Unknown task [[[[...]]]]; choose one of"),
        ({"task": "echo", "args": [1], "z" * 1000: 1}, "z" * 100, "Unknown field 'zzzzzzzzzz"),
    ],
)
def test_hostile_api_input_is_a_400_naming_the_problem(client, data, field, message):
    response = post_api(client, data)
    assert response.status_code == 400, response.content
    error = response.json()
    assert message in error["error"]
    assert len(error["error"]) < 500
    assert error.get("field") == field
    assert not any(rows().values())


def test_a_body_over_the_api_cap_is_a_413_in_json(client):
    body = json.dumps({"task": "echo", "args": ["x" * validation.MAX_BODY_BYTES]})
    response = post_api(client, body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "The body is larger than 256 KiB (262144 bytes), the most this API reads; "
        "args and kwargs may take 64 KiB each."
    }
    assert not TaskRecord.objects.exists()


def test_a_body_over_djangos_own_cap_is_a_413_too(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # below our cap: Django's RequestDataTooBig
    response = post_api(client, {"task": "echo", "args": ["x" * 2000]})
    assert response.status_code == 413
    assert response.json()["error"].startswith("The body is larger than 256 KiB")


def test_a_body_whose_content_length_lies_is_still_capped(client):
    body = json.dumps({"task": "echo", "args": ["x" * validation.MAX_BODY_BYTES]}).encode()
    response = client.generic("POST", "/api/tasks/", body, content_type="application/json", CONTENT_LENGTH="10")
    assert response.status_code in (400, 413)  # Django reads only the declared 10 bytes: not JSON


def test_control_characters_in_the_task_id_and_schedule_preview_are_a_400(client):
    response = client.get("/api/tasks/abc%00def/")
    assert response.status_code == 400
    assert response.json()["error"].startswith("The task id contains the control character U+0000 (NUL)")
    response = client.get("/api/schedules/preview/", {"text": "every 5\x1b minutes"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "The schedule contains the control character U+001B (ESC) at position 7; "
        "only printable characters are allowed.",
        "field": "schedule",
    }


# --- The form, limit by limit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"args": "[NaN]"}, "args", "This is not valid JSON (NaN is not a number JSON allows"),
        ({"args": "[1e999]"}, "args", "Args contain inf at args[0]"),
        ({"args": f"[{HUGE}]"}, "args", "too large for 64 bits"),
        ({"args": deep(21)}, "args", "Args nest lists or objects deeper than 20 levels"),
        ({"args": deep(4000)}, "args", "This nests lists or objects deeper than 20 levels; the limit is 20."),
        ({"args": '["a\\u0000b"]'}, "args", "Args contain the control character U+0000 (NUL) at args[0]"),
        ({"args": "", "kwargs": '{"value": "\\u001b"}'}, "kwargs", 'U+001B (ESC) at kwargs["value"]'),
        ({"schedule": "every\x0b5 minutes"}, "schedule", "The schedule contains the control character U+000B (VT)"),
        ({"schedule": "@daily", "name": "a\x07b"}, "name", "The name contains the control character U+0007 (BEL)"),
        ({"name": "a\x00b"}, "name", "Null characters are not allowed."),  # Django's own check comes first
    ],
)
def test_hostile_form_input_is_a_400_naming_the_problem(client, data, field, message):
    response = submit(client, **data)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert not any(rows().values())


# --- Markup comes back escaped ---------------------------------------------------------------

MARKUP = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
RAW = ("<script>alert(1)", "<img src=x")


def assert_inert(html: str) -> None:
    for raw in RAW:
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_markup_sent_through_the_api_and_the_form_comes_back_escaped_everywhere(client):
    response = post_api(client, {"task": "echo", "args": [MARKUP]})
    assert response.status_code == 202
    task_id = response.json()["id"]
    detail = client.get(f"/api/tasks/{task_id}/")
    assert detail["Content-Type"] == "application/json"  # never rendered as a page
    assert detail["X-Content-Type-Options"] == "nosniff"
    assert detail.json()["args"] == [MARKUP]
    assert_inert(client.get(f"/tasks/{task_id}/").content.decode())

    response = submit(client, args=json.dumps([MARKUP]), schedule="every 5 minutes", name=MARKUP)
    assert response.status_code == 302, response.context["form"].errors
    periodic = PeriodicTask.objects.get(name=MARKUP)
    for page in ("/", "/periodic/", f"/periodic/{periodic.pk}/"):
        assert_inert(client.get(page).content.decode())

    # Refused input is shown back to the person, escaped as well.
    response = submit(client, args=MARKUP)
    assert response.status_code == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()
    assert "<script>alert(1)" not in response.content.decode()


# --- Generated input: never a 5xx, never a row from a refusal --------------------------------

TASKS = sorted(catalog.ENTRIES)
QUEUES = ["default", "high", "low"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
names = st.sampled_from(TASKS) | st.text(max_size=20)
queues = st.sampled_from(QUEUES) | st.text(max_size=10)


def dumps(value) -> str:
    return json.dumps(value)  # NaN and Infinity stay in, as an attacker would send them


api_bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    json_values.map(dumps),
    st.dictionaries(
        st.sampled_from(["task", "args", "kwargs", "queue"]) | st.text(max_size=10),
        json_values | names,
        max_size=5,
    ).map(dumps),
    st.fixed_dictionaries(
        {"task": names},
        optional={
            "args": st.lists(json_values, max_size=3) | json_values,
            "kwargs": st.dictionaries(st.sampled_from(["value", "url", "seconds"]), json_values) | json_values,
            "queue": queues,
        },
    ).map(dumps),
    st.integers(min_value=21, max_value=3000).map(deep),
)

json_text = json_values.map(dumps) | st.text(max_size=100) | st.just("") | st.integers(21, 4000).map(deep)
form_posts = st.fixed_dictionaries(
    {
        "task": names,
        "args": st.lists(json_values, max_size=2).map(dumps) | json_text,
        "kwargs": json_text,
        "queue": queues,
        "schedule": st.sampled_from(["", "", "*/15 * * * *", "every 5 minutes", "@daily"]) | st.text(max_size=40),
        "name": st.just("") | st.text(max_size=40),
    },
    optional={"extra": st.text(max_size=20)},
)

HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def refused_without_a_trace(response, before) -> bool:
    """Never a 5xx, always JSON; True for a refusal, which must be `{error, field}` and leave the
    rows as they were (`before`); False for an answer the caller checks as accepted."""
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    if response.status_code < 400:
        return False
    assert set(response.json()) <= {"error", "field"}
    assert rows() == before, response.json()
    return True


@HYPOTHESIS
@given(body=api_bodies)
def test_the_api_never_fails_on_generated_input(db, body):
    client = Client()
    before = rows()
    response = post_api(client, body)
    if not refused_without_a_trace(response, before):
        assert response.status_code in (201, 202)  # 201: a body with a schedule made a periodic task


@HYPOTHESIS
@given(data=form_posts)
def test_the_form_never_fails_on_generated_input(db, data):
    client = Client()
    before = rows()
    response = client.post("/", data)
    event(f"status {response.status_code}")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert rows() == before, response.context["form"].errors
    else:
        assert response.status_code == 302


# --- Bulk enqueue and periodic changes: the same promise ------------------------------------

# Mostly-valid items too, so that some requests pass validation and reach the broker.
echo_items = json_values.map(lambda value: {"task": "echo", "args": [value]})
bulk_items = st.one_of(
    echo_items,
    json_values,
    st.fixed_dictionaries(
        {"task": names},
        optional={
            "args": st.lists(json_values, max_size=3) | json_values,
            "kwargs": st.dictionaries(st.sampled_from(["value", "url", "seconds"]), json_values) | json_values,
            "queue": queues,
            "extra": json_values,
        },
    ),
)
bulk_bodies = st.one_of(
    api_bodies,
    st.fixed_dictionaries({"tasks": st.lists(bulk_items, max_size=5) | json_values}).map(dumps),
    st.fixed_dictionaries({"tasks": st.lists(echo_items, min_size=1, max_size=5)}).map(dumps),
    st.dictionaries(st.sampled_from(["tasks"]) | st.text(max_size=8), st.lists(bulk_items, max_size=3)).map(dumps),
)


@HYPOTHESIS
@given(body=bulk_bodies)
def test_bulk_enqueue_never_fails_on_generated_input(db, body):
    client = Client()
    before = rows()
    response = client.post("/api/tasks/bulk/", data=body, content_type="application/json")
    if not refused_without_a_trace(response, before):
        assert response.status_code == 202
        sent = len(response.json()["tasks"])
        assert sent == len(json.loads(body)["tasks"])
        assert rows()["TaskRecord"] == before["TaskRecord"] + sent


schedule_texts = st.sampled_from(["*/15 * * * *", "every 5 minutes", "@daily", "at 2030-01-01 10:00"]) | st.text(
    max_size=40
)
patch_values = json_values | names | queues | schedule_texts | st.booleans()
patch_bodies = st.one_of(
    api_bodies,
    st.fixed_dictionaries({"args": st.lists(json_values, min_size=1, max_size=1)}).map(dumps),
    st.dictionaries(
        st.sampled_from(["schedule", "args", "kwargs", "queue", "enabled", "name"]) | st.text(max_size=8),
        patch_values,
        max_size=4,
    ).map(dumps),
    st.fixed_dictionaries(
        {},
        optional={
            "schedule": schedule_texts,
            "args": st.lists(json_values, max_size=2),
            "kwargs": st.dictionaries(st.sampled_from(["value"]), json_values),
            "queue": queues,
            "enabled": st.booleans() | json_values,
            "name": st.text(max_size=30),
        },
    ).map(dumps),
)


def periodic_state(task_id: int) -> tuple:
    task = PeriodicTask.objects.get(pk=task_id)
    return (
        task.name,
        task.args,
        task.kwargs,
        task.queue,
        task.enabled,
        task.crontab_id,
        task.interval_id,
        task.clocked_id,
    )


@HYPOTHESIS
@given(body=patch_bodies)
def test_periodic_patch_never_fails_on_generated_input(db, body):
    from tasks_app import services

    target = site_tasks().first()
    target = target or services.schedule("echo", ["x"], schedule_text="@hourly", name="target")
    client = Client()
    before, state = rows(), periodic_state(target.pk)
    response = client.patch(f"/api/periodic/{target.pk}/", data=body, content_type="application/json")
    if refused_without_a_trace(response, before):
        assert periodic_state(target.pk) == state
    else:
        assert response.status_code == 200
        assert response.json()["id"] == target.pk


# --- Hand-made cursors on every list ---------------------------------------------------------


def cursor_lists(periodic_pk: int) -> list[tuple[str, object, bool]]:
    """Every list a cursor pages: (URL, the field its cursor keys on, whether it is the API)."""
    created_at, name = TaskRecord._meta.get_field("created_at"), PeriodicTask._meta.get_field("name")
    return [
        ("/api/tasks/", created_at, True),
        ("/api/periodic/", name, True),
        ("/tasks/", created_at, False),
        ("/", created_at, False),
        ("/periodic/", name, False),
        (f"/periodic/{periodic_pk}/", created_at, False),  # its runs
    ]


def assert_cursor_answer(client, url: str, field, api: bool, cursor: str) -> None:
    """200 for a cursor the decoder accepts; otherwise 400 with the one clear message: never a 500."""
    response = client.get(url, {"cursor": cursor})
    try:
        if cursor:  # none: the first page
            pagination.decode(cursor, field)
    except TaskInputError:
        assert response.status_code == 400, (url, cursor, response.status_code)
        if api:
            assert response.json() == {"error": pagination.BAD_CURSOR, "field": "cursor"}
        else:
            assert pagination.BAD_CURSOR in response.content.decode()
    else:
        assert response.status_code == 200, (url, cursor, response.status_code)


def test_a_cursor_with_a_far_offset_is_a_400_on_every_list_not_a_500(client):
    from tasks_app import services

    periodic = services.schedule("echo", ["x"], schedule_text="@hourly", name="target")
    for url, field, api in cursor_lists(periodic.pk):
        assert_cursor_answer(client, url, field, api, FAR_OFFSET)
    assert client.get("/api/tasks/", {"cursor": FAR_OFFSET}).status_code == 400


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cursor=cursors)
def test_pages_and_the_api_answer_a_fuzzed_cursor_with_200_or_400(db, cursor):
    from tasks_app import services

    periodic = site_tasks().first() or services.schedule("echo", ["x"], schedule_text="@hourly", name="target")
    client = Client()
    for url, field, api in cursor_lists(periodic.pk):
        assert_cursor_answer(client, url, field, api, cursor)
