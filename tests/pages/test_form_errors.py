"""The task form's errors: each message once, focus moved to what needs fixing
(static/form_errors.js; the browser test is in test_periodic_edit_browser.py), and the kwargs help
with each task's own example."""

import html
import json

import pytest

from tasks_app import catalog
from tasks_app.forms import TaskForm

pytestmark = pytest.mark.django_db


def submit(client, **data):
    body = {"task": "echo", "args": '["hi"]', "kwargs": "", "queue": "default", "schedule": "", "name": ""}
    return client.post("/", {**body, **data})


def test_a_bad_schedule_is_one_invalid_field_with_its_message_once_and_the_focus_script(client):
    page = html.unescape(submit(client, schedule="every 0 minutes").content.decode())
    assert page.count("The interval must be at least 1 minute") == 1
    assert 'aria-invalid="true"' in page and page.count('aria-invalid="true"') == 1
    assert "/static/form_errors.js" in page  # a file: the CSP allows no inline script


@pytest.mark.parametrize(
    ("task", "example"),
    [
        ("echo", '{"value": "hello"}'),
        ("fetch_url", '{"url": "https://example.com/"}'),
        ("long_task", '{"seconds": 10}'),
    ],
)
def test_the_kwargs_help_and_message_use_the_chosen_tasks_own_example(client, task, example):
    entry = catalog.ENTRIES[task]
    page = html.unescape(submit(client, task=task, args="[]", kwargs="[]").content.decode())
    assert f"A JSON object, such as {example}, or {{}} for none." in page
    assert f"This must be a JSON object, such as {example} or {{}} for none, not list." in page
    assert json.dumps(entry.keyword_example) == example
    # The script swaps the help when another task is chosen: each task's help is in the page's examples.
    examples = json.loads(page[page.index('id="task-examples"') :].split(">", 1)[1].split("</script>")[0])
    assert examples[task]["kwargs_help"] == f"A JSON object, such as {example}, or {{}} for none."


def test_a_new_form_shows_the_first_tasks_own_example():
    help_text = TaskForm().fields["kwargs"].help_text
    assert help_text == 'A JSON object, such as {"value": "hello"}, or {} for none.'
