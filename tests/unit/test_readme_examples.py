"""The README's command-line examples are safe to paste: a schedule given there ends (one
used to schedule a fetch of a public site every 5 minutes for ever)."""

import re
from pathlib import Path

from django.utils import timezone

from tasks_app import schedules

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_schedule_in_the_readme_commands_ends():
    given = re.findall(r"--schedule '([^']+)'", README.read_text())
    assert given, "the README shows how to schedule from the command line"
    for text in given:
        spec = schedules.parse(text, tz=timezone.get_default_timezone(), now=timezone.now())
        limits = getattr(spec, "limits", None)  # a one-off ("at ...") ends by itself
        assert limits is None or limits.times or limits.until, f"{text!r} runs for ever"


def test_the_performance_section_is_a_short_summary_of_bench_readme():
    text = README.read_text()
    section = text[text.index("## Performance") :]
    section = section[: section.find("\n## ", 5)] if "\n## " in section[5:] else section
    assert len(section.splitlines()) <= 25, "the detail belongs in bench/README.md"
    assert "(bench/README.md)" in section
    # Every figure the summary gives is one bench/README.md gives too: nothing lives only here.
    bench = (README.parent / "bench" / "README.md").read_text()
    figures = set(re.findall(r"\b\d+\.\d+\b", section))
    assert figures and [figure for figure in sorted(figures) if figure not in bench] == []
