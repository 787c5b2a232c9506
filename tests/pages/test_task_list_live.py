"""What the live tasks list is served (static/task_list.js drives it; tests/pages/test_task_list_browser.py
watches it): the first page names the rows' URL with its filters, older pages do not, and the rows alone
(`?fragment=1`) hold only what the user may see, each time as a <time> a script can read."""

import re

import pytest

from tests.pages.test_task_list import record
from tests.support.users import logged_in

pytestmark = pytest.mark.django_db


def test_only_the_first_page_is_live_and_it_keeps_the_filters(client, settings):
    for n in range(1, 30):
        record(n)
    first = client.get("/tasks/?task=echo").content.decode()
    assert 'id="task-rows" data-url="/tasks/?fragment=1&amp;task=echo"' in first
    older = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert 'data-url="' not in client.get(f"/tasks/{older}").content.decode()


def test_the_rows_alone_hold_only_the_users_tasks_with_machine_readable_times(production, alice, bob):
    record(1, owner=alice)
    record(2, owner=bob)
    rows = logged_in(bob).get("/tasks/?fragment=1").content.decode()
    assert "<html" not in rows and 'data-task="task-0002"' in rows and "task-0001" not in rows
    assert (
        '<time datetime="2026-03-01T12:02:00+00:00" title="2026-03-01 12:02:00 UTC">2026-03-01 12:02:00 UTC</time>'
        in rows
    )
    assert 'name="ids" value="task-0002" form="chosen-tasks"' in rows
