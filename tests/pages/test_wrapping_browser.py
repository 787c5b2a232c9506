"""Words stay whole: at a desktop's 1280 px and a phone's 390 px, no table header,
state badge or button breaks inside a word ("Worke r", "aliv e", "Ru ns"), while the long ids and
JSON that would otherwise push a page sideways still wrap, measured in Chromium."""

import pytest

from tasks_app import services
from tasks_app.broker import control
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("broker", ["filesystem"], indirect=True)]

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Every word of every visible header, badge and button, as a Range: a word split over two lines has
# client rectangles at two heights. Elements inside a visually hidden box (the phone's clipped table
# heads) are not seen by anyone and are skipped.
BROKEN_WORDS = """() => {
  const hidden = (el) => {
    for (; el; el = el.parentElement) if (getComputedStyle(el).clipPath !== "none") return true;
    return false;
  };
  const broken = [];
  for (const el of document.querySelectorAll("th, .state, button, .button")) {
    if (!el.getClientRects().length || hidden(el)) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(`${el.tagName.toLowerCase()}: ${match[0]}`);
      }
    }
  }
  return broken;
}"""

LINES = """(selector) => {
  const el = document.querySelector(selector);
  return Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight));
}"""

LONG_URL = "https://example.com/" + "a-rather-long-path/" * 6


@pytest.fixture
def site(broker, celery_worker):
    """Tasks of every kind, finished, a periodic task with runs, and a worker the dashboard lists."""
    records = [services.enqueue("echo", ["hello"]), services.enqueue("fetch_url", [LONG_URL])]
    periodic = services.schedule("echo", ["tick"], schedule_text="every 10 seconds, 3 times", name="three ticks")
    wait_for(control.any_worker_alive, timeout=20, message="the worker to answer a ping")
    return {"periodic": periodic, "fetch": records[1]}


def paths(site):
    return ["/", "/tasks/", "/periodic/", f"/periodic/{site['periodic'].pk}/", f"/tasks/{site['fetch'].task_id}/"]


@pytest.mark.parametrize("screen", WIDTHS)
def test_no_header_badge_or_button_breaks_inside_a_word(page, live_server, site, screen):
    page.set_viewport_size(WIDTHS[screen])
    for path in [*paths(site), "/dashboard/"]:
        page.goto(live_server.url + path)
        if path == "/dashboard/":
            page.wait_for_selector("tr[data-worker]", timeout=15_000)
        assert page.evaluate(BROKEN_WORDS) == [], f"{path} at {screen} width"


def test_long_ids_and_json_still_wrap_on_a_phone(page, live_server, site):
    page.set_viewport_size(WIDTHS["phone"])
    page.goto(f"{live_server.url}/tasks/{site['fetch'].task_id}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(LINES, "[data-field=arguments]") > 1  # the URL breaks inside, the page does not widen
    assert page.evaluate(LINES, "[data-field=task-id]") > 1  # 36 characters of id on one phone line do not fit
