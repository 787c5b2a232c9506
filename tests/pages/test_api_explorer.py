"""The API explorer (/api/explorer/, Swagger UI) in a real browser: its version badges are readable, and
Execute on POST /api/tasks/, with the example body the document gives, sends a task (a 202, not a 400)."""

import pytest

from tasks_app.models import TaskRecord

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

# The contrast of an element's text with the first background painted behind it (WCAG's formula).
CONTRAST = """(element) => {
  const rgb = (text) => text.match(/[0-9.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  let behind = element;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) behind = behind.parentElement;
  const text = luminance(rgb(getComputedStyle(element).color));
  const back = luminance(rgb(behind ? getComputedStyle(behind).backgroundColor : "rgb(255, 255, 255)"));
  return (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
}"""


@pytest.fixture
def explorer(page, live_server, broker, transactional_db):
    page.goto(live_server.url + "/api/explorer/")
    page.wait_for_selector(".swagger-ui .info .title small pre")
    return page


def test_the_version_badges_are_readable(explorer):
    badges = explorer.query_selector_all(".swagger-ui .info .title small pre")
    assert [badge.inner_text().strip() for badge in badges] == ["1", "OAS 3.1"]
    for badge in badges:
        ratio = badge.evaluate(CONTRAST)
        assert ratio >= 4.5, f"{badge.inner_text()!r}: contrast {ratio:.2f} to 1"


def test_execute_on_sending_a_task_sends_the_example_body(explorer):
    operation = explorer.locator("#operations-default-sendTask")
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    operation.locator(".execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "202", operation.locator(".live-responses-table").inner_text()
    assert TaskRecord.objects.filter(task_name="echo").count() == 1
