"""Fixed windows (tasks_app.lib.windows): a minute's starts on the minute, and the time left is
whole seconds within the window."""

from datetime import UTC, datetime

import pytest

from tasks_app.lib import windows


@pytest.mark.parametrize(
    ("now", "seconds", "start", "left"),
    [
        (datetime(2026, 12, 4, 21, 7, 42, 250000, tzinfo=UTC), 60, datetime(2026, 12, 4, 21, 7, tzinfo=UTC), 18),
        (datetime(2026, 12, 4, 21, 7, 0, tzinfo=UTC), 60, datetime(2026, 12, 4, 21, 7, tzinfo=UTC), 60),
        (datetime(2026, 12, 4, 21, 9, 59, 900000, tzinfo=UTC), 300, datetime(2026, 12, 4, 21, 5, tzinfo=UTC), 1),
    ],
)
def test_the_window_holding_now_and_the_seconds_left(monkeypatch, now, seconds, start, left):
    monkeypatch.setattr(windows.timezone, "now", lambda: now)
    assert windows.current(seconds) == (start, left)
