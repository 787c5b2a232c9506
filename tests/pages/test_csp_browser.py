"""The site's own pages satisfy its Content-Security-Policy in a real browser: every page, the dashboard
refreshing itself, the Swagger UI explorer and the admin's periodic task form load with no violation
(Chromium reports each one as a console error and a securitypolicyviolation event)."""

import pytest
from django.contrib.auth import get_user_model

from tasks_app import services

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

# Installed before any page script runs: every violation the browser reports, as text.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


@pytest.fixture
def watched(page):
    """The page, and the list of CSP violations it reported in the console."""
    reported = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: reported.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return page, reported


def violations(page, reported) -> list[str]:
    return reported + page.evaluate("window.__violations")


@pytest.fixture
def some_tasks(broker, transactional_db):
    record = services.enqueue("echo", ["hi"])
    periodic = services.schedule("echo", ["tick"], schedule_text="every 1 hour", name="hourly-echo")
    return record, periodic


def test_the_pages_load_with_no_violation(watched, live_server, some_tasks):
    page, reported = watched
    record, periodic = some_tasks
    paths = ["/", "/tasks/", f"/tasks/{record.task_id}/", "/periodic/", f"/periodic/{periodic.pk}/"]
    paths += [f"/periodic/{periodic.pk}/edit/", "/api/"]
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        page.wait_for_load_state("networkidle")
        assert violations(page, reported) == [], path
    # The form's own script at work: the schedule preview fetched as one types.
    page.goto(live_server.url + "/")
    page.fill("input[name=schedule]", "every 2 hours")
    page.wait_for_selector("#schedule-preview li")
    assert violations(page, reported) == []


def test_the_dashboard_refreshes_itself_with_no_violation(watched, live_server, some_tasks):
    page, reported = watched
    page.goto(live_server.url + "/dashboard/")
    stamp = "document.querySelector('#dashboard [data-field=generated-at]').textContent"
    first = page.evaluate(stamp)
    page.wait_for_function(f"() => {stamp} !== {first!r}", timeout=15_000)  # one refresh drawn from the fragment
    assert page.locator(".chart-succeeded").count() == 1
    assert violations(page, reported) == []


def test_the_api_explorer_renders_swagger_ui_with_no_violation(watched, live_server, some_tasks):
    page, reported = watched
    page.goto(live_server.url + "/api/explorer/")
    page.wait_for_selector(".opblock", timeout=15_000)  # Swagger UI read the document and drew it
    page.wait_for_load_state("networkidle")
    assert violations(page, reported) == []


def test_the_admins_periodic_task_form_runs_its_script_with_no_violation(watched, live_server, some_tasks):
    page, reported = watched
    get_user_model().objects.create_superuser("admin", password="a long admin password 1")
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "a long admin password 1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(live_server.url + "/admin/django_celery_beat/periodictask/add/")
    page.wait_for_load_state("networkidle")
    assert page.locator(".field-crontab_translation").is_hidden()  # the moved script ran
    assert violations(page, reported) == []


def test_a_violation_would_be_seen(watched, live_server, some_tasks):
    """The watch above is no empty check: an inline style is reported."""
    page, reported = watched
    page.goto(live_server.url + "/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    page.wait_for_function("() => window.__violations.length > 0", timeout=5_000)
    assert any("style-src" in violation for violation in violations(page, reported))
